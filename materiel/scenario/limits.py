"""What a scenario and the commands that run it may ask for (docs/limits.md gives the reasons).

Each bound is checked where the input is read, with a message naming the bound and the field, so
that no input reaches a compiled array, an allocation or a loop it could blow up.
"""

from __future__ import annotations

import datetime as dt

MAX_FILE_BYTES = 16 * 2**20        # a scenario file (the built-in one is 0.07 MB)
MAX_NODES = 200_000                # YAML values once aliases are expanded (the built-in: ~5,000)
MAX_DEPTH = 64                     # nesting of YAML mappings and lists
EARLIEST = dt.date(1900, 1, 1)     # start and horizon lie in these years
LATEST = dt.date(2200, 12, 31)
MAX_STEPS = 20_000                 # steps from start to horizon (daily for 54 years, weekly for 383)
MAX_TRANSIT_DAYS = 730             # a transit delay, in days (the kernel's conveyor has one slot a step)
MAX_PRIORITY = 1_000
MAX_ELASTICITY = 5.0               # a coupling's elasticity: losses ∝ (fired ÷ planned)^e
MAX_MAGNITUDE = 1e15               # the largest number a quantity may hold
MAX_LINES = 500                    # lines in a scenario, over all sides
MAX_CLASSES = 50                   # storage classes of a line
MAX_SUPPLIERS = 200                # suppliers of a side
MAX_POINTS = 10_000                # dated values of a schedule, deliveries of a supplier
MAX_SOURCES = 20_000
MAX_RUNS = 100_000_000             # runs of an ensemble …
MAX_RUN_LINES = 110_000_000        # … and runs × lines: 12 bytes each of per-run outcomes, 1.3 GB (10 M runs of 11 lines)

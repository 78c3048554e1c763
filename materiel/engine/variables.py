"""The model's variables, declared once: what a step computes per line, and what is recorded.

Everything else derives from these tuples: the kernel's row indices (`ROW`), the recorded
trajectories' order, the sketched series and the report's tables. Stocks are at the end of a
step; flows are totals over it. Auxiliaries are per-step values the flows share but nobody keeps.
"""

from __future__ import annotations

#: Per line and step, recorded for kept runs in this order.
STOCKS = ("front", "pipeline", "storage", "workshop")
FLOWS = ("demand", "lost", "shortfall", "produced", "refurbished", "drawn", "imported", "arrived", "repaired",
         "coverage")
VARIABLES = STOCKS + FLOWS
#: What the front is sent: the flows that make up a line's supply.
SUPPLY_FLOWS = ("produced", "refurbished", "imported", "repaired")
#: Per line and step, computed for the flows or outcomes that follow, never recorded.
AUXILIARIES = ("capacity", "workers_needed", "supply")
#: Series whose per-step quantiles are sketched for every run (`bands`).
SKETCHED = ("front", "storage", "supply", "lost", "shortfall")

#: Row of each variable and auxiliary in the kernel's per-step array [rows, lines, runs].
ROW = {name: k for k, name in enumerate(VARIABLES + AUXILIARIES)}
ROWS = len(ROW)
(FRONT, PIPELINE, STORAGE, WORKSHOP, DEMAND, LOST, SHORTFALL, PRODUCED, REFURBISHED, DRAWN, IMPORTED, ARRIVED, REPAIRED,
 COVERAGE, CAPACITY, WORKERS_NEEDED, SUPPLY) = (ROW[name] for name in VARIABLES + AUXILIARIES)
SUPPLY_ROWS = tuple(ROW[name] for name in SUPPLY_FLOWS)
SKETCHED_ROWS = tuple(ROW[name] for name in SKETCHED)

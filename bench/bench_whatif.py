"""`materiel compare` of the built-in scenario against one variant, 10,000 paired runs, against one
`materiel run --no-store` of 10,000 runs: whole processes with a warm compile cache, median of N.

Usage: python bench/bench_whatif.py [--repeat N]
"""

from __future__ import annotations

import argparse

from bench_startup import seconds

COMPARE = ["compare", "--runs", "10000", "-q", "--stop", "russia/north-korea from 2025-01-01"]
RUN = ["run", "--runs", "10000", "-q", "--no-store"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    seconds(RUN, 1)  # compile, or load the compiled engine into the OS's cache
    run, compare = seconds(RUN, repeat), seconds(COMPARE, repeat)
    print(f"materiel {' '.join(RUN)}: {run:.2f} s")
    print(f"materiel {' '.join(COMPARE)}: {compare:.2f} s = {compare / run:.2f} × one run (target ≤ 2.2 ×)")


if __name__ == "__main__":
    main()

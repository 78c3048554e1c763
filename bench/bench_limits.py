"""Peak memory of `materiel run` at the largest ensemble it accepts: runs × lines at MAX_RUN_LINES.

The built-in scenario's 11 lines run for MAX_RUN_LINES ÷ 11 runs over a short horizon (the
memory bound is per run and line, not per step; a short horizon keeps the time to about a minute),
per-run outcomes only (`--no-store`, no report), in a fresh process; its peak RSS is measured by
the operating system's accounting (getrusage). docs/limits.md reports the figure.

Usage: python bench/bench_limits.py [--horizon 2022-04-30] [--step week]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

SCRIPT = """
import json, resource, sys, time
from materiel.scenario.limits import MAX_RUN_LINES
from materiel.scenario.loading import load_scenario
from materiel.scenario.variants import with_time_frame
from materiel.simulation import simulate
import datetime as dt

sc = with_time_frame(load_scenario("russia-ukraine-2022"), dt.date.fromisoformat(sys.argv[1]), sys.argv[2])
lines = sum(len(s.lines) for s in sc.sides.values())
runs = MAX_RUN_LINES // lines
began = time.perf_counter()
ens = simulate(sc, runs=runs, seed=0, keep=0)
doc = ens.summary()
print(json.dumps({"runs": runs, "lines": lines, "steps": ens.layout.steps, "seconds": time.perf_counter() - began,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--horizon", default="2022-04-30")
    parser.add_argument("--step", default="week")
    args = parser.parse_args()
    done = subprocess.run([sys.executable, "-c", SCRIPT, args.horizon, args.step], capture_output=True, text=True,
                          check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    outcomes = 12 * figures["runs"] * figures["lines"] / 2**20
    print(f"{figures['runs']:,} runs × {figures['lines']} lines × {figures['steps']} steps in "
          f"{figures['seconds']:.1f} s: peak RSS {figures['peak_rss_mib']:,.0f} MiB "
          f"({outcomes:,.0f} MiB of it the per-run outcomes at 12 bytes a run and line)")


if __name__ == "__main__":
    main()

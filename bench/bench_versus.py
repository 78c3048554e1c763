"""The compiled kernel of two versions of materiel, timed in turn on the built-in scenario's 100k-run
weekly ensemble, so that the machine's drift falls on both alike: the before/after figures of
docs/performance.md. BEFORE is a git revision (extracted with `git archive`); AFTER is one too, or
by default this working tree. Each round runs every version in its own process (draws made first,
the kernel loaded from numba's cache, then timed: the fastest of 3), and the medians over rounds
are compared.

Usage: python bench/bench_versus.py BEFORE [AFTER] [--rounds 8] [--one-core]
e.g.   python bench/bench_versus.py 2837097          # the engine before the mechanisms (issue 12)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Run inside each version's tree: written against the kernel's interface of both 2837097 and later
# (the conveyors' size and the Record's fields grew with the mechanisms).
TIMING = r"""
import json, sys, time
import numpy as np
from materiel.engine import kernel
from materiel.engine.draws import sample_draws
from materiel.engine.layout import layout
from materiel.scenario.loading import load_scenario

RUNS, one_core = 100_000, sys.argv[1] == "one"
lay = layout(load_scenario("russia-ukraine-2022"))
T, L = lay.steps, len(lay.lines)
d = sample_draws(lay, 0, np.arange(RUNS))
chunked = kernel.by_chunk(d)
M = (kernel.ring_size(d) if hasattr(kernel, "ring_size")
     else int(max(d.transit.delay.max(initial=0), d.imports.delay.max(initial=0))) + 1)
shapes = {"trajectories": ((0, len(kernel.VARIABLES), T, L), np.float32), "workforce": ((0, T, len(lay.sides)), np.float32),
          "series": ((5, T, L, 0), np.float32), "steps": ((2, RUNS, L), np.int64), "sums": ((4, RUNS, L), np.float64),
          "crossed": ((RUNS, len(getattr(lay, "races", []))), np.int64)}
rec = kernel.Record(*(np.empty(*shapes[f]) for f in kernel.Record._fields))
run = ((lambda: kernel._chunks(lay.grid, chunked, RUNS, 0, 1, M, rec)) if one_core
       else (lambda: kernel._run(lay.grid, chunked, RUNS, M, rec)))
run()  # compile, or load from the cache
times = []
for _ in range(3):
    began = time.perf_counter()
    run()
    times.append(time.perf_counter() - began)
print(json.dumps({"seconds": min(times), "line_steps": RUNS * T * L, "kernel": kernel.__file__}))
"""


def extract(revision: str, into: Path) -> Path:
    """The `materiel` package of a git revision, unpacked under `into`."""
    into.mkdir(parents=True)
    archive = into / "archive.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), revision, "materiel"],
                   check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def timed(tree: Path, where: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    if tree != REPO:  # an extracted revision: its compiled code cached beside it, in the temporary folder
        env["NUMBA_CACHE_DIR"] = str(tree / ".numba-cache")
    done = subprocess.run([sys.executable, "-c", TIMING, where], cwd=tree, env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", help="a git revision (default: this working tree)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--one-core", action="store_true")
    args = parser.parse_args()
    where = "one" if args.one_core else "all"
    with tempfile.TemporaryDirectory(prefix="materiel-versus-") as tmp:
        trees = {args.before: extract(args.before, Path(tmp) / "before")}
        trees[args.after or "working tree"] = extract(args.after, Path(tmp) / "after") if args.after else REPO
        seconds: dict[str, list[float]] = {name: [] for name in trees}
        first = {name: timed(tree, where) for name, tree in trees.items()}  # compiles, or loads the cache
        for name, result in first.items():
            print(f"{name}: {result['kernel']}", flush=True)
        for k in range(args.rounds):
            for name, tree in trees.items():
                result = timed(tree, where)
                seconds[name].append(result["seconds"])
                print(f"round {k + 1}/{args.rounds} {name}: {result['seconds']:.3f} s", flush=True)
        (before, b), (after, a) = ((name, statistics.median(s)) for name, s in seconds.items())
        line_steps = first[before]["line_steps"]
        print(f"\nkernel, 100,000 runs, {'one core' if args.one_core else 'all cores'}, median of {args.rounds} rounds:")
        for name, s in ((before, b), (after, a)):
            print(f"  {name}: {s:.3f} s = {line_steps / s / 1e6:.0f} M line-steps/s")
        print(f"  {after} ÷ {before} (line-steps/s): {b / a:.3f}")


if __name__ == "__main__":
    main()

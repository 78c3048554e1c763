"""The compiled kernel alone on the built-in scenario's 100k-run weekly ensemble: draws made first,
then the kernel timed (median of N), on all cores and on one. Usage: python bench/bench_kernel.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from materiel.engine import kernel
from materiel.engine.draws import sample_draws
from materiel.engine.layout import layout
from materiel.engine.mechanisms import repair
from materiel.scenario.loading import load_scenario

RUNS = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    lay = layout(load_scenario("russia-ukraine-2022"))
    T, L = lay.steps, len(lay.lines)
    d = sample_draws(lay, 0, np.arange(RUNS))
    chunked = kernel.by_chunk(d)
    M = int(max(d.transit.delay.max(initial=0), d.imports.delay.max(initial=0), repair.longest(d.repair))) + 1
    rec = kernel.Record(np.empty((0, len(kernel.VARIABLES), T, L), np.float32), np.empty((0, T, len(lay.sides)), np.float32),
                        np.empty((5, T, L, 0), np.float32), np.empty((2, RUNS, L), dtype=np.int64), np.empty((4, RUNS, L)),
                        np.empty((RUNS, len(lay.races)), dtype=np.int64))
    kernel._run(lay.grid, chunked, RUNS, M, rec)  # compile, or load from the cache
    for name, step in (("all cores", lambda: kernel._run(lay.grid, chunked, RUNS, M, rec)),
                       ("one core", lambda: kernel._chunks(lay.grid, chunked, RUNS, 0, 1, M, rec))):
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            step()
            times.append(time.perf_counter() - began)
        s = statistics.median(times)
        print(f"kernel, {RUNS:,} runs × {T} steps × {L} lines, {name}: {s:.3f} s = {RUNS * T * L / s / 1e6:.0f} M "
              f"line-steps/s (median of {repeat}; fastest {min(times):.3f} s)")


if __name__ == "__main__":
    main()

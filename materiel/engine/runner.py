"""The numpy engine (the readable baseline), and one block's outcomes from either engine.

In the numpy engine only time is looped; each step is the short list of flows in `step.py`
over [runs, lines]. `engine/kernel.py` is the same model compiled, and the default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from materiel.engine import step as flows
from materiel.engine.inputs import Inputs, Layout, expand, sample_draws
from materiel.engine.scalars import RunScalars

#: Per line and step. Stocks are at the end of the step; flows are totals over the step.
STOCKS = ("front", "pipeline", "storage")
FLOWS = ("demand", "lost", "shortfall", "produced", "refurbished", "drawn", "imported", "arrived", "coverage")
VARIABLES = STOCKS + FLOWS
BACKENDS = ("numba", "numpy")
#: Series whose per-step quantiles are sketched for every run (`bands`); supply = produced + refurbished + imported.
SKETCHED = ("front", "storage", "supply", "lost", "shortfall")


@dataclass
class Block:
    """Trajectories of one block of runs: `lines[var]` is [R, T, L]; `workforce` is [R, T, S]."""

    runs: np.ndarray
    lines: dict[str, np.ndarray]
    workforce: np.ndarray
    start: dict[str, np.ndarray]  # stocks before the first step, and drawable storage, [R, L]


def run_block(lay: Layout, inp: Inputs, runs: np.ndarray) -> Block:
    """Step one block of runs (with indices `runs`) through the whole horizon."""
    R, T, L = inp.demand.shape
    M = int(max(inp.delay.max(initial=0), inp.import_delay.max(initial=0))) + 1
    out = {v: np.empty((R, T, L)) for v in VARIABLES}
    workforce = np.empty((R, T, inp.workers.shape[1]))
    line_index = np.arange(L)

    front, stock, workers = inp.front.copy(), inp.stock.copy(), inp.workers.copy()
    pipeline = np.zeros((R, L, M))
    start = {"front": front.copy(), "pipeline": np.zeros((R, L)), "storage": flows.total(stock, axis=2),
             "drawable": flows.total(stock * (inp.yields > 0), axis=2)}
    sides = [lay.side_of_line == s for s in range(workers.shape[1])]

    for t in range(T):
        needed = inp.workers_needed[:, t]
        cov = flows.coverage(workers, needed, lay.side_of_line, lay.priority)
        needed_by_side = np.stack([flows.total(needed[:, side], axis=1) for side in sides], axis=1)
        workers = flows.hire(workers, needed_by_side, inp.pool, inp.hiring[:, t])
        produced = inp.capacity[:, t] * cov
        stock, drawn, refurbished = flows.refurbish(stock, inp.refurb_capacity[:, t], inp.yields)
        flows.ship(pipeline, produced + refurbished, (t + inp.delay) % M, line_index)
        imported = np.zeros((R, L))
        for p, line in enumerate(lay.supplier_line):
            amount = inp.imports[:, t, p]
            flows.ship(pipeline, amount[:, None], ((t + inp.import_delay[:, p]) % M)[:, None], np.array([line]))
            imported[:, line] += amount
        arrived = flows.unload(pipeline, t % M)
        front, lost, shortfall = flows.engage(front + arrived, inp.demand[:, t])

        for name, value in (("front", front), ("pipeline", flows.in_transit(pipeline, t)),
                            ("storage", flows.total(stock, axis=2)),
                            ("demand", inp.demand[:, t]), ("lost", lost), ("shortfall", shortfall),
                            ("produced", produced), ("refurbished", refurbished), ("drawn", drawn),
                            ("imported", imported), ("arrived", arrived), ("coverage", cov)):
            out[name][:, t] = value
        workforce[:, t] = workers
    return Block(runs, out, workforce, start)


@dataclass
class Outcome:
    """One block's outcomes: per-run scalars for every run, trajectories for the first `keep` runs."""

    runs: np.ndarray
    scalars: RunScalars
    lines: dict[str, np.ndarray]   # var → [k, T, L] for the block's runs with index < keep
    workforce: np.ndarray          # [k, T, S]
    bands: np.ndarray | None = None  # [5, T, L, BINS] histogram counts of `SKETCHED` series, every run


def outcome(lay: Layout, seed: int, runs: np.ndarray, keep: int, backend: str = "numba",
            dtype=np.float32, into: tuple[np.ndarray, np.ndarray] | None = None, bands: bool = False) -> Outcome:
    """Draw, step and reduce one block of consecutive runs; keep trajectories (as `dtype`) of runs below `keep`.

    `into`: where to write the kept trajectories [k, V, T, L] and workforce [k, T, S] (new arrays if None);
    C-contiguous, as a block of runs of the ensemble's store is, so the kernel has one signature.
    `bands`: also count every run's `SKETCHED` series in per-step histograms (engine/histogram.py).
    """
    T, L = lay.steps, len(lay.lines)
    k = int(np.count_nonzero(runs < keep))
    traj, workforce = into or (np.empty((k, len(VARIABLES), T, L), dtype=dtype),
                               np.empty((k, T, len(lay.sides)), dtype=dtype))
    series = np.empty((len(SKETCHED), T, L, runs.size if bands else 0), dtype=np.float32)
    draws = sample_draws(lay, seed, runs)
    if backend == "numpy":
        block = run_block(lay, expand(lay, draws), runs)
        for j, v in enumerate(VARIABLES):
            traj[:, j] = block.lines[v][:k]
        workforce[:] = block.workforce[:k]
        if bands:
            x = block.lines
            supply = x["produced"] + x["refurbished"] + x["imported"]
            for dest, values in zip(series, (x["front"], x["storage"], supply, x["lost"], x["shortfall"])):
                dest[:] = values.transpose(1, 2, 0)
        scalars = RunScalars.of(block)
    elif backend == "numba":
        from materiel.engine import kernel  # numba loads only when the compiled engine runs

        scalars = kernel.outcome(lay, draws, traj, workforce, series)
    else:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    counts = None
    if bands:
        from materiel.engine import histogram

        counts = np.zeros((len(SKETCHED), T, L, histogram.BINS), dtype=np.int32)
        histogram.add(counts, series)
    return Outcome(runs, scalars, {v: traj[:, j] for j, v in enumerate(VARIABLES)}, workforce, counts)


def blocks(total: int, size: int) -> Iterator[np.ndarray]:
    """Run indices in consecutive blocks of at most `size`."""
    for first in range(0, total, size):
        yield np.arange(first, min(first + size, total), dtype=np.int64)

"""The step loop over one block of runs, and the ensemble in blocks.

Only time is looped; each step is the short list of flows in `step.py` over [runs, lines].
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from materiel.engine import step as flows
from materiel.engine.inputs import Inputs, Layout, sample_inputs

#: Per line and step. Stocks are at the end of the step; flows are totals over the step.
STOCKS = ("front", "pipeline", "storage")
FLOWS = ("demand", "lost", "shortfall", "produced", "refurbished", "drawn", "imported", "arrived", "coverage")
VARIABLES = STOCKS + FLOWS


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
    start = {"front": front.copy(), "pipeline": np.zeros((R, L)), "storage": stock.sum(axis=2),
             "drawable": (stock * (inp.yields > 0)).sum(axis=2)}

    for t in range(T):
        needed = inp.workers_needed[:, t]
        cov = flows.coverage(workers, needed, lay.side_of_line, lay.priority)
        needed_by_side = np.stack([needed[:, lay.side_of_line == s].sum(axis=1) for s in range(workers.shape[1])], axis=1)
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

        for name, value in (("front", front), ("pipeline", pipeline.sum(axis=2)), ("storage", stock.sum(axis=2)),
                            ("demand", inp.demand[:, t]), ("lost", lost), ("shortfall", shortfall),
                            ("produced", produced), ("refurbished", refurbished), ("drawn", drawn),
                            ("imported", imported), ("arrived", arrived), ("coverage", cov)):
            out[name][:, t] = value
        workforce[:, t] = workers
    return Block(runs, out, workforce, start)


def blocks(total: int, size: int) -> Iterator[np.ndarray]:
    """Run indices in consecutive blocks of at most `size`."""
    for first in range(0, total, size):
        yield np.arange(first, min(first + size, total), dtype=np.int64)


def run_ensemble(lay: Layout, seed: int, runs: int, block_size: int,
                 on_block: Callable[[Block], None]) -> None:
    """Run `runs` runs in blocks, handing each finished block to `on_block` (in run order)."""
    for index in blocks(runs, block_size):
        on_block(run_block(lay, sample_inputs(lay, seed, index), index))

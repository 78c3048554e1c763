"""The model's mechanisms, one module each. A mechanism is one unit:

- `Pars`, a named tuple of the per-run numbers it reads, and `draw(lay, q, runs)`, which fills them
  from the scenario; `q(quantity, path)` draws a quantity by its scenario path (the path keys its
  random numbers, engine/sampling.py). Every array has runs last, [lines, …, runs]; the kernel
  reads them by chunk, [chunk, lines, …, runs of the chunk] (`kernel.by_chunk`).
- the state it owns (`start`: its value before the first step, [.., n] for the chunk's n runs),
  and its flow functions, compiled (numba) over one chunk c of runs, which read and write the
  step's rows x[row, line, run] (engine/variables.py);
- `stock_flow(lay, d, i)`, what it contributes to the exported stock-and-flow model for line (or
  side) i of the first run of draws `d` by chunk (interop/build.py gathers them).

engine/kernel.py calls the flows in the order of docs/model.md's "One step, in order".
"""

from __future__ import annotations

from collections.abc import Callable

import numba as nb
import numpy as np

from materiel.scenario.limits import MAX_TRANSIT_DAYS
from materiel.scenario.quantity import DAYS_PER, Quantity
from materiel.scenario.schema import Schedule

#: Draws one quantity for every run of the block: q(quantity, scenario path) → [runs].
Draw = Callable[[Quantity, str], np.ndarray]


def schedule_values(q: Draw, schedule: Schedule, path: str) -> list[np.ndarray]:
    """A schedule's values, one draw per dated point, keyed by the point's date."""
    return [q(v, f"{path}.values.{d.isoformat()}") for d, v in schedule.values.items()]


def in_steps(days: np.ndarray, step: str) -> np.ndarray:
    """Whole steps of a transit, within the schema's bound: it sizes and indexes the kernel's conveyor."""
    return np.rint(np.clip(days, 0.0, MAX_TRANSIT_DAYS) / DAYS_PER[step]).astype(np.int64)


def stack(columns: list[np.ndarray], runs: int) -> np.ndarray:
    """Per-column draws [runs] as one array [columns, runs]."""
    return np.stack(columns) if columns else np.empty((0, runs))


@nb.njit(inline="always")
def amounts(sparse, row, values, c, n, out):
    """One owner's amount in one step (row = owner·T + t) for the n runs of chunk c: its non-zero
    weights times the drawn values [chunks, columns, runs], in column order."""
    out[:n] = 0.0
    for e in range(sparse.start[row], sparse.start[row + 1]):
        w = sparse.weight[e]
        col = sparse.column[e]
        for j in range(n):
            out[j] += values[c, col, j] * w


@nb.njit
def over_steps(sparse, owners, steps, values):
    """Every owner's amount in every step [steps, owners] for the first run of `values` [chunks, columns, runs]."""
    out = np.empty((steps, owners))
    amount = np.empty(1)
    for k in range(owners):
        for t in range(steps):
            amounts(sparse, k * steps + t, values, 0, 1, amount)
            out[t, k] = amount[0]
    return out

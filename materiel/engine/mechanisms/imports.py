"""Imports: each supplier's deliveries (quantities over dated windows, spread evenly over their
days) go onto the conveyor of the line they supply with the supplier's own transit delay.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import numba as nb
import numpy as np

from materiel.engine.layout import Layout
from materiel.engine.mechanisms import Draw, amounts, in_steps, over_steps, stack
from materiel.engine.stockflow import Flow, Variable, ident, per_step, total
from materiel.engine.variables import IMPORTED
from materiel.scenario.schema import Supplier


class Pars(NamedTuple):
    """Every delivery's quantity [columns of lay.deliveries, R] and each supplier's delay [P, R]."""

    quantity: np.ndarray
    delay: np.ndarray  # transit, whole steps (int64)


def keys(supplier: Supplier) -> list[str]:
    """What keys each delivery's draws: its `id`, else its dates `START..END` (a repeat gets `#2`, `#3` …),
    never its place in the list, so adding or moving one delivery leaves the others' draws alone."""
    seen: Counter[str] = Counter()
    out = []
    for d in supplier.deliveries:
        key = d.id or f"{d.start.isoformat()}..{d.end.isoformat()}"
        seen[key] += 1
        out.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return out


def draw(lay: Layout, q: Draw, runs: int) -> Pars:
    quantities, delay = [], np.zeros((len(lay.suppliers), runs), dtype=np.int64)
    for k, (s, name) in enumerate(lay.suppliers):
        sup, path = lay.scenario.sides[s].suppliers[name], f"sides.{s}.suppliers.{name}"
        quantities += [q(d.quantity, f"{path}.deliveries.{key}.quantity") for d, key in zip(sup.deliveries, keys(sup))]
        delay[k] = in_steps(q(sup.transit_days, f"{path}.transit_days"), lay.scenario.step)
    return Pars(stack(quantities, runs), delay)


@nb.njit
def deliver(t, grid, p, c, n, pipe, x, amount):
    """Step t's deliveries onto each line's conveyor, supplier by supplier."""
    T, M = grid.edges.shape[0] - 1, pipe.shape[1]
    slot = t % M
    for i in range(pipe.shape[0]):
        if grid.supplier_start[i] == grid.supplier_start[i + 1]:
            continue  # no suppliers: its row stays 0
        for j in range(n):
            x[IMPORTED, i, j] = 0.0
        for e in range(grid.supplier_start[i], grid.supplier_start[i + 1]):
            sup = grid.supplier[e]
            if grid.deliveries.start[sup * T + t] == grid.deliveries.start[sup * T + t + 1]:
                continue  # nothing delivered in this step
            amounts(grid.deliveries, sup * T + t, p.quantity, c, n, amount)
            for j in range(n):
                k = slot + p.delay[c, sup, j]
                pipe[i, k - M if k >= M else k, j] += amount[j]
                x[IMPORTED, i, j] += amount[j]


def suppliers_of(lay: Layout, i: int) -> list[int]:
    """The suppliers of line i, in supplier order."""
    return [k for k in range(len(lay.suppliers)) if lay.supplier_line[k] == i]


def stock_flow(lay: Layout, d, i: int) -> list[Variable]:
    """Each supplier's deliveries to line i (per-step tables), and their total."""
    side, name = lay.lines[i]
    unit = lay.scenario.sides[side].lines[name].unit
    delivered = over_steps(lay.grid.deliveries, len(lay.suppliers), lay.steps, d.imports.quantity)
    flows = [Flow(ident(side, name, "imported", lay.suppliers[k][1]), per_step(delivered[:, k]),
                  f"Delivered by {lay.suppliers[k][1]} ({unit})") for k in suppliers_of(lay, i)]
    return flows + [Flow(ident(side, name, "imported"), total([f.name for f in flows]), f"Delivered by suppliers ({unit})")]

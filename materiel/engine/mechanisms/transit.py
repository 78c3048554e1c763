"""Transit to the front: what a line produces and refurbishes enters a conveyor (the pipeline) and
arrives after the line's transit delay, in whole steps; imports ride the same conveyor
(mechanisms/imports.py). The conveyor has M slots: what arrives k steps after step t sits in
slot (t + k) mod M.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from materiel.engine.layout import Layout
from materiel.engine.mechanisms import Draw, imports, in_steps
from materiel.engine.stockflow import Aux, Flow, Ref, Stock, Variable, ident, total
from materiel.engine.variables import ARRIVED, PRODUCED, REFURBISHED


class Pars(NamedTuple):
    """Per line and run [L, R]."""

    delay: np.ndarray  # transit, whole steps (int64)


def draw(lay: Layout, q: Draw, runs: int) -> Pars:
    delay = np.zeros((len(lay.lines), runs), dtype=np.int64)
    for i, (s, name) in enumerate(lay.lines):
        line = lay.scenario.sides[s].lines[name]
        delay[i] = in_steps(q(line.transit_days, f"sides.{s}.lines.{name}.transit_days"), lay.scenario.step)
    return Pars(delay)


@nb.njit
def start(L, M, n):
    """The state: the conveyor, empty [L, M, n]."""
    return np.zeros((L, M, n))


@nb.njit
def ship(t, grid, p, c, n, pipe, x):
    """Put step t's produced and refurbished units on the conveyor, to arrive after the line's delay."""
    M = pipe.shape[1]
    slot = t % M
    for i in range(pipe.shape[0]):
        if not grid.ships[i]:
            continue  # no production, no storage: nothing to ship
        for j in range(n):
            k = slot + p.delay[c, i, j]
            pipe[i, k - M if k >= M else k, j] += x[PRODUCED, i, j] + x[REFURBISHED, i, j]


@nb.njit
def arrive(t, n, pipe, x):
    """Take what arrives in step t off the conveyor."""
    slot = t % pipe.shape[1]
    for i in range(pipe.shape[0]):
        for j in range(n):
            x[ARRIVED, i, j] = pipe[i, slot, j]
            pipe[i, slot, j] = 0.0


@nb.njit(inline="always")
def in_transit(t, pipe, i, j):
    """Units of line i on the conveyor for run j after step t's arrivals, summed by steps to arrival
    (not by slot, so the total does not depend on the conveyor's length)."""
    M = pipe.shape[1]
    total = 0.0
    for k in range(M):
        total += pipe[i, (t + k) % M, j]
    return total


def _entering(lay: Layout, d, i: int) -> dict[int, list[str]]:
    """The flows that enter line i's conveyor, by steps until they arrive (0: straight to the front)."""
    side, name = lay.lines[i]
    line = lay.scenario.sides[side].lines[name]
    entering: dict[int, list[str]] = {}
    if line.production is not None or lay.classes[i]:
        entering.setdefault(int(d.transit.delay[0, i, 0]), []).extend(
            [ident(side, name, "produced"), ident(side, name, "refurbished")])
    for k in imports.suppliers_of(lay, i):
        entering.setdefault(int(d.imports.delay[0, k, 0]), []).append(ident(side, name, "imported", lay.suppliers[k][1]))
    return entering


def arriving(lay: Layout, d, i: int) -> list[str]:
    """The flows that reach line i's front in a step: out of the last pipeline stock, and those with no delay."""
    entering = _entering(lay, d, i)
    return ([ident(*lay.lines[i], "transit", 1)] if max(entering, default=0) else []) + entering.get(0, [])


def stock_flow(lay: Layout, d, i: int) -> list[Variable]:
    """Line i's conveyor as a chain of stocks pipeline_k (k steps from the front), and what arrives."""
    side, name = lay.lines[i]
    unit = lay.scenario.sides[side].lines[name].unit
    v = lambda *parts: ident(side, name, *parts)  # noqa: E731
    entering = _entering(lay, d, i)
    longest = max(entering, default=0)
    out: list[Variable] = []
    for k in range(longest, 0, -1):
        onward = (v("transit", k + 1),) if k < longest else ()
        out += [
            Stock(v("pipeline", k), 0.0, inflows=onward + tuple(entering.get(k, ())), outflows=(v("transit", k),),
                  doc=f"In transit, {k} step{'s' if k > 1 else ''} from the front ({unit})"),
            Flow(v("transit", k), Ref(v("pipeline", k)),
                 f"Moving on from pipeline_{k} ({'to the front' if k == 1 else f'to pipeline_{k - 1}'}) ({unit})"),
        ]
    return out + [
        Aux(v("pipeline"), total([v("pipeline", k) for k in range(1, longest + 1)]), f"In transit, all steps ({unit})"),
        Flow(v("arrived"), total(arriving(lay, d, i)), f"Arriving at the front ({unit})"),
    ]

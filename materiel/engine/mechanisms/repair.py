"""Repair of battle damage: a fraction of what the front loses enters the workshop and returns to
the front after the line's repair delay, in whole steps (at least one: what is lost in a step comes
back in a later one). The workshop is a conveyor like transit's: what returns k steps after step t
sits in slot (t + k) mod M.

    repaired = what the workshop releases this step (to the front, before the step's losses)
    workshop += fraction × lost
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from materiel.engine.layout import Layout
from materiel.engine.mechanisms import Draw, in_steps
from materiel.engine.stockflow import Aux, Flow, Ref, Stock, Variable, call, ident, total
from materiel.engine.variables import FRONT, LOST, REPAIRED


class Pars(NamedTuple):
    """Per line and run [L, R]; a line without repair has fraction 0."""

    fraction: np.ndarray  # share of losses repaired
    delay: np.ndarray     # whole steps from loss to return, at least 1 (int64)


def draw(lay: Layout, q: Draw, runs: int) -> Pars:
    L = len(lay.lines)
    p = Pars(np.zeros((L, runs)), np.ones((L, runs), dtype=np.int64))
    for i, (s, name) in enumerate(lay.lines):
        repair, path = lay.scenario.sides[s].lines[name].repair, f"sides.{s}.lines.{name}.repair"
        if repair is not None:
            p.fraction[i] = q(repair.fraction, f"{path}.fraction")
            p.delay[i] = np.maximum(in_steps(q(repair.delay_days, f"{path}.delay_days"), lay.scenario.step), 1)
    return p


def longest(p: Pars) -> int:
    """The longest repair delay of the block, in steps (it sizes the kernel's conveyors)."""
    return int(p.delay.max(initial=1))


@nb.njit
def start(L, M, n):
    """The state: the workshop, empty [L, M, n]."""
    return np.zeros((L, M, n))


@nb.njit
def release(t, grid, n, shop, front, x):
    """What the workshop returns in step t rejoins the front."""
    slot = t % shop.shape[1]
    for i in range(shop.shape[0]):
        if not grid.repairs[i]:
            continue
        for j in range(n):
            back = shop[i, slot, j]
            shop[i, slot, j] = 0.0
            x[REPAIRED, i, j] = back
            front[i, j] += back
            x[FRONT, i, j] = front[i, j]


@nb.njit
def intake(t, grid, p, c, n, shop, x):
    """The repairable share of step t's losses enters the workshop, to return after the delay."""
    M = shop.shape[1]
    slot = t % M
    for i in range(shop.shape[0]):
        if not grid.repairs[i]:
            continue
        for j in range(n):
            f = p.fraction[c, i, j]
            if f > 0.0:
                k = slot + p.delay[c, i, j]
                shop[i, k - M if k >= M else k, j] += f * x[LOST, i, j]


@nb.njit(inline="always")
def in_repair(t, shop, i, j):
    """Units of line i in the workshop for run j after step t."""
    total = 0.0
    for k in range(shop.shape[1]):
        total += shop[i, k, j]
    return total


def stock_flow(lay: Layout, d, i: int) -> list[Variable]:
    """Line i's workshop as a chain of stocks repair_k (k steps from return), fed by fraction × lost."""
    side, name = lay.lines[i]
    unit = lay.scenario.sides[side].lines[name].unit
    v = lambda *parts: ident(side, name, *parts)  # noqa: E731
    fraction, delay = float(d.repair.fraction[0, i, 0]), int(d.repair.delay[0, i, 0])
    if fraction == 0.0:
        return [Aux(v("workshop"), 0.0, f"Under repair ({unit})"), Flow(v("repaired"), 0.0, f"Returned from repair ({unit})")]
    out: list[Variable] = []
    for k in range(delay, 0, -1):
        inflow = (v("damaged"),) if k == delay else (v("mending", k + 1),)
        outflow = v("repaired") if k == 1 else v("mending", k)
        out += [Stock(v("workshop", k), 0.0, inflows=inflow, outflows=(outflow,),
                      doc=f"Under repair, {k} step{'s' if k > 1 else ''} from return ({unit})")]
        if k > 1:
            out.append(Flow(v("mending", k), Ref(v("workshop", k)), f"Moving on from workshop_{k} ({unit})"))
    return out + [
        Flow(v("damaged"), call("*", fraction, v("lost")), f"Losses that will be repaired ({unit})"),
        Flow(v("repaired"), Ref(v("workshop", 1)), f"Returned from repair ({unit})"),
        Aux(v("workshop"), total([v("workshop", k) for k in range(1, delay + 1)]), f"Under repair, all steps ({unit})"),
    ]

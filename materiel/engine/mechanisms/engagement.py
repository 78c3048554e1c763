"""Engagement: the front meets the step's demand (losses for equipment, consumption for
ammunition) from what it holds and what arrives; what it cannot meet is the shortfall.

    lost = min(demand, front + arrived);  front = front + arrived − lost;  shortfall = demand − lost
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from materiel.engine.layout import Layout
from materiel.engine.mechanisms import Draw, amounts, over_steps, schedule_values, stack, transit
from materiel.engine.stockflow import Flow, Stock, Variable, call, ident, per_step
from materiel.engine.variables import ARRIVED, DEMAND, FRONT, LOST, SHORTFALL


class Pars(NamedTuple):
    """Units in the field at the start [L, R] and every demand schedule's rates [columns, R]."""

    front: np.ndarray
    demand: np.ndarray


def draw(lay: Layout, q: Draw, runs: int) -> Pars:
    front, rates = np.zeros((len(lay.lines), runs)), []
    for i, (s, name) in enumerate(lay.lines):
        line, path = lay.scenario.sides[s].lines[name], f"sides.{s}.lines.{name}"
        front[i] = q(line.front, f"{path}.front")
        rates += schedule_values(q, line.demand, f"{path}.demand")
    return Pars(front, stack(rates, runs))


@nb.njit
def start(p, c, n):
    """The state: units in the field [L, n]."""
    return p.front[c, :, :n].copy()


@nb.njit
def engage(t, grid, p, c, n, front, x, amount):
    """Step t's demand met from the front and what arrived."""
    T = grid.edges.shape[0] - 1
    for i in range(front.shape[0]):
        amounts(grid.demand, i * T + t, p.demand, c, n, amount)
        for j in range(n):
            demand = amount[j]
            available = front[i, j] + x[ARRIVED, i, j]
            lost = min(demand, available)
            front[i, j] = available - lost
            x[DEMAND, i, j] = demand
            x[LOST, i, j] = lost
            x[SHORTFALL, i, j] = demand - lost
            x[FRONT, i, j] = front[i, j]


def stock_flow(lay: Layout, d, i: int) -> list[Variable]:
    """Line i's demand (a per-step table), the front stock and what it loses or cannot meet."""
    side, name = lay.lines[i]
    unit = lay.scenario.sides[side].lines[name].unit
    v = lambda *parts: ident(side, name, *parts)  # noqa: E731
    demand = over_steps(lay.grid.demand, len(lay.lines), lay.steps, d.engagement.demand)[:, i]
    return [
        Flow(v("demand"), per_step(demand), f"Losses or consumption the front incurs ({unit})"),
        Stock(v("front"), float(d.engagement.front[0, i, 0]), inflows=tuple(transit.arriving(lay, d, i)),
              outflows=(v("lost"),), doc=f"In the field ({unit})"),
        Flow(v("lost"), call("min", v("demand"), call("+", v("front"), v("arrived"))),
             f"Demand met: lost or consumed ({unit})"),
        Flow(v("shortfall"), call("-", v("demand"), v("lost")), f"Demand that could not be met ({unit})"),
    ]

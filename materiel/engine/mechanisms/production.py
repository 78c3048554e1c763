"""Production: capacity ramping from `base` to `base × multiplier` over `ramp_years`, plus any dated
capacity schedule (a licensed line from the day it starts), the workers it needs, and what is
produced with the workers it gets.

    capacity       = base × (1 + (multiplier − 1) × ramp averaged over the step) × step days
                     + the capacity schedule's amount in the step
    workers_needed = capacity rate per year × workers_per_unit
    produced       = capacity × coverage
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from materiel.engine.layout import YEAR, Layout
from materiel.engine.mechanisms import Draw, amounts, schedule_values, stack
from materiel.engine.stockflow import Aux, Flow, Variable, call, ident, per_step
from materiel.engine.variables import CAPACITY, COVERAGE, PRODUCED, ROWS, WORKERS_NEEDED
from materiel.scenario.quantity import DAYS_PER


class Pars(NamedTuple):
    """Per line and run [L, R]; a line without production has base 0."""

    base: np.ndarray              # production per day before the ramp
    multiplier: np.ndarray        # capacity after the ramp ÷ before
    ramp_days: np.ndarray         # length of the ramp, at least 1e-9 days
    workers_per_unit: np.ndarray  # workers per unit a year
    scheduled: np.ndarray         # capacity schedules' rates [columns of lay.capacity, R]


def draw(lay: Layout, q: Draw, runs: int) -> Pars:
    L = len(lay.lines)
    base, multiplier, ramp_days, workers_per_unit = np.zeros((L, runs)), np.ones((L, runs)), np.ones((L, runs)), np.zeros((L, runs))
    rates = []
    for i, (s, name) in enumerate(lay.lines):
        prod, path = lay.scenario.sides[s].lines[name].production, f"sides.{s}.lines.{name}.production"
        if prod is not None:
            base[i] = q(prod.base, f"{path}.base") / DAYS_PER[prod.per]
            multiplier[i] = q(prod.multiplier, f"{path}.multiplier")
            ramp_days[i] = np.maximum(q(prod.ramp_years, f"{path}.ramp_years") * YEAR, 1e-9)
            workers_per_unit[i] = q(prod.workers_per_unit, f"{path}.workers_per_unit")
            if prod.capacity is not None:
                rates += schedule_values(q, prod.capacity, f"{path}.capacity")
    return Pars(base, multiplier, ramp_days, workers_per_unit, stack(rates, runs))


@nb.njit(inline="always")
def _ramp_integral(x, r):
    """∫_0^x clip(u / r, 0, 1) du: the ramp's progress summed over x days."""
    if x <= 0:
        return 0.0
    if x <= r:
        return x * x / (2 * r)
    return x - r / 2


@nb.njit
def start(grid, p, c, n):
    """The state: each line's ramp integral up to the start of the next step [L, n]."""
    L = grid.classes.shape[0]
    ramp = np.empty((L, n))
    for i in range(L):
        for j in range(n):
            ramp[i, j] = _ramp_integral(grid.edges[0] - grid.ramp_start[i], p.ramp_days[c, i, j])
    return ramp


@nb.njit
def capacity(t, grid, p, c, n, ramp, x, scheduled):
    """Step t's capacity at full workforce and the workers it needs; the ramp's integral moves on."""
    days = grid.edges[t + 1] - grid.edges[t]
    T = grid.edges.shape[0] - 1
    for i in range(ramp.shape[0]):
        x1 = grid.edges[t + 1] - grid.ramp_start[i]
        dated = grid.scheduled[i]
        if dated:
            amounts(grid.capacity, i * T + t, p.scheduled, c, n, scheduled)
        for j in range(n):
            end = _ramp_integral(x1, p.ramp_days[c, i, j])
            frac = (end - ramp[i, j]) / days
            ramp[i, j] = end
            per_day = p.base[c, i, j] * (1.0 + (p.multiplier[c, i, j] - 1.0) * frac)
            if dated:
                per_day += scheduled[j] / days
            x[CAPACITY, i, j] = per_day * days
            x[WORKERS_NEEDED, i, j] = per_day * YEAR * p.workers_per_unit[c, i, j]


@nb.njit
def produce(n, x):
    """What the workers a line gets make of its capacity."""
    for i in range(x.shape[1]):
        for j in range(n):
            x[PRODUCED, i, j] = x[CAPACITY, i, j] * x[COVERAGE, i, j]


@nb.njit
def over_steps(grid, p):
    """Capacity and workers needed of the first run in every step [2, T, L]."""
    T, L = grid.edges.shape[0] - 1, grid.classes.shape[0]
    x = np.zeros((ROWS, L, 1))
    ramp = start(grid, p, 0, 1)
    out = np.empty((2, T, L))
    scheduled = np.empty(1)
    for t in range(T):
        capacity(t, grid, p, 0, 1, ramp, x, scheduled)
        for i in range(L):
            out[0, t, i] = x[CAPACITY, i, 0]
            out[1, t, i] = x[WORKERS_NEEDED, i, 0]
    return out


def needs_workers(lay: Layout, d, i: int) -> bool:
    """Whether line i of the run needs workers in any step."""
    return bool(over_steps(lay.grid, d.production)[1, :, i].any())


def stock_flow(lay: Layout, d, i: int) -> list[Variable]:
    """capacity and workers_needed (per-step tables), produced = capacity × coverage."""
    side, name = lay.lines[i]
    unit = lay.scenario.sides[side].lines[name].unit
    if lay.scenario.sides[side].lines[name].production is None:
        return [Flow(ident(side, name, "produced"), 0.0, f"New production ({unit})")]
    capacity_, needed = over_steps(lay.grid, d.production)[:, :, i]
    out: list[Variable] = [Aux(ident(side, name, "capacity"), per_step(capacity_), f"Production at full workforce ({unit})")]
    if needed.any():
        out.append(Aux(ident(side, name, "workers_needed"), per_step(needed), "Workers full capacity needs"))
    return out + [Flow(ident(side, name, "produced"), call("*", ident(side, name, "capacity"), ident(side, name, "coverage")),
                       f"New production ({unit})")]

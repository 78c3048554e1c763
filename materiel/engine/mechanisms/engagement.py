"""Engagement: the front meets the step's demand (losses for equipment, consumption for
ammunition) from what it holds and what arrives; what it cannot meet is the shortfall.

    available = front + arrived (+ repaired, already on the front)
    planned   = the demand schedule's amount, or, for a line without one, attrition share × available
    demand    = planned × (fired ÷ planned of the coupled line, previous step)^elasticity
                (the power as exp(elasticity × log fired), engine/power.py: it vectorises)
    lost      = min(demand, available, attrition share × available);  front = available − lost
    shortfall = demand − lost

A line without a coupling has a factor of 1; without an attrition schedule, no cap but what is
available; without a demand schedule, its losses are a share of what it fields and it is never
short. The coupling reads the other line's previous step, so lines never wait on each other.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np

from materiel.engine.layout import Layout
from materiel.engine.power import log_unit, power_of_log
from materiel.engine.mechanisms import Draw, amounts, over_steps, schedule_values, stack, transit
from materiel.engine.stockflow import Aux, Flow, Ref, Stock, Variable, call, ident, per_step
from materiel.engine.variables import ARRIVED, DEMAND, FRONT, LOST, SHORTFALL


class Pars(NamedTuple):
    """Per line and run [L, R] and the schedules' rates [columns, R]."""

    front: np.ndarray       # units in the field at the start
    demand: np.ndarray      # demand schedules' rates
    attrition: np.ndarray   # attrition schedules' rates (share of the field lost per time unit)
    elasticity: np.ndarray  # of the line's demand to its coupled line's fire (0: not coupled)


def draw(lay: Layout, q: Draw, runs: int) -> Pars:
    front, elasticity, rates, shares = np.zeros((len(lay.lines), runs)), np.zeros((len(lay.lines), runs)), [], []
    for i, (s, name) in enumerate(lay.lines):
        line, path = lay.scenario.sides[s].lines[name], f"sides.{s}.lines.{name}"
        front[i] = q(line.front, f"{path}.front")
        if line.demand is not None:
            rates += schedule_values(q, line.demand, f"{path}.demand")
        if line.attrition is not None:
            shares += schedule_values(q, line.attrition, f"{path}.attrition")
        if line.coupling is not None:
            elasticity[i] = q(line.coupling.elasticity, f"{path}.coupling.elasticity")
    return Pars(front, stack(rates, runs), stack(shares, runs), elasticity)


@nb.njit
def start(p, c, n):
    """The state: units in the field [L, n], and the logarithm of each line's fired ÷ planned in the
    step before [L, n] (0 before the first: fired in full)."""
    return p.front[c, :, :n].copy(), np.zeros((p.front.shape[1], n))


@nb.njit
def engage(t, grid, p, c, n, state, x, amount, cap):
    """Step t's demand met from the front and what arrived; then each line's fired ÷ planned, which
    its coupled lines read in the next step (as its logarithm)."""
    front, log_fired = state
    T = grid.edges.shape[0] - 1
    for i in range(front.shape[0]):
        capped = grid.capped[i]
        if capped:
            amounts(grid.attrition, i * T + t, p.attrition, c, n, cap)
        if grid.rated[i]:
            for j in range(n):
                amount[j] = min(cap[j], 1.0) * (front[i, j] + x[ARRIVED, i, j])
        else:
            amounts(grid.demand, i * T + t, p.demand, c, n, amount)
        src = grid.coupled_to[i]
        if src >= 0:
            for j in range(n):
                amount[j] *= power_of_log(log_fired[src, j], p.elasticity[c, i, j])
        for j in range(n):
            demand = amount[j]
            available = front[i, j] + x[ARRIVED, i, j]
            lost = min(demand, available)
            if capped:
                lost = min(lost, min(cap[j], 1.0) * available)
            front[i, j] = available - lost
            x[DEMAND, i, j] = demand
            x[LOST, i, j] = lost
            x[SHORTFALL, i, j] = demand - lost
            x[FRONT, i, j] = front[i, j]
    for i in range(front.shape[0]):
        if grid.read[i]:
            for j in range(n):
                log_fired[i, j] = log_unit(x[LOST, i, j] / x[DEMAND, i, j] if x[DEMAND, i, j] > 0.0 else 1.0)


def stock_flow(lay: Layout, d, i: int) -> list[Variable]:
    """Line i's demand (a per-step table, or a share of what it fields, times the coupled line's fire),
    the front stock, what it loses or cannot meet, and, for a line that couplings read, its fire of
    the step before."""
    side, name = lay.lines[i]
    line = lay.scenario.sides[side].lines[name]
    v = lambda *parts: ident(side, name, *parts)  # noqa: E731
    L, T = len(lay.lines), lay.steps
    inflows = tuple(transit.arriving(lay, d, i)) + ((v("repaired"),) if d.repair.fraction[0, i, 0] > 0 else ())
    available = call("+", v("front"), *inflows) if inflows else Ref(v("front"))
    out: list[Variable] = []
    if lay.grid.capped[i]:
        out.append(Aux(v("attrition"), per_step(over_steps(lay.grid.attrition, L, T, d.engagement.attrition)[:, i]),
                       "Share of the field lost in the step" + ("" if line.rated else " at most")))
        share = call("*", call("min", v("attrition"), 1.0), available)
    if line.rated:
        planned, what = share, "the attrition share of what it fields"
    else:
        planned, what = per_step(over_steps(lay.grid.demand, L, T, d.engagement.demand)[:, i]), "scheduled"
    src = int(lay.coupled_to[i])
    if src >= 0:
        out += [Aux(v("planned"), planned, f"Demand at the opposing side's full fire: {what} ({line.unit})"),
                Flow(v("demand"), call("*", v("planned"), call("^", ident(*lay.lines[src], "fired_before"),
                                                               float(d.engagement.elasticity[0, i, 0]))),
                     f"Losses or consumption the front incurs: planned × (opposing fire ÷ its plan)^elasticity ({line.unit})")]
    else:
        out.append(Flow(v("demand"), planned, f"Losses or consumption the front incurs: {what} ({line.unit})"))
    lost = call("min", v("demand"), available)
    if lay.grid.capped[i]:
        lost = call("min", lost, share)
    out += [
        Stock(v("front"), float(d.engagement.front[0, i, 0]), inflows=inflows, outflows=(v("lost"),),
              doc=f"In the field ({line.unit})"),
        Flow(v("lost"), lost, f"Demand met: lost or consumed ({line.unit})"),
        Flow(v("shortfall"), call("-", v("demand"), v("lost")), f"Demand that could not be met ({line.unit})"),
    ]
    if i in lay.coupled_to:
        out += [
            # MAX(demand, the least positive double): no 0 ÷ 0 in tools that work out both branches
            # of an IF, and the engine's lost ÷ demand for every demand above 0
            Aux(v("fired"), call("if", call(">", v("demand"), 0.0),
                                 call("/", v("lost"), call("max", v("demand"), math.ulp(0.0))), 1.0),
                "Share of the demand met in the step (1 where there was none)"),
            Aux(v("fired_before"), call("previous", v("fired"), 1.0), "`fired` of the step before (1 at the first)"),
        ]
    return out

"""Refurbishment of stored units: up to the `refurbish` schedule's capacity, units are drawn from
storage best class first (the order written); `refurbished = Σ drawn × yield`, the rest is scrapped.
Classes with a yield of 0 are never drawn: they hold nothing that could come out.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from materiel.engine.layout import Layout
from materiel.engine.mechanisms import Draw, amounts, over_steps, schedule_values, stack
from materiel.engine.stockflow import Aux, Expr, Flow, Stock, Variable, call, ident, per_step, total
from materiel.engine.variables import DRAWN, REFURBISHED


class Pars(NamedTuple):
    """Storage by line, class and run [L, C, R] (unused classes 0), and the refurbishment schedules' rates."""

    stock: np.ndarray   # units in storage at the start
    yields: np.ndarray  # serviceable fraction of units drawn
    rates: np.ndarray   # [columns of lay.refurbish, R]


def draw(lay: Layout, q: Draw, runs: int) -> Pars:
    L, C = len(lay.lines), lay.max_classes
    stock, yields, rates = np.zeros((L, C, runs)), np.zeros((L, C, runs)), []
    for i, (s, name) in enumerate(lay.lines):
        line, path = lay.scenario.sides[s].lines[name], f"sides.{s}.lines.{name}"
        for k, (cname, cls) in enumerate(line.storage.items()):
            stock[i, k] = q(cls.stock, f"{path}.storage.{cname}.stock")
            yields[i, k] = q(cls.yield_, f"{path}.storage.{cname}.yield")
        if line.refurbish is not None:
            rates += schedule_values(q, line.refurbish, f"{path}.refurbish")
    return Pars(stock, yields, stack(rates, runs))


@nb.njit
def start(p, c, n):
    """The state: units in storage by line and class [L, C, n]."""
    return p.stock[c, :, :, :n].copy()


@nb.njit(inline="always")
def storage(stock, i, n, C, out):
    """Units of line i in storage for each of n runs, its C classes summed in class order, into out."""
    out[:n] = 0.0
    for k in range(C):
        for j in range(n):
            out[j] += stock[i, k, j]


@nb.njit
def drawable(grid, p, c, n):
    """Units in storage at the start that refurbishment can draw (classes with a yield) [L, n]."""
    L = grid.classes.shape[0]
    out = np.zeros((L, n))
    for i in range(L):
        for k in range(grid.classes[i]):
            for j in range(n):
                out[i, j] += p.stock[c, i, k, j] * (1.0 if p.yields[c, i, k, j] > 0 else 0.0)
    return out


@nb.njit
def refurbish(t, grid, p, c, n, stock, x, amount):
    """Step t's draw from storage, best class first, up to the schedule's capacity."""
    T = grid.edges.shape[0] - 1
    for i in range(stock.shape[0]):
        if grid.classes[i] == 0:
            continue  # nothing stored: its rows stay 0
        amounts(grid.refurbish, i * T + t, p.rates, c, n, amount)
        for j in range(n):
            x[REFURBISHED, i, j] = 0.0
            x[DRAWN, i, j] = 0.0
        for k in range(grid.classes[i]):
            for j in range(n):
                y = p.yields[c, i, k, j]
                take = min(stock[i, k, j], amount[j]) if y > 0 else 0.0
                stock[i, k, j] -= take
                amount[j] -= take
                x[DRAWN, i, j] += take
                x[REFURBISHED, i, j] += take * y


def stock_flow(lay: Layout, d, i: int) -> list[Variable]:
    """Line i's storage classes as stocks, drawn best class first within the refurbishment capacity."""
    side, name = lay.lines[i]
    unit, classes = lay.scenario.sides[side].lines[name].unit, lay.classes[i]
    v = lambda *parts: ident(side, name, *parts)  # noqa: E731
    out: list[Variable] = []
    if classes:
        capacity = over_steps(lay.grid.refurbish, len(lay.lines), lay.steps, d.refurbishment.rates)[:, i]
        out.append(Aux(v("refurbish_capacity"), per_step(capacity), f"Most units drawn from storage ({unit})"))
    room = v("refurbish_capacity")
    for k, cname in enumerate(classes):
        stock, drawn, y = v("storage", cname), v("drawn", cname), v("yield", cname)
        if k > 0:
            out.append(Aux(v("room", cname), call("-", room, v("drawn", classes[k - 1])),
                           f"Refurbishment capacity left when class {cname} is reached ({unit})"))
            room = v("room", cname)
        out += [
            Stock(stock, float(d.refurbishment.stock[0, i, k, 0]), outflows=(drawn,),
                  doc=f"Units in storage class {cname} ({unit})"),
            Aux(y, float(d.refurbishment.yields[0, i, k, 0]), f"Serviceable fraction of class {cname} units drawn"),
            Flow(drawn, call("if", call(">", y, 0.0), call("min", stock, room), 0.0),
                 f"Units drawn from class {cname}, best class first ({unit})"),
        ]
    return out + [
        Flow(v("drawn"), total([v("drawn", c) for c in classes]), f"Units drawn from storage ({unit})"),
        Flow(v("refurbished"), _sum_products([(v("drawn", c), v("yield", c)) for c in classes]),
             f"Serviceable units out of refurbishment ({unit})"),
        Aux(v("storage"), total([v("storage", c) for c in classes]), f"Units in storage, all classes ({unit})"),
    ]


def _sum_products(pairs: list[tuple[str, str]]) -> Expr:
    products = [call("*", a, b) for a, b in pairs]
    if not products:
        return 0.0
    return products[0] if len(products) == 1 else call("+", *products)

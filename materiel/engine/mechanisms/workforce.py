"""The workforce: coverage of each line's need for workers by priority, then hiring.

A side's workers go to its lines in `priority` order (lower first); lines of equal priority share
what is left in proportion to need, so `coverage` = share of its need a line gets, at most 1
(1 where the line needs none, or the side has no workforce limit). Then workers move toward
min(total need, pool) by at most `hiring × step / year`; nobody is laid off.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from materiel.engine.layout import YEAR, Layout
from materiel.engine.mechanisms import Draw, production
from materiel.engine.stockflow import Aux, Expr, Flow, Ref, Stock, Variable, call, ident, per_step, total
from materiel.engine.variables import COVERAGE, WORKERS_NEEDED


class Pars(NamedTuple):
    """Per side and run [S, R]; a side without a workforce limit has inf workers and pool."""

    initial: np.ndarray  # workers at the start
    pool: np.ndarray     # most workers
    hiring: np.ndarray   # most net hires a year


def draw(lay: Layout, q: Draw, runs: int) -> Pars:
    S = len(lay.sides)
    p = Pars(np.full((S, runs), np.inf), np.full((S, runs), np.inf), np.zeros((S, runs)))
    for k, s in enumerate(lay.sides):
        wf, path = lay.scenario.sides[s].workforce, f"sides.{s}.workforce"
        if wf is not None:
            p.initial[k] = q(wf.initial, f"{path}.initial")
            p.pool[k] = q(wf.pool, f"{path}.pool")
            p.hiring[k] = q(wf.hiring, f"{path}.hiring")
    return p


@nb.njit
def start(p, c, n):
    """The state: each side's workers [S, n]."""
    return p.initial[c, :, :n].copy()


@nb.njit
def cover(grid, n, workers, x, share, left):
    """Each line's coverage: the share of its need its priority group gets from the side's workers."""
    L, S, G = grid.side_of_line.shape[0], workers.shape[0], grid.group_side.shape[0]
    share[:, :n] = 0.0
    for i in range(L):
        g = grid.group_of_line[i]
        for j in range(n):
            share[g, j] += x[WORKERS_NEEDED, i, j]
    for s in range(S):
        left[:n] = workers[s, :n]
        for g in range(G):
            if grid.group_side[g] == s:
                for j in range(n):
                    need = share[g, j]
                    if need > left[j]:  # a group not fully covered takes every worker left
                        share[g, j] = left[j] / need
                        left[j] = 0.0
                    else:
                        share[g, j] = 1.0
                        left[j] = left[j] - need
    for i in range(L):
        g = grid.group_of_line[i]
        for j in range(n):
            x[COVERAGE, i, j] = share[g, j]


@nb.njit
def hire(t, grid, p, c, n, workers, x, need):
    """Each side's hiring over step t, toward its lines' total need, within the pool and the hiring rate."""
    days = grid.edges[t + 1] - grid.edges[t]
    for s in range(workers.shape[0]):
        need[:n] = 0.0
        for i in range(grid.side_of_line.shape[0]):
            if grid.side_of_line[i] == s:
                for j in range(n):
                    need[j] += x[WORKERS_NEEDED, i, j]
        for j in range(n):
            target = min(need[j], p.pool[c, s, j])
            workers[s, j] = workers[s, j] + min(max(target - workers[s, j], 0.0), hiring_limit(p.hiring[c, s, j], days))


@nb.njit(inline="always")
def hiring_limit(per_year, days):
    """Most net hires in a step of `days` days."""
    return per_year * days / YEAR


def stock_flow(lay: Layout, d, k: int) -> list[Variable]:
    """Side k's workforce stock and hiring, and each of its lines' coverage in priority order."""
    side = lay.sides[k]
    mine = [i for i in range(len(lay.lines)) if lay.side_of_line[i] == k]
    coverage = {i: ident(*lay.lines[i], "coverage") for i in mine}
    if lay.scenario.sides[side].workforce is None:
        return [Aux(coverage[i], 1.0, "Share of full-capacity workers the line gets (no workforce limit)")
                for i in mine]
    needing = [i for i in mine if production.needs_workers(lay, d, i)]
    needed = {i: ident(*lay.lines[i], "workers_needed") for i in needing}
    w = lambda name: ident(side, name)  # noqa: E731
    p = d.workforce
    out: list[Variable] = [
        Stock(w("workforce"), float(p.initial[0, k, 0]), inflows=(w("hired"),), doc="Defense-industry workers (people)"),
        Aux(w("workers_pool"), float(p.pool[0, k, 0]), "Most workers the industry can employ"),
        Aux(w("hiring_limit"), per_step([hiring_limit(p.hiring[0, k, 0], days) for days in lay.step_days]),
            "Most net hires in the step"),
        Aux(w("workers_needed"), total([needed[i] for i in needing]), "Workers full capacity needs, all lines"),
        Aux(w("workers_target"), call("min", w("workers_needed"), w("workers_pool")), "What hiring aims at"),
        Flow(w("hired"), call("min", call("max", call("-", w("workers_target"), w("workforce")), 0.0),
                              w("hiring_limit")), "Net hires in the step (nobody is laid off)"),
    ]
    available: Expr = Ref(w("workforce"))
    for priority in sorted({int(lay.priority[i]) for i in mine}):
        group = [i for i in mine if lay.priority[i] == priority]
        left, need, share = w(f"workers_for_p{priority}"), w(f"workers_need_p{priority}"), w(f"coverage_p{priority}")
        out += [
            Aux(left, available, f"Workers left for lines of priority {priority}"),
            Aux(need, total([needed[i] for i in group if i in needed]), f"Workers lines of priority {priority} need"),
            Aux(share, call("if", call(">", need, left), call("/", left, need), 1.0),
                f"Share of their need that lines of priority {priority} get"),
        ]
        out += [Aux(coverage[i], Ref(share), "Share of full-capacity workers the line gets") for i in group]
        available = call("if", call(">", need, left), 0.0, call("-", left, need))
    return out

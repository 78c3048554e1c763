"""The compiled engine: every run of a block stepped through the horizon in one numba loop.

The flows of `step.py` in the same order, with the same sums taken term by term, so it gives
the numpy engine's results to the last bit (tests/test_engine.py checks it). Runs are spread
over the cores (`prange`); each step's inputs are computed from the run's draws and the layout's
weights as the step is taken, never stored for the whole block, and the per-run outcomes are
reduced on the way. Compiled code is cached on disk (`cache=True`): only the first call compiles.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from materiel.engine.inputs import YEAR, Draws, Layout
from materiel.engine.scalars import NEVER, RunScalars, supply_demand_ratio
from materiel.engine.timegrid import day_offsets

def compiled_on_disk() -> bool:
    """Whether numba's cache holds compiled code of the kernel for this source (else the next call
    compiles it: about half a minute). Reads numba's cache index; False if that cannot be read."""
    try:
        return bool(_run._cache._cache_file._load_index())
    except Exception:  # a numba without this (private) index: assume a compile is due
        return False


# Index of each variable on axis 1 of the kernel's trajectories, in `runner.VARIABLES` order.
FRONT, PIPELINE, STORAGE, DEMAND, LOST, SHORTFALL, PRODUCED, REFURBISHED, DRAWN, IMPORTED, ARRIVED, COVERAGE = range(12)
CHUNK = 64  # runs stepped together: the innermost loops go over them, so they vectorise


def outcome(lay: Layout, d: Draws, traj: np.ndarray, workforce: np.ndarray, series: np.ndarray) -> RunScalars:
    """Step one block; write trajectories of its first k runs into traj [k, 12, T, L] and workforce [k, T, S],
    and, if series [5, T, L, R] has room for them, every run's `SKETCHED` series (runs last)."""
    R, L = d.base.shape
    groups = _groups(lay)
    M = int(max(d.delay.max(initial=0), d.import_delay.max(initial=0))) + 1
    ints = np.empty((2, R, L), dtype=np.int64)
    sums = np.empty((3, R, L))
    drawable = (d.stock * (d.yields > 0)).sum(axis=2)
    _run(day_offsets(lay.edges).astype(np.float64), lay.ramp_start,
         np.array([len(c) for c in lay.classes], dtype=np.int64), lay.side_of_line, *groups,
         *lay.demand.sparse, *lay.refurbish.sparse, *lay.deliveries.sparse, *_suppliers_by_line(lay),
         d.demand, d.refurbish, d.deliveries, d.base, d.multiplier, d.ramp_days, d.workers_per_unit,
         d.stock, d.yields, d.front, d.delay, d.import_delay, d.workers, d.pool, d.hiring,
         M, traj, workforce, series, ints, sums)
    return RunScalars(runout=ints[0], first_shortfall=ints[1], shortfall=sums[0],
                      ratio=supply_demand_ratio(sums[1], sums[2]), has_storage=(drawable >= 1.0).any(axis=0))


def _suppliers_by_line(lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Each line's suppliers in supplier order: (start of line i's [L + 1], supplier indices [P])."""
    order = np.argsort(lay.supplier_line, kind="stable")
    start = np.searchsorted(lay.supplier_line[order], np.arange(len(lay.lines) + 1))
    return start.astype(np.int64), order.astype(np.int64)


def _groups(lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Production priority groups, by side then priority: (group of each line [L], side of each group [G])."""
    keys = sorted({(int(s), int(p)) for s, p in zip(lay.side_of_line, lay.priority)})
    group = np.array([keys.index((int(s), int(p))) for s, p in zip(lay.side_of_line, lay.priority)], dtype=np.int64)
    return group, np.array([s for s, _ in keys], dtype=np.int64)


@nb.njit(inline="always")
def _ramp_integral(x, r):
    """∫_0^x clip(u / r, 0, 1) du, as `timegrid.ramp_fraction` takes it."""
    if x <= 0:
        return 0.0
    if x <= r:
        return x * x / (2 * r)
    return x - r / 2


@nb.njit(parallel=True, cache=True, error_model="numpy")
def _run(edges, ramp_start, classes, side_of_line, group_of_line, group_side,
         d_start, d_col, d_w, f_start, f_col, f_w, p_start, p_col, p_w, sup_start, sup,
         demand_v, refurb_v, deliver_v, base, multiplier, ramp_days, wpu,
         stock0, yields, front0, delay, import_delay, workers0, pool, hiring,
         M, traj, workforce, series, ints, sums):
    R, L, C = stock0.shape
    for first in nb.prange((R + CHUNK - 1) // CHUNK):
        r0 = first * CHUNK
        r1 = min(r0 + CHUNK, R)
        _chunk(r0, r1, edges, ramp_start, classes, side_of_line, group_of_line, group_side,
               d_start, d_col, d_w, f_start, f_col, f_w, p_start, p_col, p_w, sup_start, sup,
               np.ascontiguousarray(demand_v[r0:r1].T), np.ascontiguousarray(refurb_v[r0:r1].T),
               np.ascontiguousarray(deliver_v[r0:r1].T), base[r0:r1].T.copy(), multiplier[r0:r1].T.copy(),
               ramp_days[r0:r1].T.copy(), wpu[r0:r1].T.copy(), stock0[r0:r1].transpose(1, 2, 0).copy(),
               np.ascontiguousarray(yields[r0:r1].transpose(1, 2, 0)), front0[r0:r1].T.copy(), delay[r0:r1].T.copy(),
               import_delay[r0:r1].T.copy(), workers0[r0:r1].T.copy(), pool[r0:r1].T.copy(), hiring[r0:r1].T.copy(),
               M, traj, workforce, series, ints, sums)


@nb.njit(error_model="numpy")
def _chunk(r0, r1, edges, ramp_start, classes, side_of_line, group_of_line, group_side,
           d_start, d_col, d_w, f_start, f_col, f_w, p_start, p_col, p_w, sup_start, sup,
           demand_v, refurb_v, deliver_v, base, multiplier, ramp_days, wpu,
           stock, yields, front, delay, import_delay, workers, pool, hiring,
           M, traj, workforce, series, ints, sums):
    """Runs r0..r1 through every step; inputs and state are [.., run] with the chunk's runs last."""
    n = r1 - r0
    L, C = stock.shape[0], stock.shape[1]
    T = edges.shape[0] - 1
    S = workers.shape[0]
    G = group_side.shape[0]
    keep = traj.shape[0]
    pipe = np.zeros((L, M, n))
    needed = np.empty((L, n))
    capacity = np.empty((L, n))
    share = np.empty((G, n))
    by_side = np.empty(n)
    left = np.empty(n)
    amount = np.empty(n)
    acc = np.empty((7, L, n))  # produced, refurbished, drawn, imported, arrived, lost, shortfall
    runout = np.full((L, n), NEVER)
    first_short = np.full((L, n), NEVER)
    inert = np.zeros((L, n))
    drawable0 = np.zeros((L, n))
    for i in range(L):
        for c in range(C):
            for j in range(n):
                inert[i, j] += stock[i, c, j]
                drawable0[i, j] += stock[i, c, j] * (1.0 if yields[i, c, j] > 0 else 0.0)
        for j in range(n):
            inert[i, j] = inert[i, j] - drawable0[i, j]
    sums_local = np.zeros((3, L, n))
    ramp = np.empty((L, n))     # ∫ of the ramp up to the step's start: each step's end is the next one's start
    ramp_r = np.empty((L, n))
    for i in range(L):
        for j in range(n):
            ramp_r[i, j] = max(ramp_days[i, j], 1e-9)
            ramp[i, j] = _ramp_integral(edges[0] - ramp_start[i], ramp_r[i, j])

    for t in range(T):
        days = edges[t + 1] - edges[t]
        slot = t % M
        # 1. capacity and the workers it needs
        for i in range(L):
            x1 = edges[t + 1] - ramp_start[i]
            for j in range(n):
                end = _ramp_integral(x1, ramp_r[i, j])
                frac = (end - ramp[i, j]) / days
                ramp[i, j] = end
                per_day = base[i, j] * (1.0 + (multiplier[i, j] - 1.0) * frac)
                capacity[i, j] = per_day * days
                needed[i, j] = per_day * YEAR * wpu[i, j]
        # 2. workforce coverage by priority group, then hiring
        share[:, :] = 0.0
        for i in range(L):
            g = group_of_line[i]
            for j in range(n):
                share[g, j] += needed[i, j]
        for s in range(S):
            by_side[:] = 0.0
            for i in range(L):
                if side_of_line[i] == s:
                    for j in range(n):
                        by_side[j] += needed[i, j]
            left[:] = workers[s]
            for g in range(G):
                if group_side[g] == s:
                    for j in range(n):
                        need = share[g, j]
                        cov = min(1.0, left[j] / need) if need > 0 else 1.0
                        share[g, j] = cov
                        left[j] = max(left[j] - cov * need, 0.0)
            for j in range(n):
                target = min(by_side[j], pool[s, j])
                workers[s, j] = workers[s, j] + min(max(target - workers[s, j], 0.0), hiring[s, j] * days / YEAR)
                if r0 + j < keep:
                    workforce[r0 + j, t, s] = workers[s, j]
        # 3-7. per line: produce, refurbish, ship, import, arrive, engage
        for i in range(L):
            g = group_of_line[i]
            _amounts(f_start, f_col, f_w, i * T + t, refurb_v, amount)
            for j in range(n):
                acc[0, i, j] = capacity[i, j] * share[g, j]
                acc[1, i, j] = 0.0
                acc[2, i, j] = 0.0
                acc[3, i, j] = 0.0
            for c in range(classes[i]):
                for j in range(n):
                    y = yields[i, c, j]
                    take = min(stock[i, c, j], amount[j]) if y > 0 else 0.0
                    stock[i, c, j] -= take
                    amount[j] -= take
                    acc[2, i, j] += take
                    acc[1, i, j] += take * y
            for j in range(n):
                k = slot + delay[i, j]
                pipe[i, k - M if k >= M else k, j] += acc[0, i, j] + acc[1, i, j]
            for e in range(sup_start[i], sup_start[i + 1]):
                p = sup[e]
                _amounts(p_start, p_col, p_w, p * T + t, deliver_v, amount)
                for j in range(n):
                    k = slot + import_delay[p, j]
                    pipe[i, k - M if k >= M else k, j] += amount[j]
                    acc[3, i, j] += amount[j]
            _amounts(d_start, d_col, d_w, i * T + t, demand_v, amount)
            for j in range(n):
                in_storage = _in_storage(stock, i, j, classes[i])
                arrived = pipe[i, slot, j]
                pipe[i, slot, j] = 0.0
                demand = amount[j]
                available = front[i, j] + arrived
                lost = min(demand, available)
                front[i, j] = available - lost
                shortfall = demand - lost
                if runout[i, j] == NEVER and in_storage - inert[i, j] < 1.0 and drawable0[i, j] >= 1.0:
                    runout[i, j] = t
                if first_short[i, j] == NEVER and shortfall >= 1.0:
                    first_short[i, j] = t
                sums_local[0, i, j] += shortfall
                sums_local[1, i, j] += acc[0, i, j] + acc[1, i, j] + acc[3, i, j]
                sums_local[2, i, j] += demand
                acc[4, i, j] = arrived
                acc[5, i, j] = lost
                acc[6, i, j] = shortfall
            if series.shape[3]:
                for j in range(n):
                    series[0, t, i, r0 + j] = front[i, j]
                    series[1, t, i, r0 + j] = _in_storage(stock, i, j, classes[i])
                    series[2, t, i, r0 + j] = acc[0, i, j] + acc[1, i, j] + acc[3, i, j]
                    series[3, t, i, r0 + j] = acc[5, i, j]
                    series[4, t, i, r0 + j] = acc[6, i, j]
            for j in range(min(n, keep - r0)):
                r = r0 + j
                in_transit = 0.0
                for k in range(M):
                    in_transit += pipe[i, (t + k) % M, j]
                traj[r, FRONT, t, i] = front[i, j]
                traj[r, PIPELINE, t, i] = in_transit
                traj[r, STORAGE, t, i] = _in_storage(stock, i, j, classes[i])
                traj[r, DEMAND, t, i] = amount[j]
                traj[r, LOST, t, i] = acc[5, i, j]
                traj[r, SHORTFALL, t, i] = acc[6, i, j]
                traj[r, PRODUCED, t, i] = acc[0, i, j]
                traj[r, REFURBISHED, t, i] = acc[1, i, j]
                traj[r, DRAWN, t, i] = acc[2, i, j]
                traj[r, IMPORTED, t, i] = acc[3, i, j]
                traj[r, ARRIVED, t, i] = acc[4, i, j]
                traj[r, COVERAGE, t, i] = share[g, j]
    for i in range(L):
        for j in range(n):
            ints[0, r0 + j, i] = runout[i, j]
            ints[1, r0 + j, i] = first_short[i, j]
            for v in range(3):
                sums[v, r0 + j, i] = sums_local[v, i, j]


@nb.njit(inline="always")
def _in_storage(stock, i, j, C):
    """Units in storage, the line's C classes, summed in class order."""
    total = 0.0
    for c in range(C):
        total += stock[i, c, j]
    return total


@nb.njit(inline="always")
def _amounts(start, col, weight, row, values, out):
    """One owner's amount in one step for each run: its non-zero weights times the values, in column order."""
    out[:] = 0.0
    for e in range(start[row], start[row + 1]):
        w = weight[e]
        v = values[col[e]]
        for j in range(out.shape[0]):
            out[j] += v[j] * w

"""The compiled engine: every run of a block stepped through the horizon, the flows in order.

Runs go in chunks of CHUNK, spread over the cores (a thread per core, the compiled code running
without Python's lock); within a chunk each flow loops over lines and then runs, so the innermost
loops vectorise. A step's values live in one array
x [rows of engine/variables.py, lines, runs]; each flow (engine/mechanisms/) reads the rows it needs
and writes its own, and `_record` keeps what is kept. Inputs are computed from the draws as each
step is taken, never stored for the whole block. Compiled code is cached on disk (`cache=True`):
only the first call compiles.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba as nb
import numpy as np

from materiel.engine.compiled import refresh
from materiel.engine.draws import Draws
from materiel.engine.layout import Layout
from materiel.engine.mechanisms import engagement, imports, production, refurbishment, repair, transit, workforce
from materiel.engine.scalars import NEVER, RunScalars, supply_demand_ratio
from materiel.engine.variables import (DEMAND, LOST, PIPELINE, ROWS, SHORTFALL, SKETCHED_ROWS, STORAGE, SUPPLY,
                                       SUPPLY_ROWS, VARIABLES, WORKSHOP)

V = len(VARIABLES)
CHUNK = 256  # runs stepped together, innermost (docs/performance.md: 128 and 384 were slower on a 4 MiB L2)


def compiled_on_disk() -> bool:
    """Whether numba's cache holds compiled code of the kernel for this source (else the next call
    compiles it: about half a minute). Reads numba's cache index; False if that cannot be read."""
    try:
        return bool(_chunks._cache._cache_file._load_index())
    except Exception:  # a numba without this (private) index: assume a compile is due
        return False


class Record(NamedTuple):
    """Where the kernel writes a block's results (R runs, k kept, T steps, L lines, S sides)."""

    trajectories: np.ndarray  # [k, V, T, L] the kept runs' VARIABLES
    workforce: np.ndarray     # [k, T, S] workers after each step's hiring
    series: np.ndarray        # [len(SKETCHED), T, L, R], or R = 0: not asked for
    steps: np.ndarray         # [2, R, L] int64: step of storage run-out, of the first shortfall (NEVER)
    sums: np.ndarray          # [4, R, L] shortfall, supply and demand over the horizon; drawable storage at the start
    crossed: np.ndarray       # [R, K] int64: step at which each race's fire ratio first crossed 1 (NEVER)


def outcome(lay: Layout, d: Draws, traj: np.ndarray, workforce: np.ndarray, series: np.ndarray) -> RunScalars:
    """Step one block; write trajectories of its first k runs into traj [k, V, T, L] and workforce [k, T, S],
    and, if series [5, T, L, R] has room for them, every run's `SKETCHED` series (runs last)."""
    L, R = d.engagement.front.shape
    rec = Record(traj, workforce, series, np.empty((2, R, L), dtype=np.int64), np.empty((4, R, L)),
                 np.empty((R, len(lay.races)), dtype=np.int64))
    _run(lay.grid, by_chunk(d), R, ring_size(d), rec)
    return RunScalars(runout=rec.steps[0], first_shortfall=rec.steps[1], shortfall=rec.sums[0],
                      ratio=supply_demand_ratio(rec.sums[1], rec.sums[2]), has_storage=(rec.sums[3] >= 1.0).any(axis=0),
                      crossed=rec.crossed)


def ring_size(d: Draws) -> int:
    """Steps the kernel's rings of shipments and repairs under way must hold: the longest delay + 1."""
    return int(max(d.transit.delay.max(initial=0), d.imports.delay.max(initial=0), repair.longest(d.repair))) + 1


def by_chunk(d: Draws) -> Draws:
    """Every array [.., R] as [chunks, .., CHUNK], so each chunk's draws are together (the last one padded)."""
    def chunked(a: np.ndarray) -> np.ndarray:
        chunks = -(-a.shape[-1] // CHUNK)
        padded = np.zeros((*a.shape[:-1], chunks * CHUNK), dtype=a.dtype)
        padded[..., :a.shape[-1]] = a
        return np.ascontiguousarray(np.moveaxis(padded.reshape(*a.shape[:-1], chunks, CHUNK), -2, 0))

    return Draws(*(type(pars)(*(chunked(a) for a in pars)) for pars in d))


def _run(grid, d: Draws, R: int, M: int, rec: Record) -> None:
    """Every chunk of the block, chunk k on thread k mod threads (numba's thread count)."""
    threads = min(nb.config.NUMBA_NUM_THREADS, -(-R // CHUNK))
    if threads == 1:
        return _chunks(grid, d, R, 0, 1, M, rec)
    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(_chunks, grid, d, R, k, threads, M, rec) for k in range(threads)]:
            done.result()


@nb.njit(nogil=True, cache=True, error_model="numpy")
def _chunks(grid, d, R, first, every, M, rec):
    """Chunks first, first + every, … of the block's R runs."""
    for c in range(first, (R + CHUNK - 1) // CHUNK, every):
        _chunk(grid, d, c, min(CHUNK, R - c * CHUNK), M, rec)


@nb.njit(error_model="numpy")
def _chunk(grid, d, c, n, M, rec):
    """The n runs of chunk c through every step: docs/model.md's "One step, in order", then bookkeeping."""
    L, T, r0 = grid.classes.shape[0], grid.edges.shape[0] - 1, c * CHUNK
    x = np.zeros((ROWS, L, n))
    scratch = np.empty((max(grid.group_side.shape[0], 1), n))
    left, spare = np.empty(n), np.empty(n)
    ramp = production.start(grid, d.production, c, n)
    workers = workforce.start(d.workforce, c, n)
    stock = refurbishment.start(d.refurbishment, c, n)
    pipe = transit.start(L, M, n)
    shop = repair.start(L, M, n)
    field = engagement.start(d.engagement, c, n)
    book = _start_book(grid, d, c, n, stock)
    for t in range(T):
        production.capacity(t, grid, d.production, c, n, ramp, x, left)  # capacity and the workers it needs
        workforce.cover(grid, n, workers, x, scratch, left)           # 1. workforce coverage
        workforce.hire(t, grid, d.workforce, c, n, workers, x, left)  # 2. hiring
        production.produce(n, x)                                      # 3. production
        refurbishment.refurbish(t, grid, d.refurbishment, c, n, stock, x, left)  # 4. refurbishment
        transit.ship(t, grid, d.transit, c, n, pipe, x)               # 5. shipping
        imports.deliver(t, grid, d.imports, c, n, pipe, x, left)      #    and imports
        transit.arrive(t, n, pipe, x)                                 # 6. arrivals
        repair.release(t, grid, n, shop, field[0], x)                 #    and returns from repair
        engagement.engage(t, grid, d.engagement, c, n, field, x, left, spare)  # 7. engagement
        repair.intake(t, grid, d.repair, c, n, shop, x)               # 8. battle damage into repair
        _record(t, r0, n, grid, stock, pipe, shop, workers, x, book, rec)
    _finish(r0, n, book, rec)


class _Book(NamedTuple):
    """Per-run outcomes as they are reduced, for one chunk [.., L, n]."""

    runout: np.ndarray           # step storage ran out, or NEVER
    first_shortfall: np.ndarray  # first step with a shortfall of a unit or more, or NEVER
    sums: np.ndarray             # [3, L, n] shortfall, supply, demand so far
    inert: np.ndarray            # storage at the start that cannot be drawn
    drawable: np.ndarray         # storage at the start that can
    ahead: np.ndarray            # [K, n] whether each race's first side fired more in the first step
    crossed: np.ndarray          # [K, n] step its fire ratio first crossed 1, or NEVER


@nb.njit
def _start_book(grid, d, c, n, stock):
    L = stock.shape[0]
    drawable = refurbishment.drawable(grid, d.refurbishment, c, n)
    inert = np.empty((L, n))
    for i in range(L):
        refurbishment.storage(stock, i, n, grid.classes[i], inert[i])
        for j in range(n):
            inert[i, j] -= drawable[i, j]
    K = grid.races.shape[0]
    return _Book(np.full((L, n), NEVER), np.full((L, n), NEVER), np.zeros((3, L, n)), inert, drawable,
                 np.zeros((K, n), dtype=np.bool_), np.full((K, n), NEVER))


@nb.njit
def _record(t, r0, n, grid, stock, pipe, shop, workers, x, book, rec):
    """Step t's bookkeeping: storage and supply totals, run-out, shortfall and race-crossing detection,
    running sums, the sketched series of every run and the trajectories of kept runs."""
    L = stock.shape[0]
    for i in range(L):
        refurbishment.storage(stock, i, n, grid.classes[i], x[STORAGE, i])
        for j in range(n):
            supply = 0.0
            for row in nb.literal_unroll(SUPPLY_ROWS):
                supply += x[row, i, j]
            x[SUPPLY, i, j] = supply
            ran_out = (book.runout[i, j] == NEVER) & (x[STORAGE, i, j] - book.inert[i, j] < 1.0) & (book.drawable[i, j] >= 1.0)
            book.runout[i, j] = t if ran_out else book.runout[i, j]
            short = (book.first_shortfall[i, j] == NEVER) & (x[SHORTFALL, i, j] >= 1.0)
            book.first_shortfall[i, j] = t if short else book.first_shortfall[i, j]
            book.sums[0, i, j] += x[SHORTFALL, i, j]
            book.sums[1, i, j] += supply
            book.sums[2, i, j] += x[DEMAND, i, j]
    for k in range(grid.races.shape[0]):
        a, b = grid.races[k, 0], grid.races[k, 1]
        for j in range(n):
            ahead = x[LOST, a, j] >= x[LOST, b, j]
            if t == 0:
                book.ahead[k, j] = ahead
            elif book.crossed[k, j] == NEVER and ahead != book.ahead[k, j]:
                book.crossed[k, j] = t
    if rec.series.shape[3]:
        for k in range(len(SKETCHED_ROWS)):
            row = SKETCHED_ROWS[k]
            for i in range(L):
                for j in range(n):
                    rec.series[k, t, i, r0 + j] = x[row, i, j]
    for j in range(min(n, rec.trajectories.shape[0] - r0)):
        for i in range(L):
            x[PIPELINE, i, j] = transit.in_transit(t, pipe, i, j)
            x[WORKSHOP, i, j] = repair.in_repair(t, shop, i, j)
            for v in range(V):
                rec.trajectories[r0 + j, v, t, i] = x[v, i, j]
        for s in range(workers.shape[0]):
            rec.workforce[r0 + j, t, s] = workers[s, j]


@nb.njit
def _finish(r0, n, book, rec):
    """A chunk's per-run outcomes into the block's, runs first."""
    for i in range(book.runout.shape[0]):
        for j in range(n):
            rec.steps[0, r0 + j, i] = book.runout[i, j]
            rec.steps[1, r0 + j, i] = book.first_shortfall[i, j]
            for v in range(3):
                rec.sums[v, r0 + j, i] = book.sums[v, i, j]
            rec.sums[3, r0 + j, i] = book.drawable[i, j]
    for k in range(book.crossed.shape[0]):
        for j in range(n):
            rec.crossed[r0 + j, k] = book.crossed[k, j]


refresh(_chunks)  # the kernel compiles in every mechanism's flows: recompile when any changed

"""One pure function per flow, over arrays with runs first. The runner calls them in order.

Within a step: workforce coverage → production → refurbishment (drawing storage) →
shipping into the pipeline → arrivals at the front → losses or consumption at the front.

Sums are taken term by term in index order (`total`), as the compiled kernel takes them, so
the two engines agree to the last bit.
"""

from __future__ import annotations

import numpy as np


def total(x: np.ndarray, axis: int) -> np.ndarray:
    """Sum along `axis` term by term in index order (numpy's own sum pairs terms: other bits)."""
    out = np.zeros(np.delete(x.shape, axis))
    for k in range(x.shape[axis]):
        out += np.take(x, k, axis=axis)
    return out


def coverage(workers: np.ndarray, needed: np.ndarray, side_of_line: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Share of each line's full-capacity workers it gets [R, L].

    A side's workers go to its lines in priority order (lower first); lines of equal
    priority share what is left in proportion to their needs. A line needing none gets 1.
    """
    cov = np.ones_like(needed)
    for s in range(workers.shape[1]):
        left = workers[:, s].copy()
        for p in np.unique(priority[side_of_line == s]):
            group = (side_of_line == s) & (priority == p)
            need = total(needed[:, group], axis=1)
            with np.errstate(over="ignore"):  # a tiny need: the share is 1 either way
                share = np.where(need > 0, np.minimum(1.0, left / np.where(need > 0, need, 1.0)), 1.0)
            cov[:, group] = share[:, None]
            left = np.maximum(left - share * need, 0.0)
    return cov


def hire(workers: np.ndarray, needed_by_side: np.ndarray, pool: np.ndarray, hiring: np.ndarray) -> np.ndarray:
    """Workers after a step's hiring: toward what is needed, at most `hiring` more, never past the pool."""
    target = np.minimum(needed_by_side, pool)
    return workers + np.clip(target - workers, 0.0, hiring)


def refurbish(stock: np.ndarray, capacity: np.ndarray, yields: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw storage best class first up to capacity; return (stock after, drawn, serviceable out).

    Classes with a yield of 0 are never drawn: they hold nothing that could come out.
    """
    stock = stock.copy()
    left = capacity.copy()
    drawn = np.zeros_like(capacity)
    out = np.zeros_like(capacity)
    for c in range(stock.shape[-1]):
        take = np.where(yields[..., c] > 0, np.minimum(stock[..., c], left), 0.0)
        stock[..., c] -= take
        left -= take
        drawn += take
        out += take * yields[..., c]
    return stock, drawn, out


def ship(pipeline: np.ndarray, amount: np.ndarray, slot: np.ndarray, lines: np.ndarray) -> None:
    """Add `amount` [R, K] for `lines` [K] into the conveyor [R, L, M] at `slot` [R, K] (in place)."""
    runs = np.arange(pipeline.shape[0])[:, None]
    pipeline[runs, lines[None, :], slot] += amount


def unload(pipeline: np.ndarray, slot: int) -> np.ndarray:
    """Take what arrives this step out of the conveyor [R, L, M] (in place); return it [R, L]."""
    arrived = pipeline[:, :, slot].copy()
    pipeline[:, :, slot] = 0.0
    return arrived


def in_transit(pipeline: np.ndarray, t: int) -> np.ndarray:
    """Everything in the conveyor [R, L, M] after step t's arrivals, summed by steps to arrival [R, L].

    Summing in that order (not by slot) makes the total independent of the conveyor's length M.
    """
    M = pipeline.shape[2]
    out = np.zeros(pipeline.shape[:2])
    for k in range(M):
        out += pipeline[:, :, (t + k) % M]
    return out


def engage(front: np.ndarray, demand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The front meets demand from what it holds: return (front after, lost, shortfall)."""
    lost = np.minimum(demand, front)
    return front - lost, lost, demand - lost

"""Random draws that depend only on (seed, the quantity's path, the run index).

Each draw starts from a uniform number made by hashing those three with SplitMix64, then
goes through the quantity's inverse CDF. So results are the same whatever the block size
or the number of workers, a new quantity leaves the others' draws alone, and two scenarios
run with one seed share the draws of the quantities they share (common random numbers).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
from scipy import special

from materiel.scenario.quantity import Quantity

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
SPLIT = 4_096  # draws per thread for the costly inverse CDFs (PERT: about a microsecond each)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def stream_key(seed: int, path: str) -> np.uint64:
    """A 64-bit key for one quantity's stream of draws."""
    digest = hashlib.blake2b(f"{seed}\x00{path}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def uniforms(seed: int, path: str, runs: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1), one per run index, for the quantity at `path`."""
    with np.errstate(over="ignore"):
        bits = _splitmix64(_splitmix64(np.asarray(runs, dtype=np.uint64)) ^ stream_key(seed, path))
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def quantile(q: Quantity, u: np.ndarray | float) -> np.ndarray:
    """The quantity's inverse CDF at u, clipped to the domain of its field."""
    u = np.asarray(u, dtype=np.float64)
    if q.dist == "point":
        x = np.full(u.shape, q.value)
    elif q.dist == "uniform":
        x = q.low + (q.high - q.low) * u
    elif q.dist == "triangular":
        x = _triangular(q.low, q.likely, q.high, u)
    elif q.dist == "pert":
        x = _pert(q.low, q.likely, q.high, u)
    elif q.dist == "normal":
        x = q.mean + q.sd * special.ndtri(u)
    else:
        x = q.median * np.exp(q.sigma * special.ndtri(u))
    lo, hi = q.bounds
    return np.clip(x, lo, hi)


def draw(q: Quantity, path: str, seed: int, runs: np.ndarray) -> np.ndarray:
    """One draw of `q` per run index in `runs`."""
    if q.dist == "point":
        return quantile(q, np.zeros(len(runs)))
    return quantile(q, uniforms(seed, path, runs))


def _triangular(low: float, mode: float, high: float, u: np.ndarray) -> np.ndarray:
    width = high - low
    if width == 0:
        return np.full(u.shape, low)
    cut = (mode - low) / width
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1 - u) * width * (high - mode))
    return np.where(u < cut, left, right)


def _pert(low: float, mode: float, high: float, u: np.ndarray) -> np.ndarray:
    width = high - low
    if width == 0:
        return np.full(u.shape, low)
    alpha = 1 + 4 * (mode - low) / width
    beta = 1 + 4 * (high - mode) / width
    return low + width * _in_threads(lambda part: special.betaincinv(alpha, beta, part), u)


def _in_threads(f, u: np.ndarray) -> np.ndarray:
    """f(u) element-wise, split over the cores (scipy's ufuncs release the GIL): the same numbers, sooner."""
    if u.size < 2 * SPLIT:
        return f(u)
    parts = np.array_split(u, -(-u.size // SPLIT))
    return np.concatenate(list(_pool().map(f, parts)))


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="materiel-draws")

"""Random draws that depend only on (seed, the quantity's path, the run index).

Each draw starts from a uniform number made by hashing those three with SplitMix64, then
goes through the quantity's inverse CDF. So results are the same whatever the block size
or the number of workers, a new quantity leaves the others' draws alone, and two scenarios
run with one seed share the draws of the quantities they share (common random numbers).
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np
from scipy import special
from scipy.interpolate import CubicSpline

from materiel.scenario.quantity import Quantity

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
KNOTS = 1025  # per half of a Beta quantile table


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
    return low + width * beta_quantile(alpha, beta, u)


def beta_quantile(alpha: float, beta: float, u: np.ndarray) -> np.ndarray:
    """The Beta(alpha, beta) quantile at u (alpha, beta >= 1), within about 1e-10 of scipy's `betaincinv`.

    Interpolated from a table of exact quantiles made once per shape: ~15 times faster than
    evaluating `betaincinv` per draw. The lower half is tabled against u^(1/alpha), the upper
    against (1 - u)^(1/beta), where the quantile is a smooth (power-series) function.
    """
    lower, upper = _beta_quantile_splines(float(alpha), float(beta))
    flat = np.ravel(u)
    out = np.empty_like(flat)
    low = flat <= 0.5
    out[low] = lower(flat[low] ** (1 / alpha))
    out[~low] = 1.0 - upper((1.0 - flat[~low]) ** (1 / beta))
    return out.reshape(np.shape(u))


@cache
def _beta_quantile_splines(alpha: float, beta: float) -> tuple[CubicSpline, CubicSpline]:
    lower = np.linspace(0.0, 0.5 ** (1 / alpha), KNOTS)
    upper = np.linspace(0.0, 0.5 ** (1 / beta), KNOTS)
    return (CubicSpline(lower, special.betaincinv(alpha, beta, lower**alpha)),
            CubicSpline(upper, special.betaincinv(beta, alpha, upper**beta)))  # 1 - Q(1 - p) = Q'(p), mirrored

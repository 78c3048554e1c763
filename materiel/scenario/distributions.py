"""Each quantity's inverse CDF: the value at a uniform u of its distribution, clipped to its field.

Below both the scenario (a quantity's median is its deterministic value) and the engine (every
draw goes through it), so neither imports the other.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:
    from materiel.scenario.quantity import Quantity

KNOTS = 1025  # per half table of a Beta quantile


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
    """The Beta(alpha, beta) quantile at u (alpha, beta >= 1), within about 1e-11 of scipy's `betaincinv`.

    Cubic Hermite interpolation in a table of exact quantiles and slopes made once per shape:
    ~15 times faster than `betaincinv` per draw. The lower half is tabled against u^(1/alpha),
    the upper (mirrored) against (1 - u)^(1/beta): there the quantile is a smooth power series.
    """
    flat = np.ravel(u)
    out = np.empty_like(flat)
    low = flat <= 0.5
    out[low] = _hermite(*_half_table(float(alpha), float(beta)), flat[low] ** (1 / alpha))
    out[~low] = 1.0 - _hermite(*_half_table(float(beta), float(alpha)), (1.0 - flat[~low]) ** (1 / beta))
    return out.reshape(np.shape(u))


@cache
def _half_table(a: float, b: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Knot spacing, quantiles and slopes dQ/dw of Beta(a, b) at KNOTS points w = u^(1/a), u in [0, 1/2]."""
    w = np.linspace(0.0, 0.5 ** (1 / a), KNOTS)
    q = special.betaincinv(a, b, w**a)
    scale = np.exp(special.betaln(a, b))  # dQ/du = 1 / pdf(Q); du/dw = a w^(a-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = a * w ** (a - 1) * scale * q ** (1 - a) * (1 - q) ** (1 - b)
    slope[0] = (a * scale) ** (1 / a)  # the limit at w = 0, where Q ~ (a B u)^(1/a)
    return w[1], q, slope


def _hermite(step: float, value: np.ndarray, slope: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Cubic Hermite interpolation at x in tabled values and slopes at knots 0, step, 2 step, …"""
    pos = x / step
    i = np.minimum(pos.astype(np.int64), len(value) - 2)
    t = pos - i
    s = 1.0 - t
    return (value[i] * (1 + 2 * t) * s * s + step * slope[i] * t * s * s
            + value[i + 1] * t * t * (3 - 2 * t) - step * slope[i + 1] * t * t * s)

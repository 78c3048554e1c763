"""Random draws that depend only on (seed, the quantity's path, the run index).

Each draw starts from a uniform number made by hashing those three with SplitMix64, then
goes through the quantity's inverse CDF (`materiel.scenario.distributions`). So results are the same whatever the block size
or the number of workers, a new quantity leaves the others' draws alone, and two scenarios
run with one seed share the draws of the quantities they share (common random numbers).
"""

from __future__ import annotations

import hashlib
import numpy as np

from materiel.scenario.distributions import quantile
from materiel.scenario.quantity import Quantity

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


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


def draw(q: Quantity, path: str, seed: int, runs: np.ndarray) -> np.ndarray:
    """One draw of `q` per run index in `runs`."""
    if q.dist == "point":
        return quantile(q, np.zeros(len(runs)))
    return quantile(q, uniforms(seed, path, runs))

"""Per-step quantiles of ensembles too large to keep: fixed-bin histograms that merge by adding counts.

A value x ≥ 2^-10 falls in one of 16 equal bins of its octave [2^e, 2^(e+1)), up to 2^40;
smaller values (and 0) share bin 0, larger ones the last bin. Values are float32, whose bits
give the bin with one shift. Counts of blocks add up, in any
order, so the result is the same however the runs were split. A quantile is read as the middle
of the bin holding that rank (inverted CDF): within 1/32 (3.1 %) of the ensemble's value at
that rank, relative, or 2^-10 absolute near zero — the error bound.
"""

from __future__ import annotations

import numba as nb
import numpy as np

PER_OCTAVE = 16
LOWEST, HIGHEST = -10, 40  # octaves covered: [2^LOWEST, 2^HIGHEST)
BINS = 2 + (HIGHEST - LOWEST) * PER_OCTAVE
ERROR = 1 / (2 * PER_OCTAVE)  # largest relative error of a quantile, above 2^LOWEST


def add(counts: np.ndarray, values: np.ndarray) -> None:
    """counts [cells…, BINS] += the histogram of float32 values [cells…, runs] (in place)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.int32)
    _add(counts.reshape(-1, BINS), bits.reshape(-1, values.shape[-1]))


def quantiles(counts: np.ndarray, qs) -> np.ndarray:
    """Quantiles [Q, cells…] from counts [cells…, BINS], each the middle of the bin at its rank."""
    cum = np.cumsum(counts, axis=-1)
    total = cum[..., -1:]
    middles = bin_middles()
    out = [middles[np.argmax(cum >= np.maximum(np.ceil(q * total), 1), axis=-1)] for q in qs]
    return np.where(total[..., 0] > 0, np.array(out), np.nan)


def bin_middles() -> np.ndarray:
    """The value each bin stands for: 0 for bin 0, else the middle of the bin."""
    k = np.arange(BINS - 1)
    octave, part = LOWEST + k // PER_OCTAVE, k % PER_OCTAVE
    return np.concatenate([[0.0], np.ldexp(1 + (part + 0.5) / PER_OCTAVE, octave)])


# A float32's bits, shifted right by 23 − 4, are 16 · (biased exponent) + its top 4 mantissa bits:
# the bin, up to an offset. Negative numbers' bits are negative ints: bin 0.
SHIFT = 23 - 4
OFFSET = (127 + LOWEST) * PER_OCTAVE - 1


@nb.njit(parallel=True, cache=True)
def _add(counts, bits):
    for cell in nb.prange(bits.shape[0]):
        for r in range(bits.shape[1]):
            counts[cell, min(max((bits[cell, r] >> SHIFT) - OFFSET, 0), BINS - 1)] += 1

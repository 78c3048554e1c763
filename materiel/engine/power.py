"""x ** y for 0 ≤ x ≤ 1 and y ≥ 0 in plain arithmetic, so that compiled loops over runs of it
vectorise: libm's `pow` is one call per element, and it was most of the coupling's cost
(docs/performance.md). It comes in two halves, so that a line's fire is taken to its logarithm once
and each line coupled to it raises that to its own elasticity:

    log_unit(x)          = log x = e · ln 2 + log m, x = m · 2^e, m in [√½, √2): log m = 2 atanh((m − 1) / (m + 1))
    power_of_log(lx, y)  = exp(y · lx) = exp(r) · 2^k, y · lx = k · ln 2 + r, |r| ≤ ½ ln 2 (Cody–Waite), exp(r) by Taylor

The exponent and mantissa are read from the float's bits and 2^k is written into them. Exact where
x = 1 or y = 0 (the result is 1) and at x = 0 (0 for y > 0); elsewhere within (1 + |y · log x|) ×
2⁻⁵¹ of `x ** y` relative (tests/test_power.py): about 10⁻¹⁶ for the factors a coupling meets and
10⁻¹³ for results near the smallest normal double.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numba.extending import intrinsic, overload

_MANTISSA, _ONE = 0x000FFFFFFFFFFFFF, 0x3FF0000000000000  # a double's mantissa bits; the bits of 1.0
_SQRT2 = 1.4142135623730951
_TWO52 = 4503599627370496.0         # 2^52: its bits OR-ed with a small integer i are the bits of 2^52 + i
_TWO54 = 18014398509481984.0        # 2^54: a subnormal x times this is normal
_SMALLEST_NORMAL = 2.2250738585072014e-308
_LN2_HI, _LN2_LO = 0.6931471803691238, 1.9082149292705877e-10  # ln 2 = hi + lo; hi ends in 21 zero bits, so k · hi is exact
_INV_LN2 = 1.4426950408889634
_ROUND = 6755399441055744.0         # 1.5 · 2^52: v + this rounds v to an integer, held in the low bits
_UNDERFLOW = -745.2                 # exp below this is below half the smallest subnormal: 0
_LOG_TERMS = tuple(1.0 / (2 * k + 1) for k in range(10))   # atanh(z) / z = Σ z^2k / (2k + 1), |z| ≤ 0.172
_EXP_TERMS = tuple(1.0 / math.factorial(k) for k in range(14))  # 1 / k!, |r| ≤ 0.347


def _bits_of(x: float) -> int:
    """The IEEE 754 bits of a double, as an integer."""
    return int(np.float64(x).view(np.int64))


def _double_of(b: int) -> float:
    """The double whose IEEE 754 bits are b."""
    return float(np.int64(b).view(np.float64))


@intrinsic
def _bitcast(typingctx, value, like):
    """value's bits as the type of `like` (int64 ↔ float64): one LLVM bitcast, which vectorises."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(signature.return_type))
    return like(value, like), codegen


@overload(_bits_of)
def _bits_of_compiled(x):
    return lambda x: _bitcast(float(x), np.int64(0))


@overload(_double_of)
def _double_of_compiled(b):
    return lambda b: _bitcast(np.int64(b), 0.0)


@nb.njit(inline="always", error_model="numpy")
def log_unit(x):
    """log x for 0 ≤ x ≤ 1 (−inf at 0, exactly 0 at 1)."""
    tiny = x < _SMALLEST_NORMAL
    b = _bits_of(x * _TWO54 if tiny else x)
    e = _double_of(((b >> 52) & 0x7FF) | _bits_of(_TWO52)) - (_TWO52 + 1023.0)  # the exponent, unbiased, as a double
    e = e - 54.0 if tiny else e
    m = _double_of((b & _MANTISSA) | _ONE)
    high = m > _SQRT2
    m = m * 0.5 if high else m
    e = e + 1.0 if high else e
    z = (m - 1.0) / (m + 1.0)
    z2 = z * z
    series = _LOG_TERMS[9]
    for k in range(8, -1, -1):
        series = series * z2 + _LOG_TERMS[k]
    return e * _LN2_HI + (2.0 * z * series + e * _LN2_LO) if x > 0.0 else -np.inf


@nb.njit(inline="always", error_model="numpy")
def power_of_log(log_x, y):
    """x ** y from log x ≤ 0 (log_unit's) and y ≥ 0: exactly 1 where y = 0 or log x = 0, 0 where
    log x = −inf and y > 0."""
    v = max(y * log_x, _UNDERFLOW) if y > 0.0 else 0.0
    rounded = v * _INV_LN2 + _ROUND
    k = _bits_of(rounded) - _bits_of(_ROUND)
    kf = rounded - _ROUND
    r = (v - kf * _LN2_HI) - kf * _LN2_LO
    p = _EXP_TERMS[13]
    for j in range(12, -1, -1):
        p = p * r + _EXP_TERMS[j]
    half = k >> 1  # 2^k as 2^half · 2^(k − half), each a normal double down to k = −1076
    p = p * _double_of((half + 1023) << 52) * _double_of((k - half + 1023) << 52)
    return 0.0 if v <= _UNDERFLOW else p

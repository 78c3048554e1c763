"""The coupling's vectorisable power (engine/power.py) against Python's `**`, exactly where it must
be exact, and compiled against its own source run as Python."""

from __future__ import annotations

import numba as nb
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from materiel.engine.power import log_unit, power_of_log

EPS = 2.0 ** -52
SMALLEST_NORMAL = np.finfo(np.float64).tiny
SUBNORMAL = np.finfo(np.float64).smallest_subnormal


@nb.njit(error_model="numpy")
def _powers(x, y, out):
    """The loop a coupling runs: x ** y for each pair, as the kernel evaluates it."""
    for j in range(x.shape[0]):
        out[j] = power_of_log(log_unit(x[j]), y[j])


def powers(x, y) -> np.ndarray:
    out = np.empty(len(x))
    _powers(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), out)
    return out


unit = st.floats(0.0, 1.0, allow_subnormal=True)
exponent = st.floats(0.0, 5.0)


@settings(max_examples=300, deadline=None)
@given(x=st.lists(unit, min_size=1, max_size=64), y=st.data())
def test_power_is_x_to_the_y_within_its_stated_error(x, y):
    ys = y.draw(st.lists(exponent, min_size=len(x), max_size=len(x)))
    got, expected = powers(x, ys), np.array([a ** b for a, b in zip(x, ys)])
    with np.errstate(divide="ignore", invalid="ignore"):  # x = 0: the result is exact (tested below)
        bound = (1.0 + np.abs(np.array(ys) * np.log(x))) * 2 * EPS
    bound = np.where(np.isfinite(bound), bound, 0.0)
    normal = expected >= SMALLEST_NORMAL
    assert (np.abs(got - expected)[normal] <= bound[normal] * expected[normal]).all()
    # below the normal range a double holds fewer bits: within a few of its smallest steps
    assert (np.abs(got - expected)[~normal] <= 4 * SUBNORMAL + bound[~normal] * expected[~normal]).all()


def test_power_is_exact_where_a_coupling_needs_it_to_be():
    x = np.array([1.0, 1.0, 0.37, 0.0, 0.0, 5e-324, 0.0, 1.0])
    y = np.array([0.07, 5.0, 0.0, 0.0, 0.02, 0.0, 5.0, 0.0])
    expected = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0])  # fired in full, elasticity 0, nothing fired
    assert np.array_equal(powers(x, y), expected)
    assert log_unit(1.0) == 0.0 and log_unit(0.0) == -np.inf


@settings(max_examples=50, deadline=None)
@given(x=st.lists(unit, min_size=1, max_size=32), y=st.data())
def test_compiled_power_equals_its_source_run_as_python_to_the_last_bit(x, y):
    ys = y.draw(st.lists(exponent, min_size=len(x), max_size=len(x)))
    as_python = [power_of_log.py_func(log_unit.py_func(a), b) for a, b in zip(x, ys)]
    assert np.array_equal(powers(x, ys), np.array(as_python))

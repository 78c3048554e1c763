"""Streamed per-step quantiles: within the stated error, and the same however runs are split."""

from __future__ import annotations

import datetime as dt

import numpy as np

from materiel.engine import histogram
from materiel.scenario.loading import load_scenario
from materiel.scenario.variants import with_time_frame
from materiel.simulation import simulate

QS = (0.05, 0.1, 0.5, 0.9, 0.95)


def test_quantiles_are_within_the_error_bound_and_blocks_merge_exactly():
    rng = np.random.default_rng(0)
    x = rng.lognormal(2, 3, size=(4, 30_001))
    x[0, :5000] = 0.0
    whole = np.zeros((4, histogram.BINS), dtype=np.int64)
    histogram.add(whole, x)
    merged = np.zeros_like(whole)
    for part in np.array_split(x, 7, axis=1):
        histogram.add(merged, part)
    assert np.array_equal(whole, merged)
    got = histogram.quantiles(whole, QS)
    exact = np.quantile(x, QS, axis=1, method="inverted_cdf")
    small = exact < 2.0**histogram.LOWEST
    assert (np.abs(got - exact)[small] <= 2.0**histogram.LOWEST).all()
    assert (np.abs(got / np.where(small, 1, exact) - 1)[~small] <= histogram.ERROR).all()


def test_bands_are_the_same_whatever_the_block_size_or_workers():
    sc = with_time_frame(load_scenario("russia-ukraine-2022"), dt.date(2022, 12, 31))
    a = simulate(sc, runs=500, seed=2, keep=500, bands=True)
    assert np.array_equal(a.bands, simulate(sc, runs=500, seed=2, keep=0, bands=True, block_size=77).bands)
    assert np.array_equal(a.bands, simulate(sc, runs=500, seed=2, keep=10, bands=True, workers=2).bands)
    for name in ("front", "storage", "lost"):
        exact = np.quantile(a.trajectories[name].astype(np.float64), QS, axis=0, method="inverted_cdf")
        got = a.step_quantiles(name, QS)
        big = exact >= 2.0**histogram.LOWEST
        assert (np.abs(got / np.where(big, exact, 1) - 1)[big] <= histogram.ERROR).all()

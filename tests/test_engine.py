"""The engine against the per-run reference and against its own source run as Python, its
invariants, and independence from blocking."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_runs import engine_block, starting_stocks
from materiel.engine.draws import draw_bytes, sample_draws
from materiel.engine.layout import layout
from materiel.engine.runner import outcome
from materiel.engine.scalars import FIELDS, NEVER
from materiel.engine.variables import VARIABLES
from materiel.scenario.schema import Scenario
from materiel.simulation import simulate
from reference import reference_run
from strategies import scenario_doc

RUNS = np.arange(4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc(), seed=st.integers(0, 2**31))
def test_engine_matches_reference(doc, seed):
    sc = Scenario.model_validate(doc)
    lay, block = engine_block(sc, seed, RUNS)
    for r in RUNS:
        ref = reference_run(sc, lay.edges, seed, int(r))
        for i, key in enumerate(lay.lines):
            for v in VARIABLES:
                np.testing.assert_allclose(block.lines[v][r, :, i], ref["lines"][key][v], rtol=1e-9, atol=1e-7,
                                           err_msg=f"{key} {v} run {r}")
        for k, s in enumerate(lay.sides):
            expected = np.array(ref["workforce"][s])
            got = block.workforce[r, :, k]
            np.testing.assert_allclose(np.where(np.isinf(got), np.nan, got), expected, rtol=1e-9, atol=1e-7)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc(race=True), seed=st.integers(0, 2**31))
def test_a_race_crosses_in_the_first_step_its_lead_changes_hands(doc, seed):
    """Each run's crossing step, as the engine reduces it on the way, is the first step after the
    first in which the side ahead (fired more, or as much) is not the side ahead at the start, in
    the run's own trajectories; NEVER if there is none."""
    sc = Scenario.model_validate(doc)
    lay, block = engine_block(sc, seed, RUNS)
    assert lay.races
    for k, (a, b) in enumerate(lay.races):
        ahead = block.lines["lost"][:, :, a] >= block.lines["lost"][:, :, b]  # [runs, T], float64 as in the engine
        changed = ahead != ahead[:, :1]  # False in the first step
        expected = np.where(changed.any(axis=1), changed.argmax(axis=1), NEVER)
        np.testing.assert_array_equal(block.scalars.crossed[:, k], expected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc())
def test_draw_bytes_are_the_bytes_of_one_runs_draws(doc):
    lay = layout(Scenario.model_validate(doc))
    draws = sample_draws(lay, 0, np.arange(1))
    assert draw_bytes(lay) == sum(a.nbytes for pars in draws for a in pars)


def test_compiled_engine_equals_its_source_run_as_python_to_the_last_bit(tmp_path):
    """The kernel run uncompiled (NUMBA_DISABLE_JIT=1: the readable baseline, each flow plain Python)
    and compiled give the same numbers, bit for bit, on hypothesis scenarios (tests/uncompiled.py)."""
    out = tmp_path / "uncompiled.pickle"
    subprocess.run([sys.executable, str(Path(__file__).with_name("uncompiled.py")), str(out)], check=True,
                   env={**os.environ, "NUMBA_DISABLE_JIT": "1"}, timeout=600)
    cases = pickle.loads(out.read_bytes())
    assert len(cases) >= 30
    for case in cases:
        sc = Scenario.model_validate(case["doc"])
        got = outcome(layout(sc), case["seed"], case["runs"], keep=case["keep"], dtype=np.float64)
        for f in (*FIELDS, "has_storage"):
            assert np.array_equal(getattr(got.scalars, f), case["scalars"][f], equal_nan=True), f
        for v in VARIABLES:
            assert np.array_equal(got.lines[v], case["lines"][v]), v
        assert np.array_equal(got.workforce, case["workforce"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc(), seed=st.integers(0, 2**31))
def test_no_negative_stock_and_every_step_balances(doc, seed):
    sc = Scenario.model_validate(doc)
    runs = np.arange(16)
    lay, block = engine_block(sc, seed, runs)
    start = starting_stocks(lay, seed, runs)
    x = block.lines
    tol = 1e-9 * (1 + max(np.abs(a).max() for a in x.values()))
    for v in VARIABLES:
        assert (x[v] >= -tol).all(), f"{v} went negative"

    def previous(stock):
        return np.concatenate([start[stock][:, None, :], x[stock][:, :-1]], axis=1)

    np.testing.assert_allclose(x["front"], previous("front") + x["arrived"] + x["repaired"] - x["lost"], atol=tol)
    repairable = sample_draws(lay, seed, runs).repair.fraction.T[:, None, :]  # [R, 1, L]
    np.testing.assert_allclose(x["workshop"], previous("workshop") + repairable * x["lost"] - x["repaired"], atol=tol)
    np.testing.assert_allclose(x["pipeline"], previous("pipeline") + x["produced"] + x["refurbished"]
                               + x["imported"] - x["arrived"], atol=tol)
    np.testing.assert_allclose(x["storage"], previous("storage") - x["drawn"], atol=tol)
    np.testing.assert_allclose(x["shortfall"], x["demand"] - x["lost"], atol=tol)
    assert (x["refurbished"] <= x["drawn"] + tol).all()
    assert (x["coverage"] <= 1 + 1e-12).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc(), seed=st.integers(0, 2**31), sizes=st.lists(st.integers(1, 40), min_size=2, max_size=2))
def test_results_identical_whatever_the_block_size(doc, seed, sizes):
    sc = Scenario.model_validate(doc)
    a = simulate(sc, runs=37, seed=seed, block_size=sizes[0])
    b = simulate(sc, runs=37, seed=seed, block_size=sizes[1])
    for field in FIELDS:
        assert np.array_equal(getattr(a.scalars, field), getattr(b.scalars, field), equal_nan=True)
    for v in VARIABLES:
        assert np.array_equal(a.trajectories[v], b.trajectories[v], equal_nan=True)


def small_scenario(**line_changes) -> Scenario:
    line = {
        "front": 10,
        "transit_days": 7,
        "storage": {"good": {"stock": 8, "yield": 0.5}, "poor": {"stock": 100, "yield": 0.25}},
        "refurbish": {"per": "week", "values": {"2024-01-01": 10}},
        "production": {"per": "week", "base": 2},
        "demand": {"per": "week", "values": {"2024-01-01": 9}},
        **line_changes,
    }
    return Scenario.model_validate({"name": "small", "start": "2024-01-01", "horizon": "2024-01-28",
                                    "step": "week", "sides": {"a": {"lines": {"tanks": line}}}})


def test_hand_worked_small_case():
    """Four weeks, worked by hand.

    Week 1: draw 8 good (→4) + 2 poor (→0.5); ship 2 + 4.5 = 6.5 arriving week 2.
            front 10 meets demand 9 → lost 9, front 1.
    Week 2: draw 10 poor → 2.5; ship 4.5. Arrive 6.5 → front 7.5 − 9 → lost 7.5, shortfall 1.5.
    Week 3: same draw; arrive 4.5 → lost 4.5, shortfall 4.5.  Week 4: likewise.
    """
    _, block = engine_block(small_scenario(), 0, np.arange(1))
    x = {v: block.lines[v][0, :, 0] for v in VARIABLES}
    np.testing.assert_allclose(x["drawn"], [10, 10, 10, 10])
    np.testing.assert_allclose(x["refurbished"], [4.5, 2.5, 2.5, 2.5])
    np.testing.assert_allclose(x["arrived"], [0, 6.5, 4.5, 4.5])
    np.testing.assert_allclose(x["lost"], [9, 7.5, 4.5, 4.5])
    np.testing.assert_allclose(x["shortfall"], [0, 1.5, 4.5, 4.5])
    np.testing.assert_allclose(x["storage"], [98, 88, 78, 68])
    np.testing.assert_allclose(x["front"], [1, 0, 0, 0])
    np.testing.assert_allclose(x["pipeline"], [6.5, 4.5, 4.5, 4.5])


def test_storage_runout_and_first_shortfall_dates():
    sc = small_scenario(storage={"good": {"stock": 25, "yield": 1}}, production={"per": "week", "base": 0})
    ens = simulate(sc, runs=3, seed=0)
    runout = ens.depletion("a", "tanks")
    assert runout.probability == 1.0
    # 25 units at 10 a week: 15 left after week 1, 5 after week 2, empty during week 3 (15–21 Jan)
    assert str(runout.quantiles[0.5]) == "2024-01-21"
    # front 10, demand 9 a week, 10 a week arriving from week 2 until storage is empty:
    # front ends weeks 1–3 at 1, 2, 3; week 4 brings only the last 5 → 8 for 9 → shortfall 1
    assert int(ens.scalars.first_shortfall[0, 0]) == 3


def test_workforce_shortage_lowers_output_by_coverage():
    line = {"demand": {"per": "year", "values": {"2024-01-01": 0}},
            "production": {"per": "year", "base": 100, "workers_per_unit": 10}}
    sc = Scenario.model_validate({
        "name": "wf", "start": "2024-01-01", "horizon": "2024-12-31", "step": "month",
        "sides": {"a": {"workforce": {"initial": 250, "pool": 600, "hiring": 1200},
                        "lines": {"x": line, "y": {**line, "production": {**line["production"], "priority": 1}}}}}})
    _, block = engine_block(sc, 0, np.arange(1))
    cov = block.lines["coverage"][0]
    # month 1: 250 workers, x (priority 0) needs 1000 → x gets 25%, y nothing
    assert cov[0, 0] == pytest.approx(0.25) and cov[0, 1] == 0
    # hiring 100 a month toward the pool of 600: x is covered once 1000 needed... never (pool 600 < 1000)
    assert cov[:, 0].max() == pytest.approx(0.6) and cov[:, 1].max() == 0
    assert block.workforce[0, -1, 0] == pytest.approx(600)

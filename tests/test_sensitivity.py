"""Sensitivity and discovery: designs through the engine, planted cases, PRIM, the commands."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import materiel as mt
from conftest import ROOT, run_cli
from materiel.analysis import discovery
from materiel.analysis import sensitivity as sa
from materiel.engine.draws import Design, drawn_paths
from materiel.engine.layout import layout
from materiel.engine.sampling import uniforms
from materiel.engine.scalars import FIELDS
from materiel.errors import InputError
from materiel.scenario.schema import Scenario

# Two lines with nothing in common (no workforce): line `own`'s outcomes cannot depend on line `other`'s quantities.
LINE = {
    "front": {"low": 50, "high": 150},
    "transit_days": {"low": 7, "high": 21},
    "storage": {"good": {"stock": {"low": 200, "high": 600}, "yield": {"low": 0.5, "high": 0.9}}},
    "refurbish": {"per": "week", "values": {"2024-01-01": {"low": 5, "high": 15}, "2024-06-01": {"low": 5, "high": 15}}},
    "production": {"per": "week", "base": {"low": 1, "high": 4}},
    "demand": {"per": "week", "values": {"2024-01-01": {"low": 10, "high": 30}, "2024-06-01": {"low": 10, "high": 30}}},
}
DOC = {"name": "planted", "start": "2024-01-01", "horizon": "2024-12-31", "step": "week",
       "sides": {"a": {"lines": {"own": LINE, "other": LINE}}}}
PLANTED = Scenario.model_validate(DOC)


def same_ensembles(a, b) -> bool:
    return all(np.array_equal(getattr(a.scalars, f), getattr(b.scalars, f), equal_nan=True) for f in FIELDS)


def test_design_of_the_hashed_uniforms_is_the_hashed_ensemble_whatever_the_blocks_and_workers():
    lay = layout(PLANTED)
    paths = drawn_paths(lay)
    u = np.column_stack([uniforms(5, p, np.arange(300)) for p in paths])
    plain = mt.simulate(PLANTED, runs=300, seed=5, keep=0)
    design = Design(tuple(paths), u)
    assert same_ensembles(plain, mt.simulate(PLANTED, runs=300, seed=5, keep=0, design=design, block_size=37))
    assert same_ensembles(plain, mt.simulate(PLANTED, runs=300, seed=5, keep=0, design=design, workers=2))
    half = Design(tuple(paths[:3]), u[:, :3])  # quantities not in the design keep their hashed draws
    assert same_ensembles(plain, mt.simulate(PLANTED, runs=300, seed=5, keep=0, design=half, block_size=64))


def test_a_design_changes_what_it_names_and_nothing_else():
    path = "sides.a.lines.own.storage.good.stock"
    low = mt.simulate(PLANTED, runs=50, seed=1, keep=0, design=Design((path,), np.full((50, 1), 1e-9)))
    high = mt.simulate(PLANTED, runs=50, seed=1, keep=0, design=Design((path,), np.full((50, 1), 1 - 1e-9)))
    own, other = 0, 1  # layout order: as written
    early, late = sa.outcome_values(low, "runout", own), sa.outcome_values(high, "runout", own)
    assert (early <= late).all() and (early < late).any()
    assert np.array_equal(low.scalars.shortfall[:, other], high.scalars.shortfall[:, other])


@pytest.mark.parametrize("paths, values, expected", [
    (("sides.a.lines.own.nowhere",), 0.5, "sides.a.lines.own.nowhere: is not an uncertain quantity"),
    (("sides.a.lines.own.front",), 1.0, "strictly between 0 and 1"),
    (("sides.a.lines.own.front",), 0.0, "strictly between 0 and 1"),
])
def test_a_bad_design_is_refused_naming_the_problem(paths, values, expected):
    with pytest.raises(InputError, match=expected):
        mt.simulate(PLANTED, runs=10, design=Design(paths, np.full((10, len(paths)), values)))


def test_never_running_out_is_censored_one_step_past_the_horizon():
    doc = json.loads(json.dumps(DOC))
    doc["sides"]["a"]["lines"]["own"]["storage"]["good"]["stock"] = {"low": 1e6, "high": 2e6}
    ens = mt.simulate(Scenario.model_validate(doc), runs=20, keep=0)
    assert (ens.scalars.runout[:, 0] == -1).all()
    assert (sa.outcome_values(ens, "runout", 0) == ens.layout.steps).all()


def test_default_factors_group_each_schedule():
    groups = sa.factors(layout(PLANTED))
    assert groups["sides.a.lines.own.demand.values"] == ["sides.a.lines.own.demand.values.2024-01-01",
                                                         "sides.a.lines.own.demand.values.2024-06-01"]
    assert groups["sides.a.lines.own.storage.good.stock"] == ["sides.a.lines.own.storage.good.stock"]
    assert len(sa.factors(layout(PLANTED), grouped=False)) == sum(len(m) for m in groups.values())


@pytest.fixture(scope="module")
def planted_sobol():
    return mt.sensitivity(PLANTED, ("runout", "shortfall", "ratio"), ["a/own"], base_samples=512, seed=3,
                          series=("storage",), keep=1500)


def test_planted_sobol_other_lines_factors_are_zero_and_own_drivers_dominate(planted_sobol):
    indices, _ = planted_sobol
    assert indices.attrs["runs"] == 512 * (len(sa.factors(layout(PLANTED))) + 2)
    for outcome, frame in indices.groupby("outcome"):
        other = frame[frame.factor.str.startswith("sides.a.lines.other.")]
        assert (other.S1.abs() <= other.S1_conf + 0.01).all(), outcome
        assert (other.ST.abs() <= other.ST_conf + 0.01).all(), outcome
        assert frame.iloc[0].factor.startswith("sides.a.lines.own."), outcome
        assert frame.iloc[0].ST > 0.2


def test_sobol_indices_are_finite_and_total_at_least_first_order(planted_sobol):
    indices, _ = planted_sobol
    values = indices[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()
    assert np.isfinite(values).all()
    assert (indices.ST >= indices.S1 - indices.S1_conf - indices.ST_conf).all()


def test_planted_indices_over_time(planted_sobol):
    _, over_time = planted_sobol
    noise = over_time.attrs["noise"]
    other = over_time[over_time.factor.str.startswith("sides.a.lines.other.")]
    own = over_time[over_time.factor == "sides.a.lines.own.storage.good.stock"]
    assert ((over_time.S1 >= 0) & (over_time.S1 <= 1)).all()
    assert other.S1.max() < 6 * noise
    assert own.S1.max() > 0.3


def test_planted_pawn_screening_puts_other_lines_factors_with_the_dummy():
    indices, _ = mt.sensitivity(PLANTED, ("runout", "shortfall"), ["a/own"], method="pawn", runs=4000, seed=2)
    for outcome, frame in indices.groupby("outcome"):
        dummy = frame.dummy.iloc[0]
        other = frame[frame.factor.str.startswith("sides.a.lines.other.")]
        assert other.pawn.max() < 2 * dummy + 0.02, outcome
        assert frame.iloc[0].factor.startswith("sides.a.lines.own.") and frame.iloc[0].pawn > 4 * dummy, outcome


def test_correlation_ratio_finds_a_step_function_and_ignores_noise():
    rng = np.random.default_rng(0)
    x, z = rng.random(4000), rng.random(4000)
    y = np.column_stack([x > 0.5, z, np.zeros(4000)]).astype(float)
    s = sa.correlation_ratio(x, y)
    assert s[0] > 0.95 and s[1] < 0.02 and s[2] == 0


def test_prim_recovers_a_planted_box():
    rng = np.random.default_rng(1)
    x = rng.random((3000, 5))
    y = (x[:, 1] < 0.3) & (x[:, 3] > 0.6)
    found = discovery.discover(x, [f"u{j}" for j in range(5)], y, "planted")
    box = found.box.set_index("factor")
    assert set(box.index) == {"u1", "u3"}
    assert box.loc["u1", "high"] == pytest.approx(0.3, abs=0.03) and box.loc["u3", "low"] == pytest.approx(0.6, abs=0.03)
    assert found.density > 0.95 and found.coverage > 0.9 and (box.quasi_p < 1e-6).all()
    best = found.rules.iloc[0]
    assert best.density > 0.95 and "u1 <= 0.3" in best.rule and "u3 > 0.6" in best.rule


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), share=st.floats(0.05, 0.95), alpha=st.floats(0.02, 0.2))
def test_peeling_trajectory_numbers_are_shares_and_coverage_only_falls(seed, share, alpha):
    rng = np.random.default_rng(seed)
    x = rng.random((400, 3))
    y = rng.random(400) < share * (0.5 + x[:, 0])
    boxes = discovery.peel(x, y, alpha)
    coverage = np.array([b.coverage for b in boxes])
    mass = np.array([b.mass for b in boxes])
    for values in (coverage, mass, np.array([b.density for b in boxes])):
        assert ((values >= 0) & (values <= 1)).all()
    assert (np.diff(coverage) <= 1e-12).all() and (np.diff(mass) < 0).all()
    rules = discovery.cart_rules(x, y, ["a", "b", "c"])  # CART's leaves split the runs and the cases
    assert rules.runs.sum() == 400 and rules.coverage.sum() == pytest.approx(1.0 if y.any() else 0.0)


@pytest.mark.parametrize("when, expected", [
    ("a/own runout soon", "expected 'SIDE/LINE OUTCOME"),
    ("a/nowhere runout before 2024-06-01", "no line a/nowhere"),
    ("a/own runout above 3", "runout takes before|after DATE"),
    ("a/own runout before June", "expected a date as YYYY-MM-DD"),
    ("a/own ratio below lots", "expected a number"),
])
def test_malformed_when_is_refused(when, expected):
    with pytest.raises(InputError, match=expected):
        discovery.parse_when(when, layout(PLANTED))


def test_when_before_a_date():
    ens = mt.simulate(PLANTED, runs=400, seed=0, keep=0)
    cond = discovery.parse_when("a/own runout before 2024-09-01", ens.layout)
    steps = ens.scalars.runout[:, 0]
    ran = steps >= 0
    expected = ran & (ens.step_end(np.where(ran, steps, 0)) < np.datetime64("2024-09-01"))
    assert np.array_equal(cond.holds(ens), expected) and 0 < expected.sum() < 400


@pytest.fixture
def planted_file(tmp_path):
    path = tmp_path / "planted.yaml"
    path.write_text(yaml.safe_dump({"draft": True, **DOC}))
    return path


def test_sensitivity_command_writes_json_and_a_report_with_the_heat_map(planted_file, tmp_path):
    done = run_cli("sensitivity", str(planted_file), "--base-samples", "64", "--keep", "500",
                   "--json", str(tmp_path / "s.json"), "--out", str(tmp_path / "rep"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["method"] == "sobol" and doc["runs"] == 64 * (doc["factors"] + 2)
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(doc["indices"][0]) and doc["over_time_peaks"]
    assert "Top factors" in done.stdout
    figures = {p.name for p in (tmp_path / "rep" / "figures").iterdir()}
    assert "over-time-storage-a-own.png" in figures and "indices-runout-a-own.png" in figures
    assert "over-time-storage-a-own" in (tmp_path / "rep" / "report.html").read_text()


def test_discover_command_on_the_builtin_scenario(tmp_path):
    done = run_cli("discover", "--when", "russia/tanks runout before 2026-01-01", "--runs", "2000",
                   "--json", str(tmp_path / "d.json"), "--out", str(tmp_path / "rep"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "d.json").read_text())
    assert 0 < doc["cases"] < 2000 and 0 <= doc["box"]["coverage"] <= 1 and doc["box"]["limits"]
    assert any(r["factor"].startswith("sides.russia.lines.tanks.") for r in doc["box"]["limits"])
    assert (tmp_path / "rep" / "figures" / "prim-tradeoff.png").exists() and "PRIM box" in done.stdout


def test_sensitivity_command_on_the_builtin_scenario_with_few_samples():
    done = run_cli("sensitivity", "--base-samples", "8", "--line", "russia/tanks", "--series", "none", "--quiet")
    assert done.returncode == 0 and done.stdout == "", done.stderr


@pytest.mark.parametrize("args, expected", [
    (["sensitivity", "--outcome", "speed"], "unknown outcome 'speed'"),
    (["sensitivity", "--line", "russia/boats"], "no line russia/boats"),
    (["sensitivity", "--base-samples", "100"], "must be a power of 2"),
    (["sensitivity", "--method", "guess"], "expected sobol or pawn"),
    (["discover", "--when", "russia/tanks runout whenever"], "expected 'SIDE/LINE OUTCOME"),
])
def test_bad_input_exits_2_with_one_clear_line(args, expected):
    done = run_cli(*args)
    assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr


def test_help_of_the_new_commands_imports_no_numerical_library():
    code = ("import sys; from materiel.cli import main\ntry: main(['sensitivity', '--help'])\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('pandas', 'numba', 'scipy', 'SALib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr

"""XMILE export: well-formed XMILE that PySD runs step for step like materiel's deterministic run."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
from defusedxml import ElementTree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from materiel.engine.variables import STOCKS, VARIABLES
from materiel.engine.stockflow import ident
from materiel.interop.build import build_model
from materiel.interop.trajectories import deterministic_run
from materiel.interop.xmile import NS, export_xmile
from materiel.scenario.loading import builtin_names, load_scenario
from materiel.scenario.schema import Scenario
from materiel.scenario.variants import deterministic
from engine_runs import starting_stocks
from strategies import scenario_doc

pysd = pytest.importorskip("pysd")
pytestmark = [pytest.mark.pysd,
              pytest.mark.filterwarnings("ignore:The inplace keyword")]  # inside PySD, with pandas 3

RTOL = 1e-6
_files = itertools.count()


def run_in_pysd(path) -> pd.DataFrame:
    """Translate and run an XMILE file with PySD. PySD writes lookup tables with numpy's print
    precision (8 decimals) unless told to print floats in full."""
    with np.printoptions(floatmode="unique"):
        model = pysd.read_xmile(str(path))
    return model.run()


def assert_pysd_matches_engine(sc: Scenario, folder, quantile: float = 0.5) -> None:
    """Export `sc`, run it in PySD and compare every stock and flow with the engine (RTOL, and an
    absolute 1e-9 of each series' largest value for values near 0)."""
    path = folder / f"model{next(_files)}.xmile"
    export_xmile(sc, path, quantile)
    got = run_in_pysd(path)
    lay, block = deterministic_run(sc, quantile)
    T = lay.steps
    assert len(got) == T + 1

    def compare(column: str, expected: np.ndarray, stock: bool, start: float | None = None) -> None:
        values = got[column].to_numpy(dtype=float)
        actual = values[1:] if stock else values[:-1]
        atol = 1e-9 * max(1.0, np.abs(expected).max())
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=atol, err_msg=column)
        if start is not None:
            np.testing.assert_allclose(values[0], start, rtol=RTOL, err_msg=f"{column} at time 0")

    before = starting_stocks(lay, 0, np.zeros(1, dtype=np.int64))
    for i, (side, line) in enumerate(lay.lines):
        for v in VARIABLES:
            start = before[v][0, i] if v in STOCKS else None
            compare(ident(side, line, v), block.lines[v][0, :, i], v in STOCKS, start)
    for k, side in enumerate(lay.sides):
        if sc.sides[side].workforce is not None:
            compare(ident(side, "workforce"), block.workforce[0, :, k], True)


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_scenarios_run_in_pysd_as_in_materiel(name, tmp_path):
    assert_pysd_matches_engine(load_scenario(name), tmp_path)


def test_month_steps_of_unequal_length_match(tmp_path):
    sc = load_scenario(builtin_names()[0])
    sc = sc.model_copy(update={"step": "month", "horizon": sc.start + dt.timedelta(days=800)})
    assert_pysd_matches_engine(sc, tmp_path, quantile=0.8)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(doc=scenario_doc(), quantile=st.floats(0.05, 0.95))
def test_random_scenarios_run_in_pysd_as_in_materiel(doc, quantile, tmp_path):
    assert_pysd_matches_engine(Scenario.model_validate(doc), tmp_path, quantile)


def test_export_is_well_formed_xmile(tmp_path):
    path = tmp_path / "model.xmile"
    export_xmile(load_scenario(builtin_names()[0]), path)
    root = ElementTree.parse(path).getroot()
    ns = {"x": NS}
    assert root.tag == f"{{{NS}}}xmile" and root.get("version") == "1.0"
    assert root.find("x:header/x:vendor", ns).text == "materiel"
    assert root.find("x:header/x:product", ns).get("version")
    specs = root.find("x:sim_specs", ns)
    assert specs.get("method") == "Euler"
    assert float(specs.find("x:start", ns).text) == 0 and float(specs.find("x:dt", ns).text) == 1
    variables = root.find("x:model/x:variables", ns)
    names = [v.get("name") for v in variables]
    assert len(names) == len({n.lower() for n in names})
    flows = {v.get("name") for v in variables.findall("x:flow", ns)}
    for stock in variables.findall("x:stock", ns):
        float(stock.find("x:eqn", ns).text)
        assert {f.text for f in stock.findall("x:inflow", ns) + stock.findall("x:outflow", ns)} <= flows
    for gf in variables.iter(f"{{{NS}}}gf"):
        ys = gf.find("x:ypts", ns).text.split(",")
        assert gf.get("type") == "discrete" and ys[-1] == ys[-2]
        assert len(ys) == int(specs.find("x:stop", ns).text) + 1


def test_every_mechanism_matches(tmp_path):
    """Scarce workers shared by priority (with a tie), ordered draws past a class of yield 0,
    linear schedules, deliveries and month steps from the 31st (months of unequal length)."""
    d = dt.date
    demand = {"per": "month", "interpolation": "linear", "values": {d(2022, 1, 31): {"low": 20, "high": 40},
                                                                    d(2023, 6, 1): 90}}
    production = {"per": "year", "base": 300, "multiplier": {"low": 2, "high": 4}, "ramp_years": 1,
                  "workers_per_unit": 10}
    doc = {"name": "all", "start": d(2022, 1, 31), "horizon": d(2024, 5, 15), "step": "month", "sides": {"a": {
        "workforce": {"initial": 4000, "pool": 20000, "hiring": 20000},
        "lines": {
            "x": {"front": 50, "transit_days": 40, "demand": demand, "production": {**production, "priority": 1},
                  "storage": {"good": {"stock": 200, "yield": 0.9}, "hulk": {"stock": 500, "yield": 0},
                              "fair": {"stock": 900, "yield": {"low": 0.3, "high": 0.5}}},
                  "refurbish": {"per": "month", "interpolation": "linear",
                                "values": {d(2022, 1, 31): 30, d(2023, 1, 1): 60}}},
            "y": {"front": 10, "demand": demand, "production": {**production, "priority": 0}},
            "z": {"front": 10, "transit_days": 70, "demand": demand, "production": {**production, "priority": 0}}},
        "suppliers": {"ally": {"line": "x", "transit_days": 10, "deliveries": [
            {"start": d(2022, 3, 1), "end": d(2022, 9, 15), "quantity": 700}]}}}}}
    assert_pysd_matches_engine(Scenario.model_validate(doc), tmp_path, quantile=0.3)


def test_zero_delay_and_chained_pipeline(tmp_path):
    """Same-step arrivals go straight to the front; longer ones move down a chain, one stock per step."""
    doc = {"name": "t", "start": dt.date(2024, 1, 1), "horizon": dt.date(2024, 3, 31), "step": "week",
           "sides": {"a": {"lines": {"x": {
               "front": 5, "transit_days": 0, "demand": {"values": {dt.date(2024, 1, 1): {"low": 2, "high": 4}}},
               "production": {"per": "day", "base": 1}}},
               "suppliers": {"ally": {"line": "x", "transit_days": 21, "deliveries": [
                   {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 2, 1), "quantity": 100}]}}}}}
    sc = Scenario.model_validate(doc)
    model = build_model(sc)
    stocks = {v.name: v for v in model.variables if type(v).__name__ == "Stock"}
    assert set(stocks) == {"a_x_front", "a_x_pipeline_1", "a_x_pipeline_2", "a_x_pipeline_3"}
    assert "a_x_produced" in stocks["a_x_front"].inflows
    assert "a_x_imported_ally" in stocks["a_x_pipeline_3"].inflows
    assert_pysd_matches_engine(sc, tmp_path)


def test_colliding_names_are_refused():
    doc = {"name": "t", "start": dt.date(2024, 1, 1), "horizon": dt.date(2024, 2, 1),
           "sides": {"a_b": {"lines": {"c": {"demand": {"values": {dt.date(2024, 1, 1): 1}}}}},
                     "a": {"lines": {"b c": {"demand": {"values": {dt.date(2024, 1, 1): 1}}}}}}}
    with pytest.raises(ValueError, match="two variables would be named 'a_b_c_"):
        build_model(Scenario.model_validate(doc))


def test_deterministic_variant_puts_every_quantity_at_its_quantile():
    from materiel.scenario.distributions import quantile as inverse_cdf
    from materiel.scenario.schema import iter_quantities

    sc = load_scenario(builtin_names()[0])
    for q in (0.5, 0.9):
        variant = dict(iter_quantities(deterministic(sc, q)))
        for path, quantity in iter_quantities(sc):
            point = variant[path]
            assert point.dist == "point" and point.source == quantity.source, path
            assert point.value == pytest.approx(float(inverse_cdf(quantity, q))), path
            if q == 0.5:
                assert point.value == pytest.approx(quantity.central()), path
    with pytest.raises(ValueError):
        deterministic(sc, 1.0)


def test_cli_export_and_deterministic_trajectories_agree_with_pysd(cli, tmp_path):
    model, table = tmp_path / "model.xmile", tmp_path / "run.parquet"
    done = cli("export", "--xmile", str(model), "--step", "month", "--horizon", "2024-12-31")
    assert done.returncode == 0, done.stderr
    assert "stocks" in done.stdout
    done = cli("run", "--deterministic", "--step", "month", "--horizon", "2024-12-31", "--trajectories", str(table),
               "--no-store", "-q")
    assert done.returncode == 0, done.stderr
    rows = pd.read_parquet(table)
    assert list(rows.columns) == ["time", "side", "line", "variable", "value"]
    got = run_in_pysd(model)
    for (side, line, variable), series in rows.groupby(["side", "line", "variable"], dropna=False):
        name = ident(side, "workforce") if variable == "workforce" else ident(side, line, variable)
        values = got[name].to_numpy(dtype=float)
        np.testing.assert_allclose(values[1:] if variable in STOCKS + ("workforce",) else values[:-1],
                                   series["value"].to_numpy(), rtol=RTOL, atol=1e-6, err_msg=name)


def test_cli_refuses_bad_options(cli, tmp_path):
    assert cli("export", "--xmile", str(tmp_path / "m.xmile"), "--quantile", "1").returncode == 2
    assert cli("export", "--xmile", str(tmp_path / "missing" / "m.xmile")).returncode == 2
    clash = tmp_path / "clash.yaml"
    clash.write_text("name: clash\ndraft: true\nstart: 2024-01-01\nhorizon: 2024-03-01\nsides:\n"
                     "  a_b: {lines: {c: {demand: {values: {2024-01-01: 1}}}}}\n"
                     "  a: {lines: {b c: {demand: {values: {2024-01-01: 1}}}}}\n")
    done = cli("export", str(clash), "--xmile", str(tmp_path / "m.xmile"))
    assert done.returncode == 2 and "rename a side, line" in done.stderr
    assert cli("run", "--quantile", "0.2", "--no-store", "-q").returncode == 2
    assert cli("run", "--deterministic", "--trajectories", str(tmp_path / "t.txt"), "--no-store", "-q").returncode == 2


def test_coupling_to_a_fire_far_below_plan_keeps_its_digits(tmp_path):
    """A coupling reads the other side's fire of the step before exactly, even at ~1e-13 of plan
    (a lag written as a stock, `fired_before + (fired − fired_before)`, would lose most digits)."""
    days = {"per": "day", "values": {dt.date(2022, 1, 1): 40}}
    doc = {"name": "t", "start": dt.date(2022, 1, 1), "horizon": dt.date(2022, 1, 8), "step": "day", "sides": {
        "a": {"lines": {"x": {"front": 100, "demand": days,
                              "attrition": {"per": "day", "values": {dt.date(2022, 1, 1): 2e-14}}}}},
        "b": {"lines": {"y": {"front": 1e6, "demand": days,
                              "coupling": {"side": "a", "line": "x", "elasticity": 0.2}}}}}}
    sc = Scenario.model_validate(doc)
    lay, block = deterministic_run(sc, 0.5)
    y = lay.lines.index(("b", "y"))
    assert 0 < block.lines["demand"][0, 1, y] < 40 * 1e-2  # (~5e-14)^0.2 of plan: the coupling bites
    assert_pysd_matches_engine(sc, tmp_path)



def test_coupling_to_a_vanishing_demand_met_in_full(tmp_path):
    """A demand far below 1e-300 that is met in full is a fire of 1 (lost ÷ demand), in PySD as in the engine."""
    doc = {"name": "t", "start": dt.date(2022, 1, 1), "horizon": dt.date(2022, 1, 4), "step": "day", "sides": {
        "a": {"lines": {"x": {"front": 1, "demand": {"per": "day", "values": {dt.date(2022, 1, 1): 3e-323}}}}},
        "b": {"lines": {"y": {"front": 1e6, "demand": {"per": "day", "values": {dt.date(2022, 1, 1): 7}},
                              "coupling": {"side": "a", "line": "x", "elasticity": 1}}}}}}
    sc = Scenario.model_validate(doc)
    lay, block = deterministic_run(sc, 0.5)
    np.testing.assert_allclose(block.lines["demand"][0, :, lay.lines.index(("b", "y"))], 7)
    assert_pysd_matches_engine(sc, tmp_path)

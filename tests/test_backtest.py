"""The back-test's forecasts (windowing, the scenario as known at a cutoff, scores, the three methods) and SMC."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_calibration import planted_counts, scenario_text, write_series

import materiel as mt
from materiel.analysis.backtest import (
    METHODS,
    Forecast,
    backtest,
    carried_on,
    pooled,
    score,
    score_normal,
    truncated,
    window_lost,
    window_weights,
)
from materiel.analysis.calibration import (
    calibrate_lines,
    calibrated_quantities,
    effective_size,
    normalized,
    observed_series,
)
from materiel.analysis.sequential import collapsed, next_temperature, sequential
from materiel.observe import load_observed
from materiel.scenario.loading import parse

D = dt.date


def test_window_weights_count_each_step_pro_rata():
    edges = [D(2024, 1, 1), D(2024, 1, 8), D(2024, 1, 15), D(2024, 1, 22)]
    # Days 5-16 January: 3 of the first week's 7 days, all of the second, 2 of the third.
    assert window_weights(edges, D(2024, 1, 5), D(2024, 1, 17)) == pytest.approx([3 / 7, 1.0, 2 / 7])
    assert window_weights(edges, D(2024, 1, 8), D(2024, 1, 15)) == pytest.approx([0.0, 1.0, 0.0])
    assert window_weights(edges, D(2024, 1, 9), D(2024, 1, 10)) == pytest.approx([0.0, 1 / 7, 0.0])
    assert window_weights(edges, D(2023, 12, 1), D(2024, 1, 1)) == pytest.approx([0.0, 0.0, 0.0])


def test_window_lost_of_a_constant_demand():
    text = scenario_text(second="").replace("{low: 2, high: 20, source: made-up}", "{value: 7, source: made-up}")
    ens = mt.simulate(parse(text).scenario, runs=4, seed=0, keep=4)
    lost = window_lost(ens, "red", "tanks", D(2023, 3, 5), D(2023, 5, 4))  # 60 days at 7 a day
    assert lost == pytest.approx(np.full(4, 420.0))
    with pytest.raises(ValueError, match="before the window's end"):
        window_lost(ens, "red", "tanks", D(2024, 12, 1), D(2025, 3, 1))


def test_truncated_keeps_nothing_dated_after_the_cutoff():
    sc = parse(scenario_text()).scenario  # demand points 2023-01-01 and 2024-01-01
    cut = truncated(sc, D(2023, 6, 30))
    assert list(cut.sides["red"].lines["tanks"].demand.values) == [D(2023, 1, 1)]
    assert list(truncated(sc, D(2024, 1, 1)).sides["red"].lines["tanks"].demand.values) == [D(2023, 1, 1), D(2024, 1, 1)]
    late = parse(scenario_text().replace("2023-01-01: {low: 2", "2023-03-01: {low: 2")).scenario
    assert list(truncated(late, D(2023, 2, 1)).sides["red"].lines["tanks"].demand.values) == [D(2023, 3, 1)]
    builtin = truncated(mt.load_scenario("russia-ukraine-2022"), D(2024, 6, 30))
    for side in builtin.sides.values():
        for line in side.lines.values():
            capacity = line.production and line.production.capacity
            for schedule in (line.demand, line.refurbish, line.attrition, capacity):
                assert schedule is None or len(schedule.values) == 1 or max(schedule.values) <= D(2024, 6, 30)
        assert all(d.start <= D(2024, 6, 30) for sup in side.suppliers.values() for d in sup.deliveries)


def test_a_delivery_under_way_at_the_cutoff_goes_on_at_its_rate_with_its_draws():
    sc = mt.load_scenario("russia-ukraine-2022")
    cutoff, until = D(2024, 6, 30), D(2024, 12, 27)
    nk = sc.sides["russia"].suppliers["north-korea"]
    kept = carried_on(nk, cutoff, until)
    assert kept[:-1] == [d for d in nk.deliveries if d.end <= cutoff]  # those done by the cutoff, as written
    under_way = next(d for d in nk.deliveries if d.start <= cutoff < d.end)
    last = kept[-1]
    assert (last.start, last.end, last.id) == (under_way.start, until, f"{under_way.start}..{under_way.end}")
    days = lambda d: (d.end - d.start).days  # noqa: E731
    for f in ("low", "high"):
        assert getattr(last.quantity, f) / days(last) == pytest.approx(getattr(under_way.quantity, f) / days(under_way))
    assert carried_on(nk, D(2023, 6, 30), until) == []  # none started yet
    # Same draws: up to the cutoff, every step's imports are those of the whole scenario.
    cut = truncated(sc, cutoff, until).model_copy(update={"horizon": until})
    whole, known = (mt.simulate(s, runs=3, seed=4, keep=3) for s in (sc.model_copy(update={"horizon": until}), cut))
    steps = sum(e <= cutoff for e in known.layout.edges[1:])
    assert np.array_equal(whole.trajectories["imported"][:, :steps], known.trajectories["imported"][:, :steps])
    later = known.trajectories["imported"][:, steps + 2:, known.line_index("russia", "shells")]
    assert (later > 0).all()  # carried on where the scenario as written has other deliveries


def test_model_forecast_ignores_schedule_values_after_the_cutoff(tmp_path):
    """Demand dated after the cutoff, changed tenfold, leaves every forecast as it was; before it, not."""
    cutoff, lead = D(2023, 9, 30), 90
    folder = write_series(tmp_path / "gs", planted_counts())
    frames = {"general_staff": (str(folder), load_observed(folder))}
    later = "            2023-11-01: {low: %s, high: %s, source: made-up}\n"

    def rows(text: str) -> list[dict]:
        return backtest(parse(text).scenario, frames, [cutoff], lead, simulate=mt.simulate, runs=200, seed=5)["rows"]

    base = rows(scenario_text(second=later % (2, 20)))
    assert rows(scenario_text(second=later % (200, 300))) == base
    earlier = scenario_text(second=later.replace("2023-11-01", "2023-09-01") % (200, 300))
    assert rows(earlier)[0]["model"] != base[0]["model"]  # a value before the cutoff does count
    assert [set(r) >= set(METHODS) for r in base] == [True]


def test_builtin_forecasts_ignore_every_schedule_and_delivery_after_the_cutoff():
    """Every demand, refurbishment, attrition and capacity value and every delivery dated after the
    cutoff, changed: same rows."""
    from materiel.cli.calibrate import read_observed

    cutoff = D(2024, 6, 30)
    sc = mt.load_scenario("russia-ukraine-2022")

    def point(q, value):
        return q.model_copy(update={"dist": "point", "value": value})

    def changed(schedule):
        if schedule is None:
            return None
        values = {d: point(q, 999.0) if d > cutoff else q for d, q in schedule.values.items()}
        return schedule.model_copy(update={"values": values})

    sides = {}
    for name, side in sc.sides.items():
        lines = {k: ln.model_copy(update={
                     "demand": changed(ln.demand), "refurbish": changed(ln.refurbish),
                     "attrition": changed(ln.attrition),
                     "production": ln.production and ln.production.model_copy(
                         update={"capacity": changed(ln.production.capacity)})})
                 for k, ln in side.lines.items()}
        suppliers = {k: sup.model_copy(update={"deliveries": [
            d.model_copy(update={"quantity": point(d.quantity, 1e7)}) if d.start > cutoff else d
            for d in sup.deliveries]}) for k, sup in side.suppliers.items()}
        sides[name] = side.model_copy(update={"lines": lines, "suppliers": suppliers})
    other = sc.model_copy(update={"sides": sides})
    assert other != sc
    frames = read_observed(None)
    first, second = (backtest(s, frames, [cutoff], 180, simulate=mt.simulate, runs=200, seed=2)["rows"]
                     for s in (sc, other))
    assert first == second


def test_effective_size_of_equal_and_one_hot_weights():
    assert effective_size(np.full(250, 1 / 250)) == pytest.approx(250)
    assert effective_size(np.eye(1, 40, 7)[0]) == pytest.approx(1.0)


positive = st.floats(0.0, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(positive, st.floats(1e-3, 1.0)), min_size=1, max_size=60), positive)
def test_sample_forecast_quantiles_are_ordered_and_coverage_agrees(pairs, y):
    samples, weights = (np.array(v) for v in zip(*pairs))
    s = score(Forecast(samples, weights / weights.sum()), y)
    assert s["p5"] <= s["p10"] <= s["p50"] <= s["p90"] <= s["p95"]
    assert s["p10_p90"] == (s["p10"] <= y <= s["p90"]) and s["p5_p95"] == (s["p5"] <= y <= s["p95"])
    assert s["crps"] >= -1e-6 * max(1.0, y, samples.max())


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 1e6), st.floats(0, 1e5), positive)
def test_normal_forecast_quantiles_are_ordered_and_coverage_agrees(mean, sd, y):
    s = score_normal(mean, sd, y)
    assert s["p5"] <= s["p10"] <= s["p50"] <= s["p90"] <= s["p95"]
    assert s["p10_p90"] == (s["p10"] <= y <= s["p90"]) and s["p5_p95"] == (s["p5"] <= y <= s["p95"])


@st.composite
def scored_rows(draw):
    """Back-test rows as `evaluate` writes them, with only what `pooled` reads: an observed total and,
    per method, whether its intervals held it and its CRPS (scaled by the total where there is one)."""
    rows = []
    for _ in range(draw(st.integers(1, 40))):
        y = draw(st.sampled_from([0.0, 1.0, 250.0, 1e5]))
        row = {"observed": y}
        for method in METHODS:
            crps = draw(st.sampled_from([0.0, 0.5, 3.0, 40.0]))  # few values: ties with persistence happen
            row[method] = {"p10_p90": draw(st.booleans()), "p5_p95": draw(st.booleans()), "crps": crps,
                           "crps_scaled": crps / y if y > 0 else None}
        rows.append(row)
    return rows


@settings(max_examples=200, deadline=None)
@given(scored_rows())
def test_pooled_scores_are_the_rows_counted(rows):
    """Coverage, mean scaled CRPS, the share below persistence (a tie is not below) and its ratio,
    and each target met or missed, worked out here in whole numbers where they can be."""
    pool, n = pooled(rows), len(rows)
    assert pool["forecasts"] == n
    base = [r["persistence"]["crps_scaled"] for r in rows if r["observed"] > 0]
    for method in METHODS:
        got = pool[method]
        held = sum(r[method]["p10_p90"] for r in rows)
        assert got["p10_p90"] == pytest.approx(held / n)
        assert got["p5_p95"] == pytest.approx(sum(r[method]["p5_p95"] for r in rows) / n)
        assert got["targets"]["coverage"] == (65 * n <= 100 * held <= 95 * n)
        scaled = [r[method]["crps_scaled"] for r in rows if r["observed"] > 0]
        assert got["crps_scaled"] == (pytest.approx(np.mean(scaled)) if scaled else None)
        if method == "persistence":
            assert got["beats_persistence"] is None and got["crps_ratio"] is None
            continue
        wins = sum(r[method]["crps"] < r["persistence"]["crps"] for r in rows)
        assert got["beats_persistence"] == pytest.approx(wins / n)
        assert got["targets"]["beats_persistence"] == (3 * wins >= 2 * n)  # two thirds, exactly
        if scaled and np.mean(base) > 0:
            assert got["crps_ratio"] == pytest.approx(np.mean(scaled) / np.mean(base))
            assert got["targets"]["crps_ratio"] == (got["crps_ratio"] <= 0.9)
        else:
            assert got["crps_ratio"] is None and not got["targets"]["crps_ratio"]


def test_every_series_and_cutoff_has_all_three_methods(cli, tmp_path):
    folder = write_series(tmp_path / "gs", planted_counts())
    out = tmp_path / "bt.json"
    path = tmp_path / "synthetic.yaml"
    path.write_text(scenario_text())
    done = cli("backtest", str(path), "--observed", str(folder), "--cutoff", "2024-03-31,2024-06-30",
               "--lead", "90", "--runs", "300", "--json", str(out))
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert [(r["cutoff"], all(m in r for m in METHODS)) for r in doc["rows"]] == [("2024-03-31", True),
                                                                                 ("2024-06-30", True)]
    for pool in (doc["pooled"], *doc["by_cutoff"].values(), *doc["by_series"].values()):
        assert set(METHODS) <= set(pool)
    assert doc["pooled"] == pooled(doc["rows"])  # the JSON's scores are its rows' (test above)
    for c, pool in doc["by_cutoff"].items():
        assert pool == pooled([r for r in doc["rows"] if r["cutoff"] == c])
    for s, pool in doc["by_series"].items():
        assert pool == pooled([r for r in doc["rows"] if r["series"] == s])
    assert all(method in done.stdout for method in METHODS)
    n, beats = doc["pooled"]["forecasts"], doc["pooled"]["model"]["beats_persistence"]
    assert f"{beats:.0%} ({round(beats * n)} of {n})" in done.stdout  # the share below persistence, counted
    assert ("too thin" in done.stderr) == any(r["thin"] for r in doc["rows"])



def test_next_temperature_keeps_the_stage_ess():
    flat = np.zeros(100)
    assert next_temperature(flat, 0.3, 50) == 1.0
    loglik = -0.5 * np.linspace(0, 40, 100) ** 2
    lam = next_temperature(loglik, 0.0, 50)
    assert 0 < lam < 1 and effective_size(normalized(lam * loglik)) == pytest.approx(50, rel=1e-3)


def test_sequential_calibration_recovers_a_planted_rate_where_weights_collapse(tmp_path):
    """Two years of monthly periods at low noise: importance weights collapse; SMC reaches λ = 1 around the truth."""
    rate = 8.0
    sc = parse(scenario_text(second="")).scenario
    folder = write_series(tmp_path / "gs", planted_counts({D(2023, 1, 1): rate}, noise=0.05))
    observed = observed_series(sc, {"general_staff": (str(folder), load_observed(folder))})
    until = D(2024, 12, 31)
    cals = calibrate_lines(mt.simulate(sc, runs=300, seed=3, keep=300), observed, until)
    assert collapsed(cals) == ["red/tanks"]
    _, smc = sequential(sc, observed, until, ["red/tanks"], simulate=mt.simulate, runs=300, seed=3,
                        rng=np.random.default_rng(0))
    cal = smc["red/tanks"]
    assert cal.tempering == 1.0 and cal.sequential["temperatures"][-1] == 1.0 and cal.ess > 30
    row = {r["path"]: r for r in calibrated_quantities(sc, cal, seed=3)}["sides.red.lines.tanks.demand.values.2023-01-01"]
    low, _, high = row["posterior"]
    assert low <= rate <= high and high - low < (row["prior"][2] - row["prior"][0]) / 5


def test_calibrate_sequential_reports_smc(cli, tmp_path):
    folder = write_series(tmp_path / "gs", planted_counts(noise=0.05))
    path = tmp_path / "synthetic.yaml"
    path.write_text(scenario_text())
    out = tmp_path / "cal.json"
    done = cli("calibrate", str(path), "--observed", str(folder), "--until", "2024-12-31", "--runs", "300",
               "--sequential", "--json", str(out), "--out", str(tmp_path / "fit"))
    assert done.returncode == 0, done.stderr
    line = json.loads(out.read_text())["lines"][0]
    assert line["calibration"] == "sequential" and line["tempering"] == 1.0
    assert "by SMC" in done.stderr and "tempered to λ" not in done.stderr

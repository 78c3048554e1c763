"""Calibration and back-testing on synthetic series whose truth is known, and on bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data

import materiel as mt
from materiel.analysis.backtest import (
    Forecast,
    backtest,
    crps,
    crps_normal,
    pooled,
    score,
)
from materiel.analysis.calibration import (
    calibrate_lines,
    calibrated_quantities,
    observed_series,
)
from materiel.observe import load_observed
from materiel.scenario.loading import parse

START = dt.date(2023, 1, 1)
DAYS = 731  # to 2024-12-31
RATES = {dt.date(2023, 1, 1): 12.0, dt.date(2024, 1, 1): 5.0}  # planted losses a day, from each date: halved

SCENARIO = """
name: synthetic
draft: true
start: 2023-01-01
horizon: 2024-12-31
step: week
sources:
  made-up: {title: Synthetic, author: tests, date: 2025-01-01}
sides:
  red:
    lines:
      tanks:
        front: 1.0e+6
        demand:
          per: day
          values:
            2023-01-01: {low: 2, high: 20, source: made-up}
%(second)s        observed:
          - series: general_staff
            field: %(field)s
            bias: {value: 1.0, source: made-up}
            noise: {low: 0.05, high: 0.3, source: made-up}
"""


SECOND = "            2024-01-01: {low: 2, high: 20, source: made-up}\n"


def scenario_text(field: str = "tank", second: str = SECOND) -> str:
    return SCENARIO % {"field": field, "second": second}


def planted_counts(rates: dict[dt.date, float] = RATES, seed: int = 1, noise: float = 0.1) -> np.ndarray:
    """Cumulative reported losses for each day from START: the planted rates with lognormal noise."""
    rng = np.random.default_rng(seed)
    days = [START + dt.timedelta(days=i) for i in range(DAYS)]
    rate = np.array([rates[max(d for d in rates if d <= day)] for day in days])
    return np.cumsum(rate * np.exp(noise * rng.standard_normal(DAYS)))


def write_series(folder: Path, counts: np.ndarray, field: str = "tank") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    records = [{"date": (START + dt.timedelta(days=i)).isoformat(), field: int(round(c))} for i, c in enumerate(counts)]
    (folder / "russia_losses_equipment.json").write_text(json.dumps(records))
    return folder


@pytest.fixture
def scenario_file(tmp_path) -> Path:
    path = tmp_path / "synthetic.yaml"
    path.write_text(scenario_text())
    return path


@pytest.fixture
def series(tmp_path) -> Path:
    return write_series(tmp_path / "gs", planted_counts())


@pytest.mark.parametrize("rate", [3.5, 8.0, 15.0])
def test_calibration_recovers_a_planted_rate(tmp_path, rate):
    path = tmp_path / "constant.yaml"
    path.write_text(scenario_text(second=""))
    folder = write_series(tmp_path / "gs", planted_counts({START: rate}))
    sc = mt.load_scenario(path)
    ens = mt.simulate(sc, runs=1000, seed=3, keep=1000)
    frames = {"general_staff": (str(folder), load_observed(folder))}
    cals = calibrate_lines(ens, observed_series(sc, frames), dt.date(2024, 12, 31))
    row = {r["path"]: r for r in calibrated_quantities(sc, cals["red/tanks"], seed=3)}[
        "sides.red.lines.tanks.demand.values.2023-01-01"]
    low, _, high = row["posterior"]
    assert low <= rate <= high
    assert high - low < (row["prior"][2] - row["prior"][0]) / 3  # the data narrowed it


def test_perfect_forecast_scores_perfectly():
    y = 1234.0
    perfect = Forecast(np.full(50, y), np.full(50, 1 / 50))
    scores = score(perfect, y)
    assert scores["crps"] == pytest.approx(0.0, abs=1e-9)
    assert scores["p10_p90"] and scores["p5_p95"]
    assert crps(np.full(10, y + 7.0), np.full(10, 0.1), y) == pytest.approx(7.0)
    assert scores["p10"] == scores["p50"] == scores["p90"] == y
    rows = [{method: scores for method in ("model", "extrapolation", "persistence")}] * 3
    model = pooled(rows)["model"]
    assert (model["p10_p90"], model["p5_p95"], model["beats_persistence"], model["crps_ratio"]) == (1.0, 1.0, 0.0, None)
    assert model["crps_scaled"] == pytest.approx(0.0, abs=1e-9)


def test_sample_crps_agrees_with_the_normal_formula():
    rng = np.random.default_rng(0)
    x = rng.normal(100.0, 15.0, 200_000)
    for y in (80.0, 100.0, 140.0):
        assert crps(x, np.full(x.size, 1 / x.size), y) == pytest.approx(crps_normal(100.0, 15.0, y), rel=0.02)


def test_forecast_does_not_read_past_the_cutoff(tmp_path, scenario_file):
    sc = mt.load_scenario(scenario_file)
    cutoff, counts = dt.date(2024, 3, 31), planted_counts()
    later = counts.copy()
    after = (cutoff - START).days + 1
    later[after:] = counts[after - 1] + 3 * (counts[after:] - counts[after - 1])  # triple every loss after it

    def run(values: np.ndarray, name: str) -> dict:
        folder = write_series(tmp_path / name, values)
        frames = {"general_staff": (str(folder), load_observed(folder))}
        return backtest(sc, frames, [cutoff], 90, simulate=mt.simulate, runs=300, seed=5)["rows"][0]

    first, second = run(counts, "a"), run(later, "b")
    for method in ("model", "extrapolation", "persistence"):
        forecast = {k: v for k, v in first[method].items() if k.startswith("p") and k[1:].isdigit()}
        assert forecast == {k: second[method][k] for k in forecast}
    assert second["observed"] == pytest.approx(3 * first["observed"], rel=0.01)


def test_calibrate_save_and_run_calibrated(cli, tmp_path, scenario_file, series):
    weights, summary = tmp_path / "weights.json", tmp_path / "summary.json"
    done = cli("calibrate", str(scenario_file), "--observed", str(series), "--until", "2024-12-31", "--runs", "400",
               "--save", str(weights), "--json", str(tmp_path / "cal.json"), "--out", str(tmp_path / "fit"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "cal.json").read_text())
    line = doc["lines"][0]
    assert line["line"] == "red/tanks" and line["ess"] >= 40
    assert ("tempered to λ" in done.stderr) == (line["tempering"] < 1)  # a collapse is said, not hidden
    assert ("too thin" in done.stderr) == (line["ess"] < 100) == line["thin"]
    assert (tmp_path / "fit" / "fit-red-tanks-general_staff.png").stat().st_size > 0
    done = cli("run", str(scenario_file), "--calibrated", str(weights), "--no-store", "--quiet", "--json", str(summary))
    assert done.returncode == 0, done.stderr
    assert json.loads(summary.read_text())["calibrated"]["lines"] == ["red/tanks"]
    edited = tmp_path / "edited.yaml"
    edited.write_text(scenario_file.read_text().replace("high: 20", "high: 21"))
    done = cli("run", str(edited), "--calibrated", str(weights), "--no-store", "--quiet")
    assert done.returncode == 2 and "another version" in done.stderr


def test_backtest_command_writes_scores(cli, tmp_path, scenario_file, series):
    out = tmp_path / "bt.json"
    done = cli("backtest", str(scenario_file), "--observed", str(series), "--cutoff", "2024-03-31,2024-06-30",
               "--lead", "90", "--runs", "300", "--json", str(out))
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert [r["cutoff"] for r in doc["rows"]] == ["2024-03-31", "2024-06-30"]
    assert doc["pooled"]["forecasts"] == 2 and "pooled" in done.stdout


@pytest.mark.parametrize("args, names", [
    (["calibrate", "--observed", "{tmp}/missing", "--until", "2024-12-31"], "missing"),
    (["backtest", "--observed", "{series}", "--cutoff", "2024-12-01", "--lead", "90"], "tank"),
    (["backtest", "--observed", "{series}", "--cutoff", "2023-05-01", "--lead", "90"], "from 2022-11-02"),
    (["calibrate", "--observed", "{series}", "--until", "2026-01-01"], "--until 2026-01-01"),
    (["calibrate", "--observed", "{series}", "--until", "2024-12-31", "--sequential", "--save", "{tmp}/w.json"],
     "--save"),
])
def test_bad_input_exits_2_naming_it(cli, tmp_path, scenario_file, series, args, names):
    args = [a.format(tmp=tmp_path, series=series) for a in args]
    done = cli(args[0], str(scenario_file), *args[1:], "--runs", "50")
    assert done.returncode == 2, done.stderr
    assert names in done.stderr and "Traceback" not in done.stderr


def test_field_the_file_lacks_names_file_and_field(cli, tmp_path, series):
    path = tmp_path / "apc.yaml"
    path.write_text(scenario_text(field="apc"))  # a General Staff field, absent from this file
    done = cli("calibrate", str(path), "--observed", str(series), "--until", "2024-12-31", "--runs", "50")
    assert done.returncode == 2
    assert str(series) in done.stderr and "observed.0.field" in done.stderr and "'apc'" in done.stderr


def test_unknown_series_field_is_a_validation_error(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(scenario_text(field="tanks"))
    done = cli("validate", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "sides.red.lines.tanks.observed.0.field" in done.stderr and "'tanks'" in done.stderr
    with pytest.raises(mt.InputError):
        parse(path.read_text())


def test_builtin_scenario_backtests_on_the_shared_data(cli, tmp_path):
    data = shared_data()
    out = tmp_path / "bt.json"
    done = cli("backtest", "--observed", str(data / "petroivaniuk"), "--observed", str(data / "oryx_mauforonda"),
               "--cutoff", "2024-12-31", "--lead", "180", "--runs", "300", "--json", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert {r["series"] for r in rows} >= {"russia/tanks general_staff:tank", "russia/tanks oryx:tank"}
    assert all(r[m]["p10"] <= r[m]["p50"] <= r[m]["p90"] for r in rows for m in ("model", "extrapolation", "persistence"))


def test_series_past_the_scenario_horizon(cli, tmp_path, series):
    path = tmp_path / "short.yaml"
    path.write_text(scenario_text().replace("horizon: 2024-12-31", "horizon: 2024-03-31"))
    out = tmp_path / "bt.json"
    done = cli("backtest", str(path), "--observed", str(series), "--cutoff", "2024-09-30", "--lead", "90",
               "--runs", "200", "--json", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    row = json.loads(out.read_text())["rows"][0]
    for method in ("model", "extrapolation"):  # 5 a day, planted before and after
        assert row[method]["p10"] <= row["observed"] <= row[method]["p90"]


def test_calibrate_runs_on_the_builtin_series_with_no_data_folder(cli, tmp_path):
    out = tmp_path / "cal.json"
    done = cli("calibrate", "--until", "2025-06-30", "--runs", "300", "--json", str(out), "--quiet",
               cwd=tmp_path, env={"MATERIEL_SHARED": str(tmp_path / "nowhere")})
    assert done.returncode == 0, done.stderr
    series = {s for line in json.loads(out.read_text())["lines"] for s in line["series"]}
    assert {"russia/tanks general_staff:tank", "russia/tanks oryx:tank", "russia/personnel general_staff:personnel"} <= series

"""Property tests on every number a run's summary shows: the API, the JSON, the terminal, the report.

Run-out quantiles: P10 <= P50 <= P90; a quantile that falls among runs whose storage outlasts the
horizon is "after horizon" (None, null in JSON) and so is every higher one; no date lies past the
horizon; a line with no storage has no probability and no dates; and each quantile is the date by
which that share of runs has run out, worked out here from the per-run dates. The race of fires
likewise: its crossing's probability and dates from the per-run crossing steps, who leads at the
start, and the fire ratio's quantiles per step within the kept runs' ratios.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from materiel.analysis.outcomes import QUANTILES
from materiel.engine.scalars import NEVER
from materiel.report import html
from materiel.report.document import summary_document
from materiel.report.terminal import race_text, summary_table
from materiel.scenario.loading import LoadedScenario
from materiel.scenario.schema import Scenario
from materiel.simulation import simulate
from strategies import scenario_doc
from conftest import run_cli

KEYS = [f"p{round(q * 100)}" for q in QUANTILES]


def expected_runout(dates: pd.Series, q: float) -> dt.date | None:
    """The first date by which at least a share q of runs has run out (None: after the horizon)."""
    n = len(dates)
    ordered = sorted(d.date() for d in dates.dropna()) + [None] * int(dates.isna().sum())
    return ordered[max(math.ceil(Fraction(str(q)) * n) - 1, 0)]


def check_ensemble(ens) -> dict:
    """Check the API and JSON numbers of an ensemble; return its summary document."""
    sc = ens.layout.scenario
    doc = json.loads(json.dumps(summary_document(ens, sc.name)))  # as a reader of --json sees it
    table = ens.summary()
    for i, ((side, line), row) in enumerate(zip(ens.layout.lines, doc["lines"])):
        dep = ens.depletion(side, line)
        api = table.iloc[i]
        assert (row["side"], row["line"]) == (side, line)
        if not ens.scalars.has_storage[i]:
            assert dep.probability is None and all(v is None for v in dep.quantiles.values())
            assert row["runout"] == {**{k: None for k in KEYS}, "probability": None}
            assert api["runout_probability"] is None or pd.isna(api["runout_probability"])
        else:
            assert dep.probability == pytest.approx(dep.dates.notna().mean())
            assert row["runout"]["probability"] == pytest.approx(dep.probability, abs=1e-6)
            assert dep.dates.dropna().dt.date.le(sc.horizon).all() and dep.dates.dropna().dt.date.ge(sc.start).all()
            shown = [dep.quantiles[q] for q in QUANTILES]
            assert shown == [expected_runout(dep.dates, q) for q in QUANTILES]
            assert [row["runout"][k] for k in KEYS] == [d and d.isoformat() for d in shown]
            dated = [d for d in shown if d is not None]
            assert dated == sorted(dated) and dated == shown[:len(dated)]  # "after horizon" only at the top
            assert all(sc.start <= d <= sc.horizon for d in dated)
        for name, per_run in (("shortfall", ens.scalars.shortfall), ("supply_demand_ratio", ens.scalars.ratio)):
            values = per_run[:, i][np.isfinite(per_run[:, i])]
            got = [row[name][k] for k in KEYS]
            if values.size == 0:
                assert got == [None] * len(KEYS)
                continue
            assert got == sorted(got)
            assert values.min() - 1e-6 * abs(values.min()) - 1e-6 <= got[0]
            assert got[-1] <= values.max() + 1e-6 * abs(values.max()) + 1e-6
    check_races(ens, doc)
    return doc


def check_races(ens, doc: dict) -> None:
    """Each race's numbers in the API and the JSON, worked out from the per-run crossing steps and the
    kept runs' trajectories."""
    sc, lay = ens.layout.scenario, ens.layout
    races = ens.races()
    assert len(doc.get("races", [])) == len(lay.races) == len(races)
    labels, lost = lay.line_labels(), ens.trajectories["lost"].astype(np.float64)
    for k, ((a, b), race, row) in enumerate(zip(lay.races, races, doc.get("races", []))):
        assert (row["first"], row["second"]) == (race.first, race.second) == (labels[a], labels[b])
        crossed = ens.scalars.crossed[:, k]
        assert row["crossing"]["probability"] == pytest.approx((crossed != NEVER).mean(), abs=1e-6)
        dates = pd.Series(pd.to_datetime(np.where(crossed == NEVER, None, ens.step_end(np.maximum(crossed, 0)))))
        shown = [race.quantiles[q] for q in QUANTILES]
        assert shown == [expected_runout(dates, q) for q in QUANTILES]
        assert [row["crossing"][key] for key in KEYS] == [d and d.isoformat() for d in shown]
        dated = [d for d in shown if d is not None]
        assert dated == shown[:len(dated)] and dated == sorted(dated)  # "after horizon" only at the top
        first_step_end = ens.step_end(np.array([0]))[0].astype(dt.date)
        assert all(first_step_end < d <= sc.horizon for d in dated)  # the first step sets the lead
        assert row["crossing"]["probability"] > 0 or shown == [None] * len(shown)
        ratio = row["ratio"]
        assert ratio["kept_runs"] == ens.kept and ratio["dates"] == [d.isoformat() for d in lay.edges[:-1]]
        if not ens.kept:
            assert row["first_ahead_at_start"] is None
            continue
        assert row["first_ahead_at_start"] == pytest.approx((lost[:, 0, a] >= lost[:, 0, b]).mean(), abs=1e-6)
        fired = lost[:, :, b] > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            per_run = np.where(fired, lost[:, :, a] / lost[:, :, b], np.nan)  # [kept, T]
        got = np.array([[np.nan if v is None else v for v in ratio[key]] for key in KEYS])  # [Q, T]
        assert (np.isnan(got) == ~fired.any(axis=0)).all()  # a ratio where some kept run's second side fired
        for t in np.flatnonzero(fired.any(axis=0)):
            low, high = np.nanmin(per_run[:, t]), np.nanmax(per_run[:, t])
            tol = 1e-6 * max(abs(high), 1.0)
            assert low - tol <= got[0, t] and got[-1, t] <= high + tol
            assert (np.diff(got[:, t]) >= -tol).all()


def terminal_text(doc: dict) -> str:
    console = Console(width=250, record=True, file=io.StringIO())
    console.print(summary_table(doc))
    return console.export_text()


def check_terminal(doc: dict) -> None:
    """The table shows each line's run-out cell as the document has it, and no other date."""
    text = terminal_text(doc)
    for row in doc["lines"]:
        cells = [r for r in text.splitlines() if f" {row['side']} " in r and f" {row['line']} " in r]
        assert cells, text
        runout = row["runout"]
        expected = ("no storage" if runout["probability"] is None else
                    "after horizon" if runout["p50"] is None else runout["p50"])
        assert expected in cells[0]
    shown = set(re.findall(r"\d{4}-\d{2}-\d{2}", text))
    dates = {v for r in doc["lines"] for k, v in r["runout"].items() if k in KEYS and v is not None}
    assert shown == dates | {doc["horizon"]}, text  # the title names the horizon


def check_race_text(doc: dict) -> None:
    """The terminal's sentence per race names the two fires and shows the crossing as the document has it."""
    sentences = race_text(doc).plain.splitlines()
    assert len(sentences) == len(doc.get("races", []))
    for sentence, race in zip(sentences, doc.get("races", [])):
        c = race["crossing"]
        assert f"{race['first']} ÷ {race['second']}" in sentence
        if c["probability"] == 0:
            assert "never by the horizon" in sentence
        else:
            assert f"in {c['probability']:.0%} of runs" in sentence
            assert all(f"{k.upper()} {c[k] or 'after horizon'}" in sentence for k in ("p10", "p50", "p90"))


def ensemble_of(doc: dict, seed: int, runs: int):
    return simulate(Scenario.model_validate(doc), runs=runs, seed=seed)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc(), seed=st.integers(0, 2**31), runs=st.integers(1, 120))
def test_run_summary_numbers_hold_on_random_scenarios(doc, seed, runs):
    summary = check_ensemble(ensemble_of(doc, seed, runs))
    check_terminal(summary)
    check_race_text(summary)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc(race=True), seed=st.integers(0, 2**31), runs=st.integers(1, 120))
def test_race_numbers_hold_on_random_two_sided_scenarios(doc, seed, runs):
    summary = check_ensemble(ensemble_of(doc, seed, runs))
    assert summary["races"]
    check_race_text(summary)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc(race=True), seed=st.integers(0, 2**31))
def test_report_shows_every_race(doc, seed):
    """Whether or not the two sides field a line of the same name."""
    ens = ensemble_of(doc, seed, 40)
    summary = check_ensemble(ens)
    page = html.render(ens, LoadedScenario(ens.layout.scenario, "", "<random>"), "materiel run", "runs",
                       dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    for race in summary["races"]:
        c = race["crossing"]
        assert f"{race['first']} ÷ {race['second']}" in page
        if c["probability"] > 0:
            for k in ("p10", "p50", "p90"):
                assert (html._day(dt.date.fromisoformat(c[k])) if c[k] else "after the horizon") in page


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc(), seed=st.integers(0, 2**31))
def test_report_shows_the_summary_numbers(doc, seed):
    ens = ensemble_of(doc, seed, 40)
    summary = check_ensemble(ens)
    sc = ens.layout.scenario
    page = html.render(ens, LoadedScenario(sc, "", "<random>"), "materiel run", "runs",
                       dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    for row in summary["lines"]:
        runout = row["runout"]
        for k in KEYS:
            if runout[k] is not None:
                assert html._day(dt.date.fromisoformat(runout[k])) in page
    assert "after horizon" in page or all(r["runout"]["p90"] is not None or r["runout"]["probability"] is None
                                          for r in summary["lines"])


def test_builtin_run_out_dates_are_ordered_and_within_the_horizon(tmp_path):
    """The default run once showed artillery 2026-11-18 [2028-01-05–2027-09-22] and mrl 2028-01-05:
    "never" ranked first, and dates past the 2027-12-31 horizon."""
    done = run_cli("run", "--runs", "2000", "--seed", "0", "--json", str(tmp_path / "s.json"), "--quiet", "--no-store")
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "s.json").read_text())
    rows = {(r["side"], r["line"]): r["runout"] for r in doc["lines"]}
    assert rows[("russia", "artillery")]["p90"] is None  # ~77% run out: P90 is after the horizon
    assert rows[("russia", "mrl")]["p50"] is None and rows[("russia", "mrl")]["p90"] is None  # ~23%
    assert rows[("russia", "drones")] == {**{k: None for k in KEYS}, "probability": None}  # no storage
    for runout in rows.values():
        dated = [runout[k] for k in KEYS if runout[k] is not None]
        assert dated == sorted(dated) and all(d <= doc["horizon"] for d in dated)

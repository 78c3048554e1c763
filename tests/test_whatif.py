"""What-if: stable draw keys, interventions (flags, overlays, Python), paired comparisons, scenarios copy/diff."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import materiel as mt
from conftest import needs_chromium, offline_page
from strategies import scenario_doc
from materiel.analysis.comparison import WORSE, paired, per_run
from materiel.engine.draws import sample_draws
from materiel.engine.layout import layout
from materiel.errors import InputError
from materiel.scenario.interventions import from_flag
from materiel.scenario.loading import load, parse, vary
from materiel.scenario.schema import Scenario
from materiel.simulation import simulate

BASE = "russia-ukraine-2022"


def small(**supplier) -> Scenario:
    """One line fed only by one supplier: 100 units delivered over 10 days from 1 Jan, no transit."""
    sup = {"line": "x", "deliveries": [{"start": "2024-01-01", "end": "2024-01-11", "quantity": 100}], **supplier}
    return Scenario.model_validate({
        "name": "s", "draft": True, "start": "2024-01-01", "horizon": "2024-01-31", "step": "day",
        "sides": {"a": {"lines": {"x": {"demand": {"values": {"2024-01-01": 0}}},
                                  "y": {"front": {"low": 1, "high": 9}, "demand": {"values": {"2024-01-01": {"low": 0, "high": 1}}}}},
                        "suppliers": {"p": sup}}}})


def imported(sc: Scenario) -> float:
    return float(simulate(sc, runs=1, keep=1).trajectories["imported"][0, :, 0].sum())


def reach(sc: Scenario, start: tuple[str, str]) -> set[tuple[str, str]]:
    """The lines a change on line `start` can reach: itself and, in turn, every line coupled to one reached."""
    reached, grew = {start}, True
    while grew:
        more = {(s, l) for s, l, c in sc.couplings() if (c.side, c.line) in reached}
        grew, reached = not more <= reached, reached | more
    return reached


def test_inserting_an_unrelated_delivery_leaves_every_other_draw_alone():
    doc = yaml.safe_load(load(BASE).text)
    nk = doc["sides"]["russia"]["suppliers"]["north-korea"]["deliveries"]
    nk.insert(0, {"start": "2023-01-01", "end": "2023-02-01", "quantity": {"value": 1000, "source": nk[0]["quantity"]["source"]}})
    a, b = layout(load(BASE).scenario), layout(parse(yaml.safe_dump(doc, sort_keys=False), "inserted").scenario)
    runs = np.arange(300)
    da, db = sample_draws(a, 7, runs), sample_draws(b, 7, runs)
    for pa, pb in zip(da, db):
        for name, x, y in zip(pa._fields, pa, pb):
            if type(pa).__module__.endswith("imports") and name == "quantity":
                first = list(a.deliveries.owner).index(0)  # north-korea is supplier 0: its columns come first
                assert np.array_equal(x[:first], y[:first]) and np.array_equal(x[first:], y[first + 1:])
            else:
                assert np.array_equal(x, y), name
    ea = simulate(a.scenario, runs=300, seed=7, keep=0)
    eb = simulate(b.scenario, runs=300, seed=7, keep=0)
    rows = paired(ea, eb)
    reached = reach(a.scenario, ("russia", "shells"))
    assert reached == {("russia", "shells"), ("ukraine", "tanks"), ("ukraine", "afv")}  # coupled to Russia's fire
    untouched = rows[[key not in reached for key in zip(rows.side, rows.line)]]
    assert len(untouched) and (untouched[["diff_p10", "diff_p50", "diff_p90", "p_worse", "p_better"]] == 0).all().all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_doc(), factor=st.sampled_from([1.0, 0.5, 3.0]), pick=st.integers(0, 5),
       seed=st.integers(0, 2**31))
def test_paired_numbers_on_random_scenarios_and_lines_a_change_cannot_reach(doc, factor, pick, seed):
    """Scaling one line's demand: each row's numbers are its per-run differences' (a quantile is one
    of them, ordered; worse and better are the shares of runs so), lines the change cannot reach
    differ in no run, and a factor of 1 changes nothing anywhere."""
    base = Scenario.model_validate(doc)
    lines = sorted((s, n) for s, sd in base.sides.items() for n in sd.lines)
    side, line = lines[pick % len(lines)]
    text = yaml.safe_dump(base.model_dump(mode="json", by_alias=True, exclude_defaults=True))
    varied = vary(parse(text, "random"), [from_flag("scale", f"demand of {side}/{line} by {factor}")]).scenario
    a, b = simulate(base, runs=30, seed=seed, keep=0), simulate(varied, runs=30, seed=seed, keep=0)
    rows, pa, pb = paired(a, b), per_run(a), per_run(b)
    reached = reach(base, (side, line)) if factor != 1.0 else set()
    for r in rows.itertuples():
        d = pb[r.side, r.line, r.outcome] - pa[r.side, r.line, r.outcome]
        d = d[~np.isnan(d)]
        shown = [r.diff_p10, r.diff_p50, r.diff_p90]
        assert shown == sorted(shown) and set(shown) <= set(d.tolist())
        assert r.p_worse == pytest.approx(np.mean(WORSE[r.outcome] * d > 0))
        assert r.p_better == pytest.approx(np.mean(WORSE[r.outcome] * d < 0)) and r.p_worse + r.p_better <= 1
        if (r.side, r.line) not in reached:
            assert (d == 0).all() and r.p_worse == r.p_better == 0, (r.side, r.line, r.outcome)


def test_a_scenario_compared_with_itself_differs_nowhere():
    sc = load(BASE).scenario
    frame = mt.compare(sc, sc, runs=500, seed=3)
    assert len(frame) > 0
    assert (frame[["diff_p10", "diff_p50", "diff_p90", "p_worse", "p_better"]] == 0).all().all()


def test_stopping_a_supplier_mid_window_delivers_that_windows_share_exactly():
    assert imported(small()) == pytest.approx(100)
    stopped = vary(parse(yaml.safe_dump(small().model_dump(mode="json", by_alias=True, exclude_defaults=True)), "s"),
                   [from_flag("stop", "a/p from 2024-01-05")]).scenario
    assert imported(stopped) == pytest.approx(40)  # 4 of the window's 10 days
    started = vary(parse(yaml.safe_dump(small().model_dump(mode="json", by_alias=True, exclude_defaults=True)), "s"),
                   [from_flag("start", "a/p from 2024-01-09")]).scenario
    assert imported(started) == pytest.approx(20)


def test_scaling_demand_from_a_date_scales_it_from_that_day():
    sc = Scenario.model_validate({"name": "d", "draft": True, "start": "2024-01-01", "horizon": "2024-01-14", "step": "week",
                                  "sides": {"a": {"lines": {"x": {"demand": {"per": "day", "values": {"2024-01-01": 10}}}}}}})
    text = yaml.safe_dump(sc.model_dump(mode="json", by_alias=True, exclude_defaults=True))
    varied = vary(parse(text, "d"), [from_flag("scale", "demand of a/* by 0.5 from 2024-01-05")]).scenario
    demand = simulate(varied, runs=1, keep=1).trajectories["demand"][0, :, 0]
    np.testing.assert_allclose(demand, [4 * 10 + 3 * 5, 7 * 5])
    assert varied.what_if == ["scale demand of a/* by 0.5 from 2024-01-05 (hypothesis)"]


def test_scaling_the_demand_of_a_line_losing_a_share_of_its_field_scales_that_share():
    """A line with no demand schedule loses 10% of its field a day; "demand × 0.5" from day 5 halves
    the share from then: 100 → … 65.61 after four days at 10%, then 5% a day."""
    sc = Scenario.model_validate({"name": "d", "draft": True, "start": "2024-01-01", "horizon": "2024-01-06", "step": "day",
                                  "sides": {"a": {"lines": {"x": {"front": 100, "attrition": {
                                      "per": "day", "values": {"2024-01-01": 0.1}}}}}}})
    text = yaml.safe_dump(sc.model_dump(mode="json", by_alias=True, exclude_defaults=True))
    varied = vary(parse(text, "d"), [from_flag("scale", "demand of a/* by 0.5 from 2024-01-05")]).scenario
    assert varied.sides["a"].lines["x"].attrition.scale[0].by == 0.5
    lost = simulate(varied, runs=1, keep=1).trajectories["lost"][0, :, 0]
    np.testing.assert_allclose(lost, [10, 9, 8.1, 7.29, 0.05 * 65.61, 0.05 * 65.61 * 0.95])


def test_set_and_scale_a_quantity_and_the_mistakes_people_make():
    v = vary(load(BASE), [from_flag("set", "sides.russia.lines.tanks.front={low: 2000, high: 2600}"),
                          from_flag("scale", "multiplier of russia/shells by 2", ("rusi-2024-02",))]).scenario
    front = v.sides["russia"].lines["tanks"].front
    assert (front.low, front.high, front.hypothesis) == (2000, 2600, True)
    base = load(BASE).scenario.sides["russia"].lines["shells"].production.multiplier
    assert v.sides["russia"].lines["shells"].production.multiplier.high == 2 * base.high
    with pytest.raises(InputError, match="closest: sides.russia.lines.tanks.front"):
        vary(load(BASE), [from_flag("set", "sides.russia.lines.tank.front=5")])
    with pytest.raises(InputError, match="low"):
        vary(load(BASE), [from_flag("set", "sides.russia.lines.tanks.front={low: 9, high: 2}")])
    with pytest.raises(InputError, match="matches no SIDE/LINE"):
        vary(load(BASE), [from_flag("scale", "demand of russia/nothing by 2")])
    with pytest.raises(InputError, match="not a dated schedule"):
        vary(load(BASE), [from_flag("scale", "production of russia/tanks by 2 from 2025-01-01")])
    with pytest.raises(InputError, match="no supplier"):
        vary(load(BASE), [from_flag("stop", "russia/atlantis from 2025-01-01")])
    with pytest.raises(InputError, match="unknown source id"):
        vary(load(BASE), [from_flag("stop", "russia/north-korea from 2025-01-01", ("no-such-source",))])
    for kind, text in (("scale", "demand russia by 2"), ("set", "no-equals"), ("stop", "russia/north-korea from 1 May")):
        with pytest.raises(InputError, match="expected"):
            from_flag(kind, text)


def write_overlay(tmp_path, **fields) -> str:
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump({"extends": BASE, **fields}))
    return str(path)


def test_an_overlay_is_its_base_with_its_interventions(tmp_path):
    path = write_overlay(tmp_path, name="nk-stops", interventions=[
        {"stop": "russia/north-korea", "from": "2025-01-01", "hypothesis": True},
        {"scale": "refurbish", "of": "russia/tanks", "by": 2, "source": "rusi-2024-02"}])
    sc = load(path).scenario
    assert sc.name == "nk-stops" and len(sc.what_if) == 2
    assert sc.sides["russia"].suppliers["north-korea"].active.until.isoformat() == "2025-01-01"
    assert sc.sides["russia"].lines["tanks"].refurbish.scale[0].source == ["rusi-2024-02"]
    nested = tmp_path / "nested.yaml"
    nested.write_text(yaml.safe_dump({"extends": "overlay.yaml", "interventions": [
        {"set": "sides.russia.lines.tanks.front", "to": 2500, "hypothesis": True}]}))
    assert load(nested).scenario.sides["russia"].lines["tanks"].front.value == 2500
    assert len(load(nested).scenario.what_if) == 3


@pytest.mark.parametrize("fields, message", [
    ({"interventions": [{"stop": "russia/north-korea", "from": "2025-01-01"}]}, "cites no source"),
    ({"interventions": [{"stop": "russia/north-korea", "frm": "2025-01-01", "hypothesis": True}]}, "unknown field"),
    ({"interventions": [{"scale": "demand", "of": "russia/*", "by": -1, "hypothesis": True}]}, "factor"),
    ({"interventions": "stop everything"}, "expected a list"),
    ({"sides": {}}, "an overlay has only"),
    ({"extends": "no-such-scenario"}, "no such file or built-in scenario"),
])
def test_bad_overlays_are_refused_with_the_path(tmp_path, cli, fields, message):
    done = cli("validate", write_overlay(tmp_path, **fields))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_cli_compare_run_with_flags_and_scenarios_copy_diff(tmp_path, cli):
    out = tmp_path / "cmp.json"
    done = cli("compare", "--runs", "400", "--stop", "russia/north-korea from 2025-01-01", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "P(more)" in done.stdout and "stop russia/north-korea from 2025-01-01" in done.stdout
    doc = json.loads(out.read_text())
    shells = [r for r in doc["rows"] if (r["side"], r["line"], r["outcome"]) == ("russia", "shells", "shortfall")][0]
    assert shells["diff_p50"] > 0 and shells["p_worse"] > 0.5
    reached = reach(load(BASE).scenario, ("russia", "shells"))
    assert all(r["diff_p50"] == 0 for r in doc["rows"] if (r["side"], r["line"]) not in reached)
    assert cli("compare", "--runs", "100").returncode == 2

    summary = tmp_path / "run.json"
    done = cli("run", "--runs", "200", "--no-store", "-q", "--set", "sides.russia.lines.tanks.front=2500", "--json", str(summary))
    assert done.returncode == 0, done.stderr
    assert json.loads(summary.read_text())["what_if"] == ["set sides.russia.lines.tanks.front to 2500 (hypothesis)"]
    done = cli("run", "--runs", "200", "--no-store", "--set", "sides.russia.lines.tank.front=2500")
    assert done.returncode == 2 and "closest: sides.russia.lines.tanks.front" in done.stderr

    copy = tmp_path / "mine.yaml"
    assert cli("scenarios", "copy", BASE, str(copy)).returncode == 0
    assert copy.read_text() == load(BASE).text
    assert cli("scenarios", "copy", BASE, str(copy)).returncode == 2  # no overwrite without --force
    overlay = write_overlay(tmp_path, interventions=[{"stop": "russia/north-korea", "from": "2025-01-01", "hypothesis": True},
                                                    {"set": "sides.russia.lines.tanks.front", "to": 2500, "hypothesis": True}])
    done = cli("scenarios", "diff", BASE, overlay)
    assert done.returncode == 0
    assert "sides.russia.lines.tanks.front" in done.stdout and "north-korea.active" in done.stdout
    assert "same quantities" in cli("scenarios", "diff", BASE, str(copy)).stdout


@pytest.mark.browser
@needs_chromium
def test_the_comparison_page_opens_offline_and_draws_the_changed_lines(tmp_path, cli):
    done = cli("compare", "--runs", "300", "-q", "--stop", "russia/north-korea from 2025-01-01", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    url = (tmp_path / "comparison.html").resolve().as_uri()
    with offline_page(url) as (page, requests, blocked, errors):
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 6", timeout=30_000)
        charts = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
            section: el.closest('section').id, traces: el.querySelectorAll('.trace').length,
            width: el.getBoundingClientRect().width}))""")
        lede = page.locator("#glance .lede").inner_text()
        rows = page.locator("#table tbody tr").count()
    assert errors == [] and blocked == [] and requests == [url]
    reached = reach(load(BASE).scenario, ("russia", "shells"))  # the lines North Korea's shells reach
    assert {c["section"] for c in charts} == {f"line-{side}-{line}" for side, line in reached}
    assert len(charts) == 6 + 4 + 4  # Ukraine's tanks and AFV have no storage charts
    assert all(c["traces"] > 0 and c["width"] > 200 for c in charts)
    assert "stop russia/north-korea from 2025-01-01 (hypothesis)" in lede
    assert rows == 27  # 11 lines × shortfall and ratio, and run-out for the 5 with storage


def test_named_variants_in_a_scenario_file_run_as_file_at_name(tmp_path, cli):
    doc = yaml.safe_load(load(BASE).text)
    doc["variants"] = {"nk-stops": [{"stop": "russia/north-korea", "from": "2025-01-01", "hypothesis": True}],
                       "broken": [{"stop": "russia/atlantis", "from": "2025-01-01", "hypothesis": True}]}
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    variant = load(f"{path}@nk-stops").scenario
    assert variant.name == f"{BASE}@nk-stops" and variant.variants == {}
    assert variant.what_if == ["stop russia/north-korea from 2025-01-01 (hypothesis)"]
    with pytest.raises(InputError, match="no variant 'nope'; variants: nk-stops, broken"):
        load(f"{path}@nope")
    done = cli("validate", str(path))  # every variant is checked
    assert done.returncode == 2 and "no supplier 'russia/atlantis'" in done.stderr
    del doc["variants"]["broken"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    done = cli("compare", str(path), f"{path}@nk-stops", "--runs", "200", "--json", str(tmp_path / "c.json"), "-q")
    assert done.returncode == 0, done.stderr
    rows = json.loads((tmp_path / "c.json").read_text())["rows"]
    assert any(r["diff_p50"] > 0 for r in rows if r["line"] == "shells" and r["side"] == "russia")


def test_a_varied_scenario_keeps_the_text_pyyamls_own_emitter_writes():
    varied = vary(load(BASE), [from_flag("stop", "russia/north-korea from 2025-01-01")])
    assert varied.text == yaml.safe_dump(yaml.safe_load(varied.text), sort_keys=False, allow_unicode=True)

"""`materiel run --out DIR`: the HTML report in a real browser, the figures, summary.json and outcomes.parquet."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from defusedxml import ElementTree
from PIL import Image

import materiel as mt
from conftest import needs_chromium, offline_page, run_cli
from materiel.engine.variables import VARIABLES
from materiel.report import figures, outputs, series, tidy
from materiel.scenario.loading import load

RUNS, SEED = 60, 5  # 60 runs × 306 steps × 11 lines × 12 variables stays under the tidy-row cap


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One `materiel run --out` of the built-in scenario, with `--json` beside it."""
    tmp = tmp_path_factory.mktemp("report")
    out, doc = tmp / "out", tmp / "summary.json"
    result = run_cli("run", "--runs", str(RUNS), "--seed", str(SEED), "--out", str(out), "--json", str(doc), "-q",
                     "--no-store")
    assert result.returncode == 0, result.stderr
    return out, doc


@pytest.fixture(scope="module")
def ensemble():
    """The same ensemble the command line ran (same scenario, runs and seed)."""
    return mt.simulate(mt.load_scenario("russia-ukraine-2022"), runs=RUNS, seed=SEED)


def expected_charts(ens) -> int:
    per_line = sum(2 + 2 * bool(has) for has in ens.scalars.has_storage)  # front, supply (+ storage, run-out)
    return per_line + 2 * len(series.shared_lines(ens))                  # lost per day, ratio


def test_out_writes_report_figures_summary_and_outcomes(written, ensemble):
    out, _ = written
    assert 1_000_000 < (out / "report.html").stat().st_size <= 2_000_000  # Plotly's basic bundle is inside
    names = {p.name for p in (out / "figures").iterdir()}
    stems = [f"{s}-{l}" for s, l in ensemble.layout.lines]
    stems += [f"{s}-{l}-runout" for (s, l), has in zip(ensemble.layout.lines, ensemble.scalars.has_storage) if has]
    stems += [f"{p.category}-{p.a}-vs-{p.b}" for p in series.shared_lines(ensemble)]
    assert names == {f"{stem}.{ext}" for stem in stems for ext in ("png", "svg")}


def test_summary_json_is_the_json_output(written):
    out, doc = written
    assert (out / "summary.json").read_bytes() == doc.read_bytes()


def test_pngs_decode_at_their_size_and_svgs_are_well_formed(written, ensemble):
    folder = written[0] / "figures"
    for i, (side, line) in enumerate(ensemble.layout.lines):
        panels = 3 if ensemble.scalars.has_storage[i] else 2
        assert _png_size(folder / f"{side}-{line}.png") == figures.size(panels)
        if ensemble.scalars.has_storage[i]:
            assert _png_size(folder / f"{side}-{line}-runout.png") == figures.size(1)
    for p in series.shared_lines(ensemble):
        assert _png_size(folder / f"{p.category}-{p.a}-vs-{p.b}.png") == figures.size(2)
    for svg in folder.glob("*.svg"):
        root = ElementTree.parse(svg).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 10


def _png_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        im.load()  # decodes every pixel
        return im.size


def test_outcomes_parquet_holds_every_kept_run(written, ensemble):
    table = pq.read_table(written[0] / "outcomes.parquet")
    assert table.column_names == ["run", "date", "side", "line", "variable", "value"]
    assert json.loads(table.schema.metadata[b"materiel"])["kind"] == "runs"
    T, L = ensemble.layout.steps, len(ensemble.layout.lines)
    assert table.num_rows == ensemble.kept * T * L * len(VARIABLES)
    df = table.to_pandas()
    assert df["date"].iloc[:T].tolist() == ensemble.layout.edges[:-1]
    for (side, line, variable), rows in df.groupby(["side", "line", "variable"], observed=True):
        rows = rows.sort_values(["run", "date"])
        i = ensemble.line_index(side, line)
        np.testing.assert_array_equal(rows["value"].to_numpy().reshape(ensemble.kept, T),
                                      ensemble.trajectories[variable][:, :, i])


def test_large_ensembles_write_per_step_quantiles_and_say_so(tmp_path, ensemble, monkeypatch):
    monkeypatch.setattr(tidy, "MAX_TIDY_ROWS", 1000)
    outputs.write_outputs(ensemble, load("russia-ukraine-2022"), tmp_path, "materiel run")
    table = pq.read_table(tmp_path / "outcomes.parquet")
    assert table.column_names == ["quantile", "date", "side", "line", "variable", "value"]
    df = table.to_pandas()
    assert sorted(df["quantile"].unique()) == [0.1, 0.5, 0.9]
    rows = df[(df["variable"] == "storage") & (df["side"] == "russia") & (df["line"] == "tanks")]
    got = rows.sort_values(["quantile", "date"])["value"].to_numpy().reshape(3, -1)
    want = series.step_quantiles(ensemble.trajectories["storage"][:, :, ensemble.line_index("russia", "tanks")])
    np.testing.assert_allclose(got, want.astype(np.float32))
    assert "P10/P50/P90 per step" in (tmp_path / "report.html").read_text()


def test_unwritable_out_dir_exits_2_with_a_clear_message(cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = cli("run", "--runs", "50", "-q", "--no-store", "--out", str(blocker / "report"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "cannot write the report folder" in result.stderr and str(blocker) in result.stderr


@pytest.mark.browser
@needs_chromium
def test_report_opens_offline_in_a_browser_and_draws_every_chart(written, ensemble):
    url = (written[0] / "report.html").resolve().as_uri()
    with offline_page(url) as (page, requests, blocked, errors):
        n = expected_charts(ensemble)
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {n}", timeout=30_000)
        charts = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
            title: el.closest('figure').querySelector('figcaption b').textContent,
            svgs: el.querySelectorAll('svg.main-svg').length,
            ticks: el.querySelectorAll('.xtick').length,
            paths: el.querySelectorAll('.trace path').length,
            width: el.getBoundingClientRect().width}))""")
        table = page.locator("#table tbody tr").all_inner_texts()
        horizon_lines = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(
            el => el.layout.shapes.filter(s => s.x0 === '2025-06-30').length)""")
        page.locator(".card a", has_text="quantities and sources").first.click()
        opened = page.evaluate("() => { const d = document.querySelector(location.hash);"
                               " return [location.hash, d.open, d.querySelectorAll('tbody tr').length]; }")
    assert errors == []
    assert blocked == [] and requests == [url]
    assert len(charts) == n
    for chart in charts:
        assert chart["svgs"] >= 1 and chart["ticks"] > 0 and chart["width"] > 200, chart
        if chart["title"] != "When storage runs out":  # a histogram is empty when no run runs out
            assert chart["paths"] > 0, chart
    doc = json.loads(written[1].read_text())
    for row, line in zip(table, doc["lines"]):
        assert f"{line['supply_demand_ratio']['p50']:.2f}" in row
    assert horizon_lines == [1] * n  # the knowledge horizon is marked on every chart
    assert opened[0] == "#q-russia-tanks" and opened[1] is True and opened[2] > 5


def test_lede_says_which_line_runs_out_first_per_side(written):
    page = (written[0] / "report.html").read_text()
    lede = re.search(r'<p class="lede">(.*?)</p>', page, re.S).group(1)
    assert re.search(r"<b>Russia</b>: \w+ storage runs out first: by <b>\d+ \w+ 20\d\d</b>", lede), lede
    assert "<b>Ukraine</b>: no storage to draw on" in lede


def test_every_card_links_to_the_quantities_behind_its_line(written, ensemble):
    page = (written[0] / "report.html").read_text()
    for side, line in ensemble.layout.lines:
        assert f'href="#q-{side}-{line}"' in page and f'<details id="q-{side}-{line}">' in page
    for sid in re.findall(r'href="#(src-[^"]+)"', page):
        assert f'id="{sid}"' in page


def test_hostile_source_urls_never_become_links():
    import datetime as dt

    from materiel.report import html
    from materiel.scenario.loading import parse

    text = load("russia-ukraine-2022").text
    for bad in ("javascript:alert(1)", " JavaScript:alert(2)", "data:text/html,<script>alert(3)</script>"):
        hostile = text.replace("url: https://github.com/mauforonda/ukraine", f"url: '{bad}'", 1)
        assert hostile != text
        loaded = parse(hostile)
        ens = mt.simulate(loaded.scenario, runs=5, seed=0)
        page = html.render(ens, loaded, "materiel run", "runs", dt.datetime(2026, 1, 1))
        markup = re.sub(r"<script>.*?</script>", "", page, flags=re.S)  # the page's own code aside
        assert not re.search(r'href="\s*(javascript|data):', markup, re.I)
        assert "<script>alert" not in page and "alert(" in markup  # shown as text, not run


def test_step_quantiles_equal_numpys_to_the_bit():
    rng = np.random.default_rng(3)
    for shape in [(1, 4), (2, 3, 2), (401, 17, 3)]:
        x = rng.random(shape).astype(np.float32)
        x[x < 0.2] = 0.5  # ties
        qs = (0.05, 0.1, 0.5, 0.9, 0.95)
        assert np.array_equal(series.step_quantiles(x, qs), np.quantile(x.astype(np.float64), qs, axis=0))

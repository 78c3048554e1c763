"""`materiel serve`: levers → interventions, the explorer's variants against `vary` + `simulate`, the
saved overlay, and the page in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, needs_chromium
from materiel.dashboard import levers as lv
from materiel.dashboard.explorer import Explorer, differences
from materiel.dashboard.overlay import save
from materiel.errors import InputError
from materiel.scenario.loading import load, vary
from materiel.simulation import simulate

BASE = "russia-ukraine-2022"
RUNS = 300


@pytest.fixture(scope="module")
def explorer():
    return Explorer(load(BASE), runs=RUNS, seed=3)


def test_levers_at_neutral_make_no_intervention_and_each_moved_one_makes_its_own(explorer):
    sc = explorer.loaded.scenario
    assert lv.interventions(sc, explorer.levers, {}) == []
    ivs = lv.interventions(sc, explorer.levers, {"russia/intensity": 1.5, "russia/intensity-from": dt.date(2025, 1, 1),
                                                 "russia/north-korea/stop": dt.date(2024, 6, 1),
                                                 "russia/shells/production": 2.0, "russia/hiring": 0.5})
    assert [iv.describe() for iv in ivs] == [
        "scale demand of russia/* by 1.5 from 2025-01-01 (hypothesis)",
        "set sides.russia.workforce.hiring to {low: 175000.0, high: 375000.0, note: 0.5 times the scenario's "
        "(what-if hypothesis)} (hypothesis)",
        "stop russia/north-korea from 2024-06-01 (hypothesis)",
        "scale production of russia/shells by 2 (hypothesis)"]


@pytest.mark.parametrize("values, message", [
    ({"russia/intensity": 9.0}, "intensity of fighting ×: expected 0 to 4, got 9"),
    ({"russia/intensity": "lots"}, "expected 0 to 4, got lots"),
    ({"russia/north-korea/stop": dt.date(2030, 1, 1)}, "expected 2022-02-24 to 2027-12-31, got 2030-01-01"),
    ({"russia/nothing": 1.0}, "russia/nothing: no such lever"),
])
def test_out_of_range_lever_values_are_refused_with_the_range(explorer, values, message):
    with pytest.raises(InputError, match=re.escape(message)):
        explorer.move(values)


def test_out_of_range_runs_and_seed_are_refused(explorer):
    with pytest.raises(InputError, match="runs: expected 100 to 20,000, got 1,000,000"):
        explorer.move({}, runs=1_000_000)
    with pytest.raises(InputError, match="seed: expected 0 to 2,147,483,647, got -1"):
        explorer.move({}, seed=-1)


def test_a_move_is_the_variant_vary_and_simulate_give_paired_with_the_base(explorer):
    values = {"russia/north-korea/stop": dt.date(2024, 1, 1), "ukraine/intensity": 0.5}
    move = explorer.move(values)
    official = vary(explorer.loaded, move.interventions).scenario
    want = simulate(official, runs=RUNS, seed=3, keep=0).scalars
    got = move.variant.ensemble.scalars
    np.testing.assert_array_equal(got.shortfall, want.shortfall)
    np.testing.assert_array_equal(got.runout, want.runout)
    rows = move.paired.set_index(["side", "line", "outcome"])
    assert rows.loc[("russia", "shells", "shortfall"), "p_worse"] > 0.5  # North Korea's shells stop
    assert rows.loc[("ukraine", "shells", "shortfall"), "p_better"] > 0.5  # Ukraine's demand halves
    assert (rows.loc[("russia", "drones", "shortfall"), ["diff_p10", "diff_p90"]] == 0).all()  # untouched by both
    lines = move.base.ensemble.layout.lines
    outcome, diff = differences(move, lines.index(("russia", "shells")))  # the chart of per-run differences
    assert outcome == "shortfall" and (diff >= 0).all() and diff.max() > 0  # its run-out day moves in no run
    outcome, diff = differences(move, lines.index(("russia", "drones")))
    assert outcome == "shortfall" and not diff.any()


def test_the_base_is_its_own_variant_with_no_difference(explorer):
    move = explorer.move({})
    assert move.variant is move.base and move.interventions == []
    assert (move.paired[["diff_p10", "diff_p50", "diff_p90", "p_worse"]] == 0).all().all()


def test_the_saved_overlay_loads_as_the_variant_and_compare_reads_it(explorer, tmp_path, cli):
    move = explorer.move({"russia/intensity": 0.6, "russia/intensity-from": dt.date(2025, 7, 1)})
    overlay, report, page = save(explorer.loaded, BASE, move.interventions, RUNS, 3, tmp_path,
                                 dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
    assert overlay.name == f"{BASE}-variant-20260102-030405.yaml"
    assert load(overlay).scenario.what_if == [iv.describe() for iv in move.interventions]
    assert "scale demand of russia/* by 0.6 from 2025-07-01 (hypothesis)" in report.read_text()
    assert page.exists()
    done = cli("compare", BASE, str(overlay), "--runs", "200", "-q", "--json", str(tmp_path / "c.json"))
    assert done.returncode == 0, done.stderr


def test_serve_refuses_a_missing_scenario_and_a_bad_port_without_a_traceback(cli):
    done = cli("serve", "no-such-scenario.yaml")
    assert done.returncode == 2 and "no such file or built-in scenario" in done.stderr
    assert "Traceback" not in done.stderr
    done = cli("serve", "--port", "70000")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = cli("serve", "--runs", "50")
    assert done.returncode == 2 and "runs: expected 100 to 20,000, got 50" in done.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = cli("serve", "--port", str(taken.getsockname()[1]), "--runs", "100")
    assert done.returncode == 2 and "cannot listen there" in done.stderr and "Traceback" not in done.stderr


# --- in a browser -------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`materiel serve` in a subprocess, as a user starts it: (url, folder the Save button writes to)."""
    port, out = _free_port(), tmp_path_factory.mktemp("variants")
    log = out.parent / "serve.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "materiel", "serve", "--port", str(port), "--runs", "500",
                                 "--out", str(out)], env=env, stdout=sink, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300  # the first start may compile the engine
    while "ready:" not in log.read_text() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    said = log.read_text()
    if "ready:" not in said:
        proc.kill()
        pytest.fail(f"materiel serve was not ready: {said}")
    assert f"ready: http://127.0.0.1:{port}/ (only this machine can connect" in said
    yield f"http://127.0.0.1:{port}/", out
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser, url):
    """A page of the dashboard with every request and console error recorded, and any request that is
    not to this server refused: (page, requests, refused, errors)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    requests, refused, errors = [], [], []
    local = re.compile(r"^(https?|wss?)://127\.0\.0\.1:\d+/|^blob:http://127\.0\.0\.1:\d+/|^data:")
    page.on("request", lambda r: requests.append(r.url))
    page.on("websocket", lambda ws: requests.append(ws.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route(lambda u: not local.match(u), lambda route: (refused.append(route.request.url), route.abort()))
    page.goto(url)
    page.wait_for_selector(".status span[data-moves='1']", timeout=60_000)
    return page, requests, refused, errors


SUPPLY = """() => { for (const d of Bokeh.documents) { const s = d.get_model_by_name('variant-bands');
    if (s) return Array.from(s.data['supply_mid']).reduce((a, b) => a + b, 0); } return null; }"""


def drag(page, lever: str, pixels: float) -> None:
    """Drag a lever's slider handle by `pixels` and release it."""
    box = page.locator(f".{lever} .noUi-handle").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=5)
    page.mouse.up()


def moves(page) -> int:
    return int(page.locator(".status span").get_attribute("data-moves"))


@pytest.mark.browser
@needs_chromium
def test_the_page_loads_with_no_error_and_nothing_fetched_from_elsewhere(server, browser):
    page, requests, refused, errors = open_page(browser, server[0])
    charts = page.locator(".bk-Canvas, canvas").count()
    rows = page.locator("table.headline tbody tr").count()
    page.close()
    assert errors == [] and refused == []
    assert requests and all(re.match(r"^(https?|wss?|blob:http)://127\.0\.0\.1", u) for u in requests), requests
    assert any(u.startswith("ws://127.0.0.1") for u in requests)  # the server-side Python behind the sliders
    assert charts >= 6 and rows == 11


@pytest.mark.browser
@needs_chromium
def test_moving_a_slider_reruns_the_variant_and_redraws_the_chart(server, browser):
    page, _, refused, errors = open_page(browser, server[0])
    before = page.evaluate(SUPPLY)
    drag(page, "russia--intensity", 60)  # more intense fighting: Russia's tanks lost faster, more sent
    page.wait_for_selector(".status span[data-moves='2']", timeout=30_000)
    after = page.evaluate(SUPPLY)
    what = page.locator(".what-changed").inner_text()
    page.close()
    assert errors == [] and refused == []
    assert "scale demand of russia/* by" in what
    assert after != before


@pytest.mark.browser
@needs_chromium
def test_an_out_of_range_value_is_refused_with_a_message_and_the_server_carries_on(server, browser):
    page, _, _, errors = open_page(browser, server[0])
    runs = page.locator(".runs input")
    runs.fill("1000000")
    runs.press("Enter")
    refused = page.locator(".refused").get_by_text("Refused")
    refused.wait_for(timeout=30_000)
    message = refused.inner_text()
    kept = runs.input_value()
    drag(page, "russia--intensity", 40)
    page.wait_for_selector(".status span[data-moves='2']", timeout=30_000)
    what = page.locator(".what-changed").inner_text()
    page.close()
    assert "runs: expected 100 to 20,000, got 1,000,000" in message
    assert kept == "500" and "500 paired runs" in what
    assert errors == []


@pytest.mark.browser
@needs_chromium
def test_two_tabs_at_once_each_move_their_own_variant(server, browser):
    (a, *_, errors_a), (b, *_, errors_b) = open_page(browser, server[0]), open_page(browser, server[0])
    start_a, start_b = a.evaluate(SUPPLY), b.evaluate(SUPPLY)
    drag(a, "russia--intensity", 60)
    drag(b, "ukraine--intensity", 60)
    a.wait_for_selector(".status span[data-moves='2']", timeout=30_000)
    b.wait_for_selector(".status span[data-moves='2']", timeout=30_000)
    what_a, what_b = a.locator(".what-changed").inner_text(), b.locator(".what-changed").inner_text()
    assert "russia/*" in what_a and "ukraine" not in what_a
    assert "ukraine/*" in what_b and "russia/*" not in what_b
    assert a.evaluate(SUPPLY) != start_a and b.evaluate(SUPPLY) != start_b
    a.close()
    b.close()
    assert errors_a == [] and errors_b == []


@pytest.mark.browser
@needs_chromium
def test_the_save_button_writes_an_overlay_that_loads_and_the_report(server, browser):
    url, out = server
    page, *_ = open_page(browser, url)
    drag(page, "russia--intensity", -40)
    page.wait_for_selector(".status span[data-moves='2']", timeout=30_000)
    page.locator(".save button").click()
    page.locator(".saved code").first.wait_for(timeout=120_000)
    page.close()
    overlays = sorted(out.glob("*.yaml"))
    assert overlays, list(out.iterdir())
    loaded = load(overlays[-1])
    assert loaded.scenario.what_if and loaded.scenario.what_if[0].startswith("scale demand of russia/* by 0.")
    folder = overlays[-1].with_suffix("")
    assert (folder / "report.html").stat().st_size > 100_000 and (folder / "comparison.html").exists()


@pytest.mark.browser
@needs_chromium
def test_a_supplier_stops_on_a_date_and_another_line_is_drawn(server, browser):
    page, _, refused, errors = open_page(browser, server[0])
    page.locator(".line-select select").select_option(label="Russia · shells")
    page.wait_for_function(f"() => ({SUPPLY})() > 1e4", timeout=30_000)  # shells a day, not tanks
    page.get_by_text("shells", exact=True).first.click()  # open Russia's shells group
    drag(page, "russia--north-korea--stop", -120)  # North Korea's deliveries end years early
    page.wait_for_selector(".status span[data-moves='2']", timeout=30_000)
    what = page.locator(".what-changed").inner_text()
    page.close()
    assert errors == [] and refused == []
    assert re.search(r"stop russia/north-korea from 20\d\d-\d\d-\d\d \(hypothesis\)", what), what

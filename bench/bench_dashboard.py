"""`materiel serve` latency: drag a slider in headless Chromium and time each move.

Starts `materiel serve` (2,000 runs by default), opens it in Debian's chromium through Playwright,
and drags a lever's handle to a new value MOVES times. For each move it reads two figures:
  compute            server side: the levers' interventions made, the variant simulated, paired with
                     the base (what the page's status line reports, `Explorer.move`)
  release→redrawn    browser side: from the mouse button's release to the animation frame after the
                     variant's data arrived (so the chart is drawn)
and prints their P50 and P90 (targets: ≤ 100 ms and ≤ 300 ms at P50). docs/performance.md has figures.

    python bench/bench_dashboard.py [--moves 40] [--runs 2000] [--port 5123] [--lever russia--intensity]
                                    [--screenshot docs/figures/dashboard/dashboard.png]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

HOOK = """() => new Promise(resolve => {
    window.__released = null; window.__arrived = null; window.__drawn = null;
    document.addEventListener('pointerup', () => { window.__released = performance.now(); }, true);
    const find = () => {
        for (const doc of (window.Bokeh && Bokeh.documents) || []) {
            const src = doc.get_model_by_name('variant-bands');
            if (src) return src;
        }
        return null;
    };
    const wait = () => {
        const src = find();
        if (!src) return setTimeout(wait, 50);
        src.change.connect(() => {
            window.__arrived = performance.now();
            requestAnimationFrame(() => requestAnimationFrame(() => { window.__drawn = performance.now(); }));
        });
        resolve(true);
    };
    wait();
})"""


def start_server(port: int, runs: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "materiel", "serve", "--port", str(port), "--runs", str(runs)],
                                env=env, stdout=sink, stderr=subprocess.STDOUT, text=True)
    while "ready:" not in log.read_text():
        if proc.poll() is not None:
            raise RuntimeError(f"materiel serve exited before it was ready: {log.read_text()}")
        time.sleep(0.2)
    return proc


def measure(url: str, moves: int, lever: str, screenshot: Path | None = None) -> tuple[list[float], list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    compute, drawn, painted = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url)
        page.wait_for_selector(".status span[data-moves]", timeout=60_000)
        page.evaluate(HOOK)
        handle = page.locator(f".{lever} .noUi-handle").first
        handle.scroll_into_view_if_needed()
        for k in range(moves):
            before = int(page.locator(".status span").get_attribute("data-moves"))
            page.evaluate("() => { window.__released = null; window.__arrived = null; window.__drawn = null; }")
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + (30 + 7 * (k % 4)) * (1 if k % 2 == 0 else -1), y, steps=4)
            page.mouse.up()
            page.wait_for_function("() => window.__drawn !== null && window.__drawn > window.__released",
                                   timeout=30_000)
            page.wait_for_selector(f".status span[data-moves='{before + 1}']", timeout=30_000)
            compute.append(float(page.locator(".status span").get_attribute("data-compute-ms")))
            times = page.evaluate("() => [window.__drawn - window.__released, window.__drawn - window.__arrived]")
            drawn.append(times[0])
            painted.append(times[1])
        if screenshot is not None:  # the page as the moves left it (docs/dashboard.md)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return compute, drawn, painted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40)
    parser.add_argument("--runs", type=int, default=2_000)
    parser.add_argument("--port", type=int, default=5123)
    parser.add_argument("--lever", default="russia--intensity", help="the lever's CSS class (its key, / as --)")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the page after the moves (PNG)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    server = start_server(args.port, args.runs, Path(tempfile.mkdtemp()) / "serve.log")
    print(f"server ready in {time.perf_counter() - t0:.1f} s ({args.runs:,} runs)")
    try:
        compute, drawn, painted = measure(f"http://127.0.0.1:{args.port}/", args.moves, args.lever, args.screenshot)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for name, values, target in (("compute", compute, 100), ("release→redrawn", drawn, 300)):
        p50, p90 = np.percentile(values, [50, 90])
        print(f"{name:>16}: p50 {p50:6.0f} ms   p90 {p90:6.0f} ms   (target p50 ≤ {target} ms; {len(values)} moves)")
    p50, p90 = np.percentile(painted, [50, 90])
    print(f"{'of which drawing':>16}: p50 {p50:6.0f} ms   p90 {p90:6.0f} ms   (from the data's arrival to the frame after)")


if __name__ == "__main__":
    main()

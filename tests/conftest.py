"""Shared test helpers: running the command line in a subprocess, finding ../shared, opening a page
offline in Debian's chromium."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")


@contextlib.contextmanager
def offline_page(url: str):
    """A chromium page at `url` with every request recorded and any not to a file refused:
    yields (page, requests, blocked, errors) — errors from the console and from scripts."""
    from playwright.sync_api import sync_playwright

    requests, blocked, errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route(re.compile(r"^(?!file:)"), lambda route: (blocked.append(route.request.url), route.abort()))
            page.goto(url, wait_until="load")
            yield page, requests, blocked, errors
        finally:
            browser.close()


def shared_dir() -> Path:
    """The project's ../shared folder (or $MATERIEL_SHARED)."""
    return Path(os.environ.get("MATERIEL_SHARED", ROOT.parent / "shared"))


def shared_data() -> Path:
    """The public data copies in ../shared/data; skips the test, saying where it looked, if absent."""
    data = shared_dir() / "data"
    if not ((data / "petroivaniuk").is_dir() and (data / "oryx_mauforonda").is_dir()):
        pytest.skip(f"the shared data copies are not at {data} (set MATERIEL_SHARED to the shared folder)")
    return data


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m materiel ARGS` as a user would; returns the completed process."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full_env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "materiel", *args], cwd=cwd or ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli

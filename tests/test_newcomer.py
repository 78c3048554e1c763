"""A newcomer's first hour: help, version, defaults shown, readable reprs, filtered sources."""

from __future__ import annotations

import subprocess
import sys

import materiel as mt
from conftest import ROOT, run_cli


def test_bare_materiel_prints_help_and_succeeds():
    done = run_cli()
    assert done.returncode == 0 and "Usage: materiel" in done.stdout and "run" in done.stdout


def test_version():
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"materiel {mt.__version__}"


def test_help_imports_no_numerical_library():
    """`materiel --help` stays quick: the commands import pandas, numba and DuckDB only when they run."""
    code = ("import sys; from materiel.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('pandas', 'numba', 'duckdb', 'pyarrow', 'scipy', 'xarray') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_run_help_shows_the_defaults():
    text = " ".join(run_cli("run", "--help", env={"COLUMNS": "250"}).stdout.split())
    assert "10000, or the calibration's" in text and "the scenario's" in text


def test_reprs_are_short():
    sc = mt.load_scenario("russia-ukraine-2022")
    ens = mt.simulate(sc, runs=50, seed=0)
    assert len(repr(sc)) < 400 and repr(sc).startswith("<Scenario russia-ukraine-2022")
    assert len(repr(ens)) < 300 and "50 runs" in repr(ens)
    assert "<table" in sc._repr_html_() and "<table" in ens._repr_html_() and len(ens._repr_html_()) < 20_000


def test_sources_filter_by_side_and_line_with_urls():
    done = run_cli("sources", "--side", "russia", "--line", "tanks", "--urls")
    assert done.returncode == 0, done.stderr
    assert "sides.russia.lines.tanks.front" in done.stdout and "https://" in done.stdout
    assert "sides.russia.lines.shells" not in done.stdout and "sides.ukraine" not in done.stdout
    bad = run_cli("sources", "--side", "russia", "--line", "tank")
    assert bad.returncode == 2 and "no line 'tank'" in bad.stderr and "tanks" in bad.stderr

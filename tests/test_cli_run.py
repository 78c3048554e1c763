"""`materiel run` as a user meets it: reproducible JSON, the registry, interruption, concurrency."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from materiel.store import Registry


@pytest.fixture
def home(tmp_path):
    return {"MATERIEL_HOME": str(tmp_path / "home")}


def test_same_seed_gives_byte_identical_json(cli, tmp_path, home):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        result = cli("run", "--runs", "2000", "--seed", "7", "--json", str(path), "--quiet", env=home)
        assert result.returncode == 0, result.stderr
    assert a.read_bytes() == b.read_bytes()
    doc = json.loads(a.read_text())
    assert (doc["scenario"], doc["seed"], doc["runs"]) == ("russia-ukraine-2022", 7, 2000)
    assert doc["horizon"] == "2027-12-31"
    for line in doc["lines"]:
        assert set(line) == {"side", "line", "unit", "runout", "shortfall", "supply_demand_ratio"}
        assert set(line["runout"]) == {"p10", "p50", "p90", "probability"}
        quantiles = [line["shortfall"][k] for k in ("p10", "p50", "p90")]
        assert quantiles == sorted(quantiles)


def test_other_seed_changes_results(cli, tmp_path, home):
    for seed in ("1", "2"):
        assert cli("run", "--runs", "300", "--seed", seed, "--json", str(tmp_path / f"{seed}.json"), "-q",
                   env=home).returncode == 0
    assert (tmp_path / "1.json").read_text() != (tmp_path / "2.json").read_text()


def test_run_prints_a_table_and_records_the_run(cli, home):
    result = cli("run", "--runs", "200", "--seed", "3", env=home)
    assert result.returncode == 0, result.stderr
    assert "russia" in result.stdout and "tanks" in result.stdout and "shortfall" in result.stdout
    [record] = Registry(home["MATERIEL_HOME"]).list()
    assert (record.seed, record.runs, record.scenario_name) == (3, 200, "russia-ukraine-2022")
    assert record.summary["lines"]
    shown = cli("runs", "show", record.id[:15], env=home)
    assert shown.returncode == 0 and record.scenario_hash in shown.stdout
    assert cli("runs", "delete", record.id, env=home).returncode == 0
    assert Registry(home["MATERIEL_HOME"]).list() == []


def test_no_store_records_nothing(cli, home):
    assert cli("run", "--runs", "100", "--no-store", "-q", env=home).returncode == 0
    assert Registry(home["MATERIEL_HOME"]).list() == []


@pytest.mark.parametrize("args, words", [
    (["--horizon", "2027-13-01"], "--horizon"),
    (["--horizon", "2021-01-01"], "after start"),
    (["--step", "fortnight"], "--step"),
    (["no-such-scenario"], "no such file or built-in scenario"),
    (["--json", "/nonexistent-dir/x.json"], "cannot write"),
])
def test_bad_options_exit_2_without_traceback(cli, home, args, words):
    result = cli("run", "--runs", "50", "-q", *args, env=home)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and words in result.stderr


def test_horizon_and_step_options_change_the_run(cli, tmp_path, home):
    out = tmp_path / "m.json"
    assert cli("run", "--runs", "100", "--horizon", "2024-12-31", "--step", "month", "--json", str(out), "-q",
               env=home).returncode == 0
    doc = json.loads(out.read_text())
    assert (doc["horizon"], doc["step"]) == ("2024-12-31", "month")


def _start_run(home, runs="400000"):
    env = {**os.environ, **home, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "materiel", "run", "--runs", runs, "-q"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_records_nothing_and_leaves_the_registry_sound(cli, home, sig):
    assert cli("run", "--runs", "100", "-q", env=home).returncode == 0  # the registry exists and holds one run
    proc = _start_run(home)
    time.sleep(4)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and "interrupted — nothing recorded" in err
    runs = Registry(home["MATERIEL_HOME"]).list()
    assert len(runs) == 1 and runs[0].runs == 100


def test_two_runs_at_once_are_both_recorded(home):
    procs = [_start_run(home, runs="3000") for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert len(Registry(home["MATERIEL_HOME"]).list()) == 2

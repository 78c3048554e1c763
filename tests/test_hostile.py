"""Hostile and broken input: a clear message and exit 2, never a traceback, a crash, a hang or
damage to what is stored (docs/limits.md lists the bounds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from defusedxml import ElementTree

from conftest import ROOT, run_cli
from materiel.scenario import limits

BASE = """\
name: hostile
draft: true
start: 2024-01-01
horizon: 2024-06-30
step: week
sides:
  a:
    lines:
      x:
        front: 100
        transit_days: 7
        storage: {old: {stock: 50, yield: 0.5}}
        refurbish: {values: {2024-01-01: 1}}
        production: {base: 100, priority: 1}
        demand: {values: {2024-01-01: 2}}
    suppliers:
      ally: {line: x, transit_days: 10, deliveries: [{start: 2024-01-01, end: 2024-03-01, quantity: 30}]}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(done: subprocess.CompletedProcess, *words: str) -> bool:
    return done.returncode == 2 and "Traceback" not in done.stderr and all(w in done.stderr for w in words)


def fuzz(kind: str, seed: int, cases: int, timeout: float) -> None:
    """Run tests/fuzz.py on `kind` of file in a subprocess limited to 4 GiB of address space and
    `timeout` seconds: a hang or a runaway allocation fails the test, not the machine."""
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30)); "
    code = limit + (f"import runpy, sys; sys.argv = ['fuzz', '{kind}', '{seed}', '{cases}']; "
                    "runpy.run_path('tests/fuzz.py', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    counts = json.loads(lines[-1])
    assert counts["cases"] == cases and counts["valid"] > 0 and counts["refused"] > 0
    assert counts["broken"] == 0, "\n".join(lines[:3])


@pytest.mark.parametrize("kind, cases", [("scenario", 150), ("observed", 60), ("weights", 100)])
def test_fuzzed_files_exit_0_or_2_without_a_traceback(kind, cases):
    fuzz(kind, seed=11, cases=cases, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("kind, cases", [("scenario", 3000), ("observed", 500), ("weights", 1000)])
def test_thousands_of_fuzzed_files_exit_0_or_2_without_a_traceback(kind, cases):
    fuzz(kind, seed=12, cases=cases, timeout=3600)


# ── scenario files: each class the fuzzing found, by hand ────────────────────────────────────────

BILLION_LAUGHS = "\nx0: &a0 [1,1,1,1,1,1,1,1,1]\n" + "".join(
    f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))


@pytest.mark.parametrize("old, new, words", [
    ("start: 2024-01-01", "start: 2023-02-30", ["s.yaml:3:", "cannot read '2023-02-30' as timestamp"]),
    ("start: 2024-01-01", "start: 2023-13-01", ["cannot read"]),
    ("start: 2024-01-01", "start: 0000-01-01", ["cannot read"]),
    ("start: 2024-01-01", "start: 10000-01-01", ["start"]),
    ("start: 2024-01-01", "start: 2024-01-01T25:00:00", ["cannot read"]),
    ("start: 2024-01-01", "start: 2024-01-01T00:00:00+25:00", ["cannot read"]),
    ("front: 100", "front: !!float x", ["cannot read 'x' as float"]),
    ("front: 100", "front: !!timestamp x", ["cannot read 'x' as timestamp"]),
    ("front: 100", "front: !!bool", ["cannot read '' as bool"]),
    ("front: 100", "front: &a [*a]", ["alias refers to a value that contains it"]),
    ("front: 100", "front: {? [1, 2] : 3}", ["a key must be a plain value"]),
    ("front: 100", "front: !!python/object:os.system ls", ["malformed YAML"]),
    ("front: 100", "front: " + "[" * 100 + "]" * 100, ["nested deeper than 64"]),
    ("name: hostile", "name: hostile" + BILLION_LAUGHS, ["holds more than 200,000 values"]),
], ids=lambda v: v[:40] if isinstance(v, str) else None)
def test_yaml_that_cannot_be_read_is_refused_with_its_line(tmp_path, old, new, words):
    assert old in BASE
    done = run_cli("validate", str(write(tmp_path, BASE.replace(old, new, 1))), timeout=60)
    assert refused(done, *words), done.stderr


def test_a_huge_mapping_is_refused(tmp_path):
    text = BASE + "extra: {" + ", ".join(f"k{i}: {i}" for i in range(110_000)) + "}\n"
    assert refused(run_cli("validate", str(write(tmp_path, text)), timeout=120), "more than 200,000 values")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_devices_fifos_and_huge_files_are_refused_without_reading_them(tmp_path):
    assert refused(run_cli("validate", "/dev/zero", timeout=30), "not a regular file")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert refused(run_cli("validate", str(fifo), timeout=30), "not a regular file")
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(limits.MAX_FILE_BYTES + 1)
    assert refused(run_cli("validate", str(big), timeout=30), "larger than 16 MiB")


@pytest.mark.parametrize("old, new, words", [
    ("sides:\n  a:", "sides: {}\nunused:\n  a:", ["sides", "at least 1"]),
    ("transit_days: 7", "transit_days: 1e20", ["transit_days", "largest number"]),
    ("transit_days: 7", "transit_days: 3e7", ["transit_days", "between 0 and 730"]),
    ("transit_days: 10", "transit_days: {mean: 700, sd: 1000}", []),  # normal draws are clipped: runs
    ("priority: 1", "priority: 9223372036854775808", ["priority", "less than or equal to 1000"]),
    ("horizon: 2024-06-30", "horizon: 9999-12-31", ["horizon", "2200-12-31"]),
    ("horizon: 2024-06-30\nstep: week", "horizon: 2190-06-30\nstep: day", ["horizon", "at most 20,000"]),
    ("stock: 50", "stock: 1e16", ["stock", "largest number"]),
])
def test_run_refuses_what_would_crash_or_exhaust_the_engine(tmp_path, old, new, words):
    assert old in BASE
    done = run_cli("run", str(write(tmp_path, BASE.replace(old, new, 1))), "--runs", "50", "--no-store", "-q",
                   timeout=120)
    if words:
        assert refused(done, *words), done.stderr
    else:
        assert done.returncode == 0, done.stderr


def test_runs_beyond_the_limit_are_refused():
    done = run_cli("run", "--runs", str(10**12), "--no-store", "-q")
    assert refused(done, "--runs", "100,000,000")


# ── names are data ───────────────────────────────────────────────────────────────────────────────

def test_markup_names_are_printed_as_written_and_never_break_the_registry(tmp_path):
    home = {"MATERIEL_HOME": str(tmp_path / "home")}
    path = write(tmp_path, BASE.replace("name: hostile", "name: '[/]'").replace("  a:\n", "  '[bold]a[/]':\n"))
    shown = run_cli("run", str(path), "--runs", "20", env=home)
    assert shown.returncode == 0, shown.stderr
    assert "[/]: 20 runs" in shown.stdout and "[bold]a[/]" in shown.stdout
    assert run_cli("run", str(path), "--runs", "20", "--quiet", env=home).returncode == 0
    listed = run_cli("runs", "list", env=home)
    assert listed.returncode == 0 and listed.stdout.count("[/]") == 2, listed.stderr


@pytest.mark.parametrize("side", ["/tmp/materiel-escape/x", "../../up", "a\u0000b", "con", ".."])
def test_figure_files_stay_inside_out_whatever_the_side_is_called(tmp_path, side):
    out = tmp_path / "out"
    quoted = json.dumps(side)  # YAML reads JSON strings, escapes included
    path = write(tmp_path, BASE.replace("  a:\n", f"  {quoted}:\n"))
    done = run_cli("run", str(path), "--runs", "20", "--no-store", "-q", "--out", str(out), timeout=180)
    assert done.returncode == 0, done.stderr
    figures = list((out / "figures").iterdir())
    assert figures and all(f.parent == out / "figures" and "\x00" not in f.name for f in figures)
    assert not Path("/tmp/materiel-escape").exists()


def test_xmile_export_escapes_names_and_control_characters(tmp_path):
    name = json.dumps("x --><evil/><!-- \u0001\u0007 y")
    path = write(tmp_path, BASE.replace("name: hostile", f"name: {name}").replace("title", "title"))
    out = tmp_path / "m.xmile"
    done = run_cli("export", str(path), "--xmile", str(out))
    assert done.returncode == 0, done.stderr
    root = ElementTree.parse(out).getroot()  # well formed, and defusedxml finds nothing hostile
    assert not [e for e in root.iter() if e.tag.endswith("evil")]


# ── other files: observed series and calibration weights ────────────────────────────────────────

@pytest.mark.parametrize("text, words", [
    ('[{"date": "1600-01-01", "tank": 1}]', ["date", "1900-01-01"]),
    ('[{"date": "2300-01-01", "tank": 1}]', ["date", "2200-12-31"]),
    ('[{"date": "2024-01-01", "tank": ' + "9" * 5000 + "}]", ["not a General Staff series"]),
    ("[" * 100_000 + "]" * 100_000, ["not a General Staff series"]),
    ('[{"date": "2024-01-01", "tank": 1e300}]', ["tank", "whole number"]),
], ids=["year 1600", "year 2300", "5000 digits", "deep nesting", "1e300"])
def test_hostile_observed_series_are_refused(tmp_path, text, words):
    path = tmp_path / "russia_losses_equipment.json"
    path.write_text(text)
    done = run_cli("calibrate", "--observed", str(path), "--until", "2024-06-30", "--runs", "20")
    assert refused(done, *words), done.stderr


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A real calibration file of the built-in scenario."""
    path = tmp_path_factory.mktemp("w") / "w.json"
    done = run_cli("calibrate", "--until", "2024-06-30", "--runs", "200", "--save", str(path), "--quiet")
    assert done.returncode == 0, done.stderr
    return json.loads(path.read_text())


@pytest.mark.parametrize("edit, words", [
    (lambda d: d.update(runs=10**12), ["runs", "whole number from 1"]),
    (lambda d: d.update(runs=1e3), ["runs", "whole number"]),
    (lambda d: next(iter(d["lines"].values()))["weights"].__setitem__(0, float("nan")), ["weights", "finite"]),
    (lambda d: next(iter(d["lines"].values()))["weights"].__setitem__(0, -1.0), ["weights", ">= 0"]),
    (lambda d: next(iter(d["lines"].values())).update(weights=[0.0] * len(next(iter(d["lines"].values()))["runs"])),
     ["not all zero"]),
    (lambda d: next(iter(d["lines"].values()))["runs"].__setitem__(0, -1), ["runs", "distinct run indices"]),
    (lambda d: d.update(lines=[]), ["lines"]),
])
def test_hostile_weights_files_are_refused(tmp_path, weights, edit, words):
    doc = json.loads(json.dumps(weights))
    edit(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))  # NaN is written as JSON's NaN extension, which Python reads
    done = run_cli("run", "--calibrated", str(path), "--no-store", "-q")
    assert refused(done, *words), done.stderr


def test_weights_files_with_huge_numbers_or_nesting_are_refused(tmp_path):
    for text in ('{"runs": ' + "9" * 5000 + "}", "[" * 100_000 + "]" * 100_000):
        path = tmp_path / "bad.json"
        path.write_text(text)
        assert refused(run_cli("run", "--calibrated", str(path), "--no-store", "-q"), "not a calibration file")


# ── the registry ─────────────────────────────────────────────────────────────────────────────────

@pytest.fixture
def registry(tmp_path):
    home = tmp_path / "home"
    for _ in range(2):
        assert run_cli("run", "--runs", "200", "-q", env={"MATERIEL_HOME": str(home)}).returncode == 0
    return home / "registry.duckdb"


def _readable(path: Path) -> bool:
    """DuckDB's own verdict: every block of every table reads back with its checksum."""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
                con.execute(f'SELECT bit_xor(hash("{table}")) FROM "{table}"').fetchall()
        return True
    except duckdb.Error:
        return False


def _damaged_copies(data: bytes):
    """The file with 4 KiB of junk written into the middle of each 256 KiB block in turn."""
    for block in range(1, len(data) // 2**18):
        at = block * 2**18 + 2**17
        yield data[:at] + bytes(range(256)) * 16 + data[at + 4096:]


def test_a_truncated_registry_is_refused_and_left_untouched(registry):
    damaged = registry.read_bytes()[: registry.stat().st_size // 2]
    registry.write_bytes(damaged)
    env = {"MATERIEL_HOME": str(registry.parent)}
    for args in (["run", "--runs", "50", "-q"], ["runs", "list"]):
        done = run_cli(*args, env=env)
        assert refused(done, "registry damaged", "MATERIEL_HOME"), done.stderr
    assert registry.read_bytes() == damaged


def test_junk_in_the_registry_is_refused_where_it_hits_data_and_harmless_where_it_does_not(registry):
    env = {"MATERIEL_HOME": str(registry.parent)}
    ids = [line.split()[1] for line in run_cli("runs", "list", env=env).stdout.splitlines() if line.startswith("│ ")]
    original = registry.read_bytes()
    copies = list(_damaged_copies(original))
    hit = next(c for c in copies if not _readable_bytes(registry, c))
    registry.write_bytes(hit)
    done = run_cli("run", "--runs", "50", "-q", env=env)
    assert refused(done, "MATERIEL_HOME"), done.stderr
    assert registry.read_bytes() == hit  # nothing was written into it
    spare = next((c for c in copies if _readable_bytes(registry, c)), None)
    if spare is None:
        pytest.skip("every block of this registry holds data")
    registry.write_bytes(spare)
    assert run_cli("run", "--runs", "50", "-q", env=env).returncode == 0
    for run_id in ids:  # the runs recorded before still read back whole
        assert run_cli("runs", "show", run_id, env=env).returncode == 0


def _readable_bytes(path: Path, data: bytes) -> bool:
    probe = path.with_name("probe.duckdb")
    probe.write_bytes(data)
    try:
        return _readable(probe)
    finally:
        probe.unlink()

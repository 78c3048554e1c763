"""The run registry: round trips, prefix ids, concurrent writers, interrupted writes, foreign files."""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import platformdirs
import pytest

from materiel.errors import InputError
from materiel.store import OUTCOME_COLUMNS, Registry, RegistryBusy, RunRecord, default_home
from materiel.store.registry import FILENAME

ROOT = Path(__file__).resolve().parents[1]

# A child process recording runs in a loop, printing each id once it is recorded.
WRITER = """
import signal, sys
import numpy as np, pandas as pd
from materiel.store import Registry, RunRecord
signal.signal(signal.SIGINT, signal.default_int_handler)
home, tag, count, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
registry = Registry(home, timeout=60)
rng = np.random.default_rng()
for i in range(count):
    outcomes = pd.DataFrame({
        "run": np.arange(rows) % 100,
        "date": pd.Timestamp("2022-02-24") + pd.to_timedelta(np.arange(rows) // 100, unit="D"),
        "side": "russia", "line": "shells", "variable": "lost", "value": rng.random(rows),
    })
    run = RunRecord(scenario_name=tag, scenario_text=f"name: {tag}\\n" * 1000, seed=i, runs=100,
                    summary={"tag": tag, "i": i, "rows": rows})
    print(registry.record(run, outcomes), flush=True)
"""


def start_writer(home: Path, tag: str, count: int, rows: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), tag, str(count), str(rows)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def make_run(i: int = 0, **changes) -> RunRecord:
    fields = dict(
        scenario_name="russia-ukraine-2022", scenario_text=f"start: 2022-02-24\nseed: {i}\n",
        seed=i, runs=1000, summary={"russia": {"tanks": {"p10": 100.0 + i, "p50": 200 + i}}},
        outputs=[f"out/run{i}.html"],
    )
    return RunRecord(**{**fields, **changes})


def make_outcomes(n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    return pd.DataFrame({
        "run": np.arange(n) % 7,
        "date": pd.Timestamp("2022-02-24") + pd.to_timedelta(np.arange(n) // 7, unit="D"),
        "side": rng.choice(["russia", "ukraine"], n),
        "line": rng.choice(["tanks", "shells"], n),
        "variable": rng.choice(["front", "lost", "produced"], n),
        "value": rng.random(n),
    })


def tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Outcomes in a canonical form for comparing: typed, sorted, fresh index."""
    df = df[list(OUTCOME_COLUMNS)].astype({"run": "int64", "value": "float64"})
    df = df.assign(date=pd.to_datetime(df["date"]).astype("datetime64[us]"))
    return df.sort_values(list(OUTCOME_COLUMNS)).reset_index(drop=True)


def check_complete(home: Path) -> list[str]:
    """Every recorded run is whole (summary parses, all its outcome rows present); return ids."""
    registry = Registry(home)
    records = registry.list()
    with duckdb.connect(str(home / FILENAME), read_only=True) as con:
        counts = dict(con.execute("SELECT run_id, count(*) FROM outcomes GROUP BY run_id").fetchall())
    for record in records:
        assert record.summary == json.loads(json.dumps(record.summary))
        assert counts.get(record.id, 0) == record.summary["rows"]
    assert set(counts) <= {r.id for r in records}, "outcome rows without their run"
    return [r.id for r in records]


def test_round_trip(tmp_path):
    registry = Registry(tmp_path)
    outcomes = make_outcomes()
    run_id = registry.record(make_run(1), outcomes)

    (listed,) = registry.list()
    got = registry.get(run_id)
    assert listed == got
    assert got.id == run_id
    assert got.created.endswith("Z")
    assert (got.scenario_name, got.seed, got.runs) == ("russia-ukraine-2022", 1, 1000)
    assert got.scenario_text == make_run(1).scenario_text
    assert got.scenario_hash == make_run(1).scenario_hash
    assert got.summary == make_run(1).summary
    assert got.outputs == ["out/run1.html"]

    path = tmp_path / "outcomes.parquet"
    assert registry.export_parquet(run_id, path) == len(outcomes)
    back = pd.read_parquet(path)
    assert list(back.columns) == list(OUTCOME_COLUMNS)
    pd.testing.assert_frame_equal(tidy(back), tidy(outcomes), check_dtype=False)

    assert registry.delete(run_id) == run_id
    assert registry.list() == []
    with pytest.raises(InputError, match="no recorded run"):
        registry.get(run_id)


def test_summary_with_numpy_values_and_nan(tmp_path):
    registry = Registry(tmp_path)
    summary = {"p50": np.float64(2.5), "n": np.int64(3), "q": np.array([1.0, 2.0]), "x": float("nan")}
    got = registry.get(registry.record(make_run(summary=summary))).summary
    assert got["p50"] == 2.5 and got["n"] == 3 and got["q"] == [1.0, 2.0]
    assert np.isnan(got["x"])


def test_run_without_outcomes_cannot_be_exported(tmp_path):
    registry = Registry(tmp_path)
    run_id = registry.record(make_run(outputs=[]))
    assert registry.get(run_id).outputs == []
    with pytest.raises(InputError, match="no stored outcomes"):
        registry.export_parquet(run_id, tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()


def test_prefix_ids(tmp_path):
    registry = Registry(tmp_path)
    ids = [registry.record(make_run(i)) for i in range(3)]
    assert len(set(ids)) == 3
    assert [r.id for r in registry.list()] == ids
    for run_id in ids:
        assert registry.get(run_id[:-3]).id == run_id
    with pytest.raises(InputError, match="ambiguous"):
        registry.get(ids[0][:8])
    with pytest.raises(InputError, match="no recorded run"):
        registry.get("19990101")
    with pytest.raises(InputError, match="no recorded run"):
        registry.delete("")
    assert registry.delete(ids[1][:-2]) == ids[1]
    assert [r.id for r in registry.list()] == [ids[0], ids[2]]


def test_compare(tmp_path):
    registry = Registry(tmp_path)
    a = registry.record(make_run(1, summary={"tanks": {"p50": 200, "q": [1, 2]}, "note": "a"}))
    b = registry.record(make_run(1, summary={"tanks": {"p50": 150.5, "q": [1, 4]}, "extra": 3}))
    comparison = registry.compare(a, b)
    assert comparison.same_scenario
    rows = {r.key: (r.a, r.b, r.delta) for r in comparison.rows}
    assert rows == {
        "tanks.p50": (200, 150.5, -49.5),
        "tanks.q[0]": (1, 1, 0),
        "tanks.q[1]": (2, 4, 2),
        "note": ("a", None, None),
        "extra": (None, 3, None),
    }
    c = registry.record(make_run(2))
    assert not registry.compare(a, c).same_scenario


def test_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("MATERIEL_HOME", str(tmp_path / "env"))
    assert Registry().path == tmp_path / "env" / FILENAME
    assert Registry(tmp_path / "arg").path == tmp_path / "arg" / FILENAME
    monkeypatch.delenv("MATERIEL_HOME")
    assert default_home() == Path(platformdirs.user_data_dir("materiel"))


def test_missing_registry_reads_as_empty_and_is_not_created(tmp_path):
    registry = Registry(tmp_path / "nowhere")
    assert registry.list() == []
    with pytest.raises(InputError, match="no recorded run"):
        registry.get("2024")
    with pytest.raises(InputError, match="no recorded run"):
        registry.delete("2024")
    assert not (tmp_path / "nowhere").exists()


def test_concurrent_writers(tmp_path):
    writers = [start_writer(tmp_path, tag, count=20, rows=2000) for tag in ("a", "b")]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    ids = check_complete(tmp_path)
    assert len(ids) == len(set(ids)) == 40
    tags = [r.summary["tag"] for r in Registry(tmp_path).list()]
    assert sorted(tags) == ["a"] * 20 + ["b"] * 20


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupted_writer_leaves_only_whole_runs(tmp_path, sig):
    for _ in range(3):
        writer = start_writer(tmp_path, "big", count=1000, rows=300_000)
        assert writer.stdout.readline(), writer.stderr.read()  # one run recorded at least
        time.sleep(random.uniform(0.0, 0.6))
        writer.send_signal(sig)
        _, err = writer.communicate(timeout=60)
        assert writer.returncode != 0
        if sig == signal.SIGINT:
            assert "KeyboardInterrupt" in err
    ids = check_complete(tmp_path)
    assert len(ids) >= 3
    registry = Registry(tmp_path)
    assert registry.export_parquet(ids[-1], tmp_path / "last.parquet") == 300_000
    registry.record(make_run(summary={"rows": 0}))
    assert len(registry.list()) == len(ids) + 1


def write_foreign(path: Path, kind: str) -> None:
    if kind == "random bytes":
        path.write_bytes(random.randbytes(100_000))
    elif kind == "text":
        path.write_text("runs:\n  - not a database\n")
    elif kind == "empty":
        path.touch()
    elif kind == "foreign duckdb":
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE invoices (id INTEGER, amount DOUBLE)")
            con.execute("INSERT INTO invoices VALUES (1, 9.5)")
    elif kind == "damaged registry":
        registry = Registry(path.parent)
        for i in range(3):
            registry.record(make_run(i), make_outcomes())
        data = bytearray(path.read_bytes())
        data[3 * 4096 :] = random.randbytes(len(data) - 3 * 4096)  # past the file's headers
        path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "kind", ["random bytes", "text", "empty", "foreign duckdb", "damaged registry"]
)
def test_foreign_or_corrupt_file_is_refused_and_left_untouched(tmp_path, kind):
    path = tmp_path / FILENAME
    write_foreign(path, kind)
    before = path.read_bytes()
    registry = Registry(tmp_path)
    operations = [
        registry.list,
        lambda: registry.get("2024"),
        lambda: registry.record(make_run(), make_outcomes()),
        lambda: registry.delete("2024"),
        lambda: registry.export_parquet("2024", tmp_path / "x.parquet"),
    ]
    for operation in operations:
        with pytest.raises(InputError, match="not usable as the run registry.*left untouched"):
            operation()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILENAME, FILENAME + ".lock"]


def test_newer_schema_is_refused(tmp_path):
    registry = Registry(tmp_path)
    registry.record(make_run())
    with duckdb.connect(str(registry.path)) as con:
        con.execute("UPDATE materiel_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(InputError, match="schema 99, newer"):
        registry.list()


def test_lock_held_too_long_is_a_clear_timeout(tmp_path):
    registry = Registry(tmp_path, timeout=0.3)
    registry.record(make_run())
    with open(registry.lock_path) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(RegistryBusy, match="busy for 0.3 s"):
            registry.list()
        threading.Timer(0.1, fcntl.flock, [lock, fcntl.LOCK_UN]).start()
        assert Registry(tmp_path, timeout=5).record(make_run(2))
    assert len(registry.list()) == 2


def test_waits_for_a_process_outside_materiel_holding_the_file(tmp_path):
    registry = Registry(tmp_path, timeout=0.3)
    registry.record(make_run())
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
         " print('open', flush=True); time.sleep(1.5)", str(registry.path)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline() == "open\n"
    with pytest.raises(RegistryBusy, match="outside materiel"):
        registry.list()
    assert len(Registry(tmp_path, timeout=10).list()) == 1
    holder.communicate(timeout=10)  # closes the pipe too


def per_run_outcomes(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    values = {("a", "x", "shortfall"): rng.normal(size=n), ("a", "x", "runout_days"): rng.integers(0, 900, n) * 1.0,
              ("b", "y", "supply_demand_ratio"): rng.normal(size=n)}
    values["b", "y", "supply_demand_ratio"][::7] = np.nan
    return {k: v.astype(np.float32).astype(np.float64) for k, v in values.items()}  # float32, as the engine's


def test_per_run_outcomes_round_trip_and_go_with_their_run(tmp_path):
    registry = Registry(tmp_path)
    kept = per_run_outcomes(300)
    first = registry.record(make_run(), per_run=kept)
    second = registry.record(make_run(1))
    got = registry.per_run(first)
    assert list(got) == list(kept)  # the lines' order too
    for key, values in kept.items():
        np.testing.assert_array_equal(got[key], values)
    assert registry.per_run(second) == {}
    registry.delete(first)
    with duckdb.connect(str(registry.path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM run_outcomes").fetchall() == [(0,)]


def test_a_schema_1_registry_still_reads_and_is_upgraded_by_its_next_write(tmp_path):
    registry = Registry(tmp_path)
    old = registry.record(make_run())
    with duckdb.connect(str(registry.path)) as con:  # as materiel wrote it before per-run outcomes
        con.execute("DROP TABLE run_outcomes")
        con.execute("UPDATE materiel_meta SET value = '1' WHERE key = 'schema_version'")
    assert registry.per_run(old) == {} and [r.id for r in registry.list()] == [old]
    new = registry.record(make_run(1), per_run=per_run_outcomes(10))
    assert [r.id for r in registry.list()] == [old, new] and len(registry.per_run(new)) == 3
    with duckdb.connect(str(registry.path), read_only=True) as con:
        assert con.execute("SELECT value FROM materiel_meta WHERE key = 'schema_version'").fetchall() == [("2",)]


def test_runs_compare_pairs_two_stored_runs_as_materiel_compare_does(tmp_path, cli):
    """The paired rows of two recorded runs are exactly `materiel compare`'s for the same pair;
    runs that cannot be paired fall back to their summaries and say why."""
    home = {"MATERIEL_HOME": str(tmp_path / "home")}
    stop = ("--stop", "russia/north-korea from 2025-01-01")
    for extra in ((), stop, ("--seed", "3"), ("--runs", "500")):
        done = cli("run", "--runs", "300", "-q", *extra, env=home)
        assert done.returncode == 0, done.stderr
    base, variant, other_seed, more_runs = [r.id for r in Registry(tmp_path / "home").list()]
    done = cli("runs", "compare", base, variant, "--json", str(tmp_path / "runs.json"), env=home)
    assert done.returncode == 0, done.stderr
    assert "P(more)" in done.stdout and "stop russia/north-korea from 2025-01-01" in done.stdout
    assert cli("compare", "--runs", "300", "-q", *stop, "--json", str(tmp_path / "compare.json")).returncode == 0
    stored, direct = (json.loads((tmp_path / f).read_text()) for f in ("runs.json", "compare.json"))
    assert stored["paired"] and stored["rows"] == [{k: v for k, v in r.items() if k != "variant"} for r in direct["rows"]]

    done = cli("runs", "compare", base, base, "--json", str(tmp_path / "same.json"), env=home)
    rows = json.loads((tmp_path / "same.json").read_text())["rows"]
    assert done.returncode == 0 and rows and all(r["diff_p10"] == r["diff_p90"] == r["p_worse"] == 0 for r in rows)

    done = cli("runs", "compare", base, other_seed, env=home)
    assert done.returncode == 0 and "not paired run by run: their seeds differ (0 and 3)" in done.stdout
    done = cli("runs", "compare", more_runs, variant, "--json", str(tmp_path / "prefix.json"), env=home)
    assert done.returncode == 0 and "over 300 paired runs" in done.stdout  # the 300 runs both kept: the same draws
    assert json.loads((tmp_path / "prefix.json").read_text())["rows"] == stored["rows"]
    done = cli("runs", "compare", base, variant, "--summaries", env=home)
    assert done.returncode == 0 and "difference" in done.stdout and "P(more)" not in done.stdout

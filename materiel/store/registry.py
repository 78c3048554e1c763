"""The run registry: every completed run, kept in an embedded DuckDB file.

Integrity:

- Each run is written in one transaction, so a write cut short (Ctrl-C, SIGTERM, a crash) leaves
  nothing behind; a new registry is built beside its final name and linked into place whole.
- DuckDB lets one process write a file at a time, so every operation opens the database only for
  its own duration, under a lock on a sibling ``.lock`` file (shared to read, exclusive to write),
  retried with backoff up to a timeout that ends in :class:`RegistryBusy`.
- A file that is not a materiel registry (not DuckDB at all, or DuckDB without our metadata table)
  is an :class:`InputError` and is never written to: it is checked through a read-only connection
  before any read-write one is opened.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import random
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import platformdirs
import pyarrow as pa

from materiel.version import __version__
from materiel.errors import InputError, Problem

FILENAME = "registry.duckdb"
FORMAT = "materiel-run-registry"
SCHEMA_VERSION = 2
OUTCOME_COLUMNS = ("run", "date", "side", "line", "variable", "value")

#: Schema 1 → 2 added each run's per-run outcomes (for `runs compare`'s paired view): one row per
#: side, line and outcome, its value in every run in run order, as float32: the engine keeps these
#: outcomes as float32 or as step indices, so nothing is lost.
_PER_RUN_TABLE = """
CREATE TABLE IF NOT EXISTS run_outcomes (
    run_id VARCHAR NOT NULL,
    side VARCHAR NOT NULL,
    line VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    runs FLOAT[] NOT NULL
);
"""

_SCHEMA = """
CREATE TABLE materiel_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE runs (
    id VARCHAR PRIMARY KEY,
    created VARCHAR NOT NULL,
    scenario_name VARCHAR NOT NULL,
    scenario_hash VARCHAR NOT NULL,
    scenario_text VARCHAR NOT NULL,
    seed BIGINT,
    runs BIGINT NOT NULL,
    version VARCHAR NOT NULL,
    summary JSON NOT NULL,
    outputs VARCHAR[] NOT NULL
);
CREATE TABLE outcomes (
    run_id VARCHAR NOT NULL,
    run BIGINT,
    quantile DOUBLE,
    date DATE NOT NULL,
    side VARCHAR NOT NULL,
    line VARCHAR NOT NULL,
    variable VARCHAR NOT NULL,
    value DOUBLE
);
""" + _PER_RUN_TABLE
_RUN_COLUMNS = "id, created, scenario_name, scenario_text, seed, runs, version, summary, outputs"


class RegistryBusy(TimeoutError):
    """Another process held the registry for longer than the timeout."""


@dataclass(kw_only=True)
class RunRecord:
    """One completed run. ``id`` and ``created`` are assigned by :meth:`Registry.record`."""

    id: str | None = None
    created: str | None = None
    scenario_name: str
    scenario_text: str
    seed: int | None
    runs: int
    summary: dict[str, Any]
    outputs: list[str] = field(default_factory=list)
    version: str = __version__
    scenario_hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.scenario_hash = hashlib.sha256(self.scenario_text.encode()).hexdigest()


@dataclass(frozen=True)
class Difference:
    """One summary value in two runs; ``delta`` is ``b - a`` when both are numbers."""

    key: str
    a: Any
    b: Any
    delta: float | None


@dataclass(frozen=True)
class Comparison:
    """Two runs' summaries side by side, one row per flattened summary key."""

    a: RunRecord
    b: RunRecord
    rows: list[Difference]

    @property
    def same_scenario(self) -> bool:
        return self.a.scenario_hash == self.b.scenario_hash


def default_home() -> Path:
    """``$MATERIEL_HOME`` if set, else the user's data directory for materiel."""
    return Path(os.environ.get("MATERIEL_HOME") or platformdirs.user_data_dir("materiel"))


def compare_summaries(a: dict[str, Any], b: dict[str, Any]) -> list[Difference]:
    """Flatten both summaries to dotted keys (``russia.tanks.p50``, ``q[0]``) and pair them up."""
    flat_a, flat_b = _flatten(a), _flatten(b)
    rows = []
    for key in {**flat_a, **flat_b}:
        va, vb = flat_a.get(key), flat_b.get(key)
        delta = vb - va if _is_number(va) and _is_number(vb) else None
        rows.append(Difference(key, va, vb, delta))
    return rows


class Registry:
    """The run registry in ``home/registry.duckdb``; see the module docstring for its guarantees."""

    def __init__(self, home: Path | str | None = None, timeout: float = 30.0):
        self.home = Path(home) if home is not None else default_home()
        self.path = self.home / FILENAME
        self.lock_path = self.home / (FILENAME + ".lock")
        self.timeout = timeout

    def record(self, run: RunRecord, outcomes: pd.DataFrame | None = None,
               per_run: dict[tuple[str, str, str], np.ndarray] | None = None) -> str:
        """Store a completed run, with its tidy outcomes table and its per-run outcomes if given;
        return its new id.

        The table has ``OUTCOME_COLUMNS``, or ``quantile`` in place of ``run`` when it holds
        per-step quantiles across runs rather than the runs themselves. ``per_run`` maps (side,
        line, outcome) to one value per run, each a float32 value (``analysis.comparison.per_run``).
        """
        if outcomes is not None:
            by = "quantile" if "quantile" in outcomes.columns else "run"
            missing = [c for c in (by, *OUTCOME_COLUMNS[1:]) if c not in outcomes.columns]
            if missing:
                raise ValueError(f"outcomes table lacks columns {missing}")
        with self._open(write=True, create=True) as con:
            con.execute("BEGIN")
            run = replace(run, id=_new_id(con), created=_now())
            con.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}, scenario_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run.id, run.created, run.scenario_name, run.scenario_text, run.seed, run.runs,
                 run.version, json.dumps(run.summary, default=_json_default), list(run.outputs),
                 run.scenario_hash],
            )
            if outcomes is not None:
                con.register("new_outcomes", outcomes[[by, *OUTCOME_COLUMNS[1:]]])
                con.execute(
                    f"INSERT INTO outcomes (run_id, {by}, date, side, line, variable, value)"
                    " SELECT ?, * FROM new_outcomes",
                    [run.id],
                )
            if per_run:
                con.register("new_per_run", _per_run_table(per_run))
                con.execute("INSERT INTO run_outcomes SELECT ?, * FROM new_per_run", [run.id])
            con.execute("COMMIT")
        return run.id

    def per_run(self, run_id: str) -> dict[tuple[str, str, str], np.ndarray]:
        """The per-run outcomes a run kept (empty if it kept none), as ``record`` took them."""
        with self._open(write=False) as con:
            full = self._resolve(con, run_id)
            if not _has_table(con, "run_outcomes"):  # a schema-1 registry, not yet written to
                return {}
            rows = con.execute("SELECT side, line, outcome, runs FROM run_outcomes WHERE run_id = ? ORDER BY rowid",
                               [full]).fetchall()
        return {(side, line, outcome): np.array(runs, np.float64) for side, line, outcome, runs in rows}

    def list(self) -> list[RunRecord]:
        """Every recorded run, oldest first."""
        with self._open(write=False) as con:
            rows = con.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY created, id").fetchall()
        return [_to_record(row) for row in rows]

    def get(self, run_id: str) -> RunRecord:
        """The run whose id is, or uniquely starts with, ``run_id``."""
        with self._open(write=False) as con:
            full = self._resolve(con, run_id)
            rows = con.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", [full]).fetchall()
        return _to_record(rows[0])

    def delete(self, run_id: str) -> str:
        """Remove a run and its outcomes; return its full id."""
        with self._open(write=True) as con:
            con.execute("BEGIN")
            full = self._resolve(con, run_id)
            con.execute("DELETE FROM outcomes WHERE run_id = ?", [full])
            con.execute("DELETE FROM run_outcomes WHERE run_id = ?", [full])
            con.execute("DELETE FROM runs WHERE id = ?", [full])
            con.execute("COMMIT")
        return full

    def export_parquet(self, run_id: str, path: Path | str) -> int:
        """Write a run's stored outcomes (``OUTCOME_COLUMNS``, sorted) to Parquet; return the rows.

        Outcomes stored as per-step quantiles are written with ``quantile`` in place of ``run``.

        The file is written beside ``path`` and renamed into place, so it is never left half done.
        """
        path = Path(path)
        partial = path.with_name(f".{path.name}.partial")
        try:
            with self._open(write=False) as con:
                full = self._resolve(con, run_id)
                (quantiles,) = con.execute("SELECT count(quantile) > 0 FROM outcomes WHERE run_id = ?",
                                           [full]).fetchall()[0]
                columns = ", ".join(("quantile" if quantiles else "run", *OUTCOME_COLUMNS[1:]))
                query = f"SELECT {columns} FROM outcomes WHERE run_id = ? ORDER BY {columns}"
                (n,) = con.execute(f"SELECT count(*) FROM ({query})", [full]).fetchall()[0]
                if n == 0:
                    message = f"run {full} has no stored outcomes"
                    raise InputError(Problem(file=str(self.path), message=message))
                con.sql(query, params=[full]).write_parquet(str(partial))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return n

    def compare(self, id_a: str, id_b: str) -> Comparison:
        """Two runs' summaries side by side with their differences."""
        a, b = self.get(id_a), self.get(id_b)
        return Comparison(a, b, compare_summaries(a.summary, b.summary))

    def _resolve(self, con: duckdb.DuckDBPyConnection, prefix: str) -> str:
        """The one id that starts with ``prefix``, or an InputError naming what was found."""
        ids = [] if not prefix else [
            r[0] for r in con.execute(
                "SELECT id FROM runs WHERE starts_with(id, ?) ORDER BY id LIMIT 6", [prefix]
            ).fetchall()
        ]
        if len(ids) == 1:
            return ids[0]
        if not ids:
            message = f"no recorded run has id {prefix!r}"
        else:
            more = ", …" if len(ids) > 5 else ""
            message = f"run id {prefix!r} is ambiguous: it matches {', '.join(ids[:5])}{more}"
        raise InputError(Problem(file=str(self.path), message=message))

    @contextmanager
    def _open(self, write: bool, create: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held under the file lock, closed on exit (rolling back what is uncommitted).

        A registry that does not exist yet is created when ``create``, and otherwise read as empty.
        DuckDB reports Ctrl-C during a query as ``RuntimeError("Query interrupted")``; it is raised
        again as the KeyboardInterrupt it is.
        """
        try:
            if not create and not self.path.exists():
                with duckdb.connect(":memory:") as con:
                    con.execute(_SCHEMA)
                    yield con
                return
            self.home.mkdir(parents=True, exist_ok=True)
            with open(self.lock_path, "a") as lock:
                self._lock(lock, exclusive=write)
                if create and not self.path.exists():
                    self._create()
                with self._connect(read_only=True) as con:
                    self._check(con, every_block=write)
                    if not write:
                        yield con
                        return
                with self._connect(read_only=False) as con:
                    _upgrade(con)
                    yield con
        except RuntimeError as e:
            if str(e) != "Query interrupted":
                raise
            raise KeyboardInterrupt from e
        except (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException) as e:
            raise self._damaged(e) from e
        except duckdb.Error as e:
            if "checksum" not in str(e).lower() and "corrupt" not in str(e).lower():
                raise
            raise self._damaged(e) from e

    def _lock(self, lock: Any, exclusive: bool) -> None:
        operation = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        for delay in self._backoff(f"another process holds {self.lock_path}"):
            try:
                fcntl.flock(lock, operation)
                return
            except BlockingIOError:
                time.sleep(delay)

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, waiting out DuckDB's own lock if a process outside materiel holds it."""
        for delay in self._backoff(f"a process outside materiel has {self.path} open"):
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as e:
                if "Could not set lock" not in str(e):
                    raise self._not_ours(f"it cannot be opened as a DuckDB database ({e})") from e
                time.sleep(delay)

    def _backoff(self, holder: str) -> Iterator[float]:
        """Delays between attempts, growing with jitter; RegistryBusy once the timeout is spent."""
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while time.monotonic() < deadline:
            yield delay * random.uniform(0.5, 1.5)
            delay = min(2 * delay, 0.25)
        raise RegistryBusy(
            f"{self.path}: run registry busy for {self.timeout:g} s ({holder}); try again"
        )

    def _check(self, con: duckdb.DuckDBPyConnection, every_block: bool = False) -> None:
        """Raise InputError unless ``con`` is a materiel registry of a schema version we know; with
        ``every_block`` (before any write), also unless every block of every table reads back with
        its checksum: nothing is written into a damaged file."""
        try:
            meta = dict(con.execute("SELECT key, value FROM materiel_meta").fetchall())
        except duckdb.CatalogException:
            meta = {}
        except duckdb.Error as e:
            raise self._not_ours(f"it cannot be read as a DuckDB database ({e})") from e
        if meta.get("format") != FORMAT:
            raise self._not_ours("it is a DuckDB database but not a materiel run registry")
        if int(meta["schema_version"]) > SCHEMA_VERSION:
            raise self._not_ours(
                f"it has registry schema {meta['schema_version']}, newer than this materiel"
                f" ({__version__}) reads ({SCHEMA_VERSION}); upgrade materiel"
            )
        if every_block:
            try:
                for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
                    con.execute(f'SELECT bit_xor(hash("{table}")) FROM "{table}"').fetchall()  # reads every column
            except duckdb.Error as e:
                raise self._damaged(e) from e

    def _damaged(self, error: Exception) -> InputError:
        return InputError(Problem(
            file=str(self.path),
            message=f"run registry damaged ({str(error)[:160]}); it was left untouched and nothing was written. "
            "Runs that still read can be saved with `materiel runs export ID --parquet FILE`; then move the "
            "file aside, or set MATERIEL_HOME (or --home) to a fresh folder.",
        ))

    def _not_ours(self, why: str) -> InputError:
        return InputError(Problem(
            file=str(self.path),
            message=f"not usable as the run registry: {why}. It was left untouched; move it"
            " aside or set MATERIEL_HOME to another directory.",
        ))

    def _create(self) -> None:
        """Build an empty registry beside ``path`` and link it into place whole, never replacing."""
        building = self.home / f".{FILENAME}.{os.getpid()}.building"
        wal = Path(f"{building}.wal")
        try:
            building.unlink(missing_ok=True)
            wal.unlink(missing_ok=True)
            with duckdb.connect(str(building)) as con:
                con.execute(_SCHEMA)
                con.execute(
                    "INSERT INTO materiel_meta VALUES ('format', ?), ('schema_version', ?),"
                    " ('created_by', ?)",
                    [FORMAT, str(SCHEMA_VERSION), f"materiel {__version__}"],
                )
            os.link(building, self.path)
        finally:
            building.unlink(missing_ok=True)
            wal.unlink(missing_ok=True)


def _upgrade(con: duckdb.DuckDBPyConnection) -> None:
    """Bring an older registry's schema up to ``SCHEMA_VERSION`` (adding, never changing, tables)."""
    con.execute(_PER_RUN_TABLE)
    con.execute("UPDATE materiel_meta SET value = ? WHERE key = 'schema_version' AND CAST(value AS INTEGER) < ?",
                [str(SCHEMA_VERSION), SCHEMA_VERSION])


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [name]).fetchall())


def _per_run_table(per_run: dict[tuple[str, str, str], np.ndarray]) -> pa.Table:
    """``run_outcomes``'s rows (without the run id), in the order given."""
    return pa.table({"side": [k[0] for k in per_run], "line": [k[1] for k in per_run],
                     "outcome": [k[2] for k in per_run],
                     "runs": pa.array([np.asarray(v, np.float32) for v in per_run.values()], type=pa.list_(pa.float32()))})


def _new_id(con: duckdb.DuckDBPyConnection) -> str:
    """A short id that sorts by creation time to the second, e.g. ``20240501-120000-3fa9c1``."""
    while True:
        run_id = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        if not con.execute("SELECT 1 FROM runs WHERE id = ?", [run_id]).fetchall():
            return run_id


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _to_record(row: tuple) -> RunRecord:
    run_id, created, name, text, seed, runs, version, summary, outputs = row
    return RunRecord(
        id=run_id, created=created, scenario_name=name, scenario_text=text, seed=seed, runs=runs,
        version=version, summary=json.loads(summary), outputs=list(outputs),
    )


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays become plain numbers and lists; dates their ISO text."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"summary value {value!r} is not JSON-serializable")


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        items = [(f"{prefix}.{k}" if prefix else str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"{prefix}[{i}]", v) for i, v in enumerate(value)]
    else:
        return {prefix: value}
    return {key: leaf for k, v in items for key, leaf in _flatten(v, k).items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

"""Ukraine's General Staff daily cumulative counts of Russian losses.

Reads the JSON files of github.com/PetroIvaniuk/2022-Ukraine-Russia-War-Dataset (``data/``):
``russia_losses_equipment.json`` and ``russia_losses_personnel.json`` hold one record per day,
each cumulative since 2022-02-24; ``russia_losses_equipment_correction.json`` holds the official
re-counts, which are already inside the main series as jumps.

Columns are the source's field names in snake_case (``tank``, ``apc``, ``field_artillery``,
``mrl``, ``drone``, ``cruise_missiles``, ``personnel``, ``pow``, ...); a field new to the file
becomes a column the same way. Changes in the source's fields are handled so:

* ``military auto`` + ``fuel tank`` (to 2022-04-30) and ``vehicles and fuel tanks`` (from
  2022-05-01, their sum) form one continuous ``vehicles_and_fuel_tanks``.
* ``mobile SRBM system`` (2022-03-26 to 2022-04-30, at most 4) was absorbed into
  ``cruise missiles`` and is not a column of its own.
* A series is NaN before its first record — its first value already counts earlier losses
  (``special_equipment`` starts at 10, ``cruise_missiles`` at 84) — except ``submarines``, which
  is 0 before it starts: the first submarine was hit the day before it was added.
* A series is NaN after its last record (``pow`` stopped on 2022-04-27).
* Missing days inside a series hold the last reported value (cumulative counts).

Not kept: ``day``, the text field ``greatest losses direction`` and qualifiers (a field named
with a trailing ``*``: ``personnel*`` says "about", on six days "more" — personnel counts are
the source's round figures). Every other field must hold whole numbers.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from materiel.errors import InputError, Problem
from materiel.observe._names import snake_case
from materiel.scenario.limits import EARLIEST, LATEST, MAX_MAGNITUDE
from materiel.scenario.series import SERIES_FIELDS

EQUIPMENT_FILE = "russia_losses_equipment.json"
PERSONNEL_FILE = "russia_losses_personnel.json"
CORRECTION_FILE = "russia_losses_equipment_correction.json"

#: The columns of the files as published (a field new to the file would add one).
FIELDS = SERIES_FIELDS["general_staff"]
_SKIPPED = {"date", "day", "mobile SRBM system", "greatest losses direction"}
_JOINED = {"vehicles_and_fuel_tanks": ("military_auto", "fuel_tank")}
_ZERO_BEFORE_START = {"submarines"}


def load_general_staff(path: str | Path) -> pd.DataFrame:
    """Load the General Staff's cumulative loss counts from a directory or one JSON file.

    A directory must hold ``russia_losses_equipment.json`` and/or
    ``russia_losses_personnel.json``; a file may be either. Returns one row per day from the
    first to the last date (DatetimeIndex ``date``) and one float column of cumulative counts
    per series, as described in the module docstring.
    """
    path = Path(path)
    if path.is_dir():
        files = [path / name for name in (EQUIPMENT_FILE, PERSONNEL_FILE) if (path / name).is_file()]
        if not files:
            raise InputError(
                Problem(
                    file=str(path),
                    message=f"no General Staff file here: expected {EQUIPMENT_FILE} or {PERSONNEL_FILE}",
                )
            )
    else:
        if path.name == CORRECTION_FILE:
            raise InputError(
                Problem(
                    file=str(path),
                    message="this is the re-count file, not a cumulative series: read it with load_corrections",
                )
            )
        files = [path]

    frames = [_read_cumulative(f) for f in files]
    df = frames[0]
    for other, file in zip(frames[1:], files[1:]):
        shared = df.columns.intersection(other.columns)
        if len(shared):
            raise InputError(
                Problem(
                    file=str(file), path=str(shared[0]), message="series also present in " + files[0].name
                )
            )
        df = df.join(other, how="outer")

    days = pd.date_range(df.index.min(), df.index.max(), freq="D", name="date")
    df = df.reindex(days).ffill(limit_area="inside")
    for column in _ZERO_BEFORE_START.intersection(df.columns):
        first = df[column].first_valid_index()
        df.loc[df.index < first, column] = 0.0
    return df


def load_corrections(path: str | Path) -> pd.DataFrame:
    """Load the official re-counts, from a directory or ``russia_losses_equipment_correction.json``.

    Returns the amount each re-count added to each series on its date (negative when it took
    some away), indexed by date (``date``, only the dates listed; records on the same date are
    summed), with the same column names as :func:`load_general_staff`. Pass it to
    :func:`materiel.observe.daily_losses`.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CORRECTION_FILE
    raw = _to_columns(_read_records(path), path, cumulative=False)
    return raw.fillna(0.0).groupby(level="date").sum()


def _read_cumulative(path: Path) -> pd.DataFrame:
    """One file's cumulative series, by date, with renamed and joined columns (not yet daily)."""
    df = _to_columns(_read_records(path), path, cumulative=True)  # rows in record order
    repeated = df.index.duplicated(keep=False)
    if repeated.any():
        differ = df[repeated].groupby(level="date").nunique(dropna=False).gt(1).any(axis=1)
        if differ.any():
            day = differ[differ].index[0]
            i = int(np.flatnonzero(df.index == day)[-1])
            raise InputError(
                Problem(
                    file=str(path),
                    path=f"[{i}].date",
                    message=f"{day.date()} appears twice with different counts",
                )
            )
        df = df[~df.index.duplicated()]
    return df.sort_index()


def _read_records(path: Path) -> list[dict]:
    """The file's list of records, each a JSON object with an ISO ``date``."""
    if not path.is_file():
        raise InputError(Problem(file=str(path), message="no such file"))
    try:
        with path.open(encoding="utf-8-sig") as f:
            records = json.load(f)
    except json.JSONDecodeError as e:
        raise InputError(Problem(file=str(path), line=e.lineno, message=f"not valid JSON: {e.msg}")) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(Problem(file=str(path), message=f"cannot read: {e}")) from None
    except (ValueError, RecursionError) as e:  # a number of thousands of digits, nesting deeper than Python's stack
        raise InputError(Problem(file=str(path), message=f"not a General Staff series: {str(e)[:100]}")) from None
    if not isinstance(records, list) or not records:
        raise InputError(Problem(file=str(path), message="expected a non-empty list of daily records"))
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputError(Problem(file=str(path), path=f"[{i}]", message="expected an object"))
        if record.get("date") is None:
            raise InputError(Problem(file=str(path), path=f"[{i}].date", message="record has no date"))
    return records


def _to_columns(records: list[dict], path: Path, cumulative: bool) -> pd.DataFrame:
    """Records to a frame of counts by date: snake_case names, parts joined.

    Cumulative counts must not be negative; re-counts (``cumulative=False``) may be.
    """
    dates = []
    for i, record in enumerate(records):
        try:
            day = date.fromisoformat(record["date"])
            if not EARLIEST <= day <= LATEST:
                raise ValueError(day)
            dates.append(day)
        except (TypeError, ValueError):
            raise InputError(
                Problem(
                    file=str(path),
                    path=f"[{i}].date",
                    message=f"expected a date YYYY-MM-DD from {EARLIEST} to {LATEST}, got {str(record['date'])[:40]!r}",
                )
            ) from None

    fields: dict[str, list] = {}
    for i, record in enumerate(records):
        for key, value in record.items():
            if key not in _SKIPPED and not key.endswith("*"):  # "personnel*" qualifies "personnel"
                fields.setdefault(key, [None] * len(records))[i] = value

    columns: dict[str, list[float]] = {}
    for key, values in fields.items():
        name = snake_case(key)
        if name in columns:
            raise InputError(Problem(file=str(path), path=key, message=f"a second field named {name!r}"))
        columns[name] = [_count(v, path, f"[{i}].{key}", cumulative) for i, v in enumerate(values)]

    df = pd.DataFrame(columns, index=pd.DatetimeIndex(dates, name="date").as_unit("ns"), dtype=float)
    for joined, parts in _JOINED.items():
        if not set(parts) & set(df.columns):
            continue
        present = [p for p in parts if p in df.columns]
        # a cumulative total needs every part; a re-count of a part is a re-count of the total
        summed = df[present].sum(axis=1, min_count=len(parts) if cumulative else 1)
        df = df.drop(columns=present)
        df[joined] = df[joined].combine_first(summed) if joined in df.columns else summed
    return df


def _count(value, path: Path, where: str, cumulative: bool) -> float:
    """One count from the JSON: a whole number (NaN when absent)."""
    if value is None:
        return math.nan
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or value != value
            or abs(value) > MAX_MAGNITUDE or value % 1):
        raise InputError(
            Problem(file=str(path), path=where, message=f"expected a whole number up to {MAX_MAGNITUDE:g}, "
                                                        f"got {repr(value)[:40]}")
        )
    if cumulative and value < 0:
        raise InputError(
            Problem(file=str(path), path=where, message=f"a cumulative count cannot be negative: {value}")
        )
    return float(value)

"""Oryx's visually confirmed Russian losses, from the change log of github.com/mauforonda/ukraine.

``log.csv`` has columns ``timestamp, country, category, state, value``: each row is the change in
one category × state when the scraper first saw it, so a running sum gives the count Oryx listed.
Oryx counts only losses with photo or video evidence: a lower bound.

Handled here:

* On 2024-08-31 a parsing artefact moved every Russian count to a "country" labelled
  "Losses of Armoured Combat Vehicles [...]" (equal -/+ rows); rows under that label count as
  Russia's, so the move nets out.
* Renamed or split categories share one column (below), so a rename's -/+ rows net out.
* Rows whose state is not destroyed, damaged, abandoned or captured are scraper artefacts
  (e.g. "tured: 569)" on 2022-12-26, undone two days later) and are dropped.
* Categories Oryx withdrew (anti-tank guided missiles, MANPADS, mortars and heavy mortars:
  their count falls back to 0) are left out. A category not known here becomes a column named
  by its label in snake_case.

Columns (Oryx's labels): ``tank`` (tanks), ``afv`` (armoured fighting vehicles), ``ifv``
(infantry fighting vehicles), ``apc`` (armoured personnel carriers), ``mrap`` (mine-resistant
ambush protected), ``imv`` (infantry mobility vehicles), ``engineering_vehicle``,
``command_post`` (command posts and communications stations; communications stations and
vehicles), ``self_propelled_atgm``, ``artillery_support_vehicle``, ``towed_artillery`` (with
the early "artillery"), ``self_propelled_artillery``, ``mrl`` (multiple rocket launchers, from
2025-06-22 rocket and missile artillery), ``anti_aircraft_gun``,
``self_propelled_anti_aircraft_gun``, ``sam_system``, ``radar``, ``jammer``, ``aircraft``,
``helicopter``, ``uav`` (all unmanned aerial vehicles: split into reconnaissance and combat on
2022-11-15), ``ugv``, ``naval_ship`` (with submarines), ``truck`` (trucks, vehicles and jeeps;
logistics trains), and two totals: ``armoured_combat_vehicles`` (tank + afv + ifv + apc + mrap,
Oryx's own headline) and ``field_artillery`` (towed + self-propelled).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from materiel.errors import InputError, Problem
from materiel.observe._names import snake_case
from materiel.scenario.limits import EARLIEST, LATEST, MAX_MAGNITUDE
from materiel.scenario.series import SERIES_FIELDS

COLUMNS = ("timestamp", "country", "category", "state", "value")
STATES = ("destroyed", "damaged", "abandoned", "captured")
_ARTEFACT_COUNTRY = "Losses of Armoured Combat Vehicles"

_CATEGORIES = {
    "tanks": "tank",
    "armoured fighting vehicles": "afv",
    "infantry fighting vehicles": "ifv",
    "armoured personnel carriers": "apc",
    "mine-resistant ambush protected": "mrap",
    "infantry mobility vehicles": "imv",
    "engineering vehicles": "engineering_vehicle",
    "engineering vehicles and equipment": "engineering_vehicle",
    "communications vehicles": "command_post",
    "communications stations": "command_post",
    "command posts and communications stations": "command_post",
    "self-propelled anti-tank missile systems": "self_propelled_atgm",
    "artillery support vehicles and equipment": "artillery_support_vehicle",
    "artillery": "towed_artillery",
    "towed artillery": "towed_artillery",
    "self-propelled artillery": "self_propelled_artillery",
    "multiple rocket launchers": "mrl",
    "rocket and missile artillery": "mrl",
    "anti-aircraft guns": "anti_aircraft_gun",
    "self-propelled anti-aircraft guns": "self_propelled_anti_aircraft_gun",
    "surface-to-air missile systems": "sam_system",
    "radars": "radar",
    "jammers and deception systems": "jammer",
    "aircraft": "aircraft",
    "helicopters": "helicopter",
    "unmanned aerial vehicles": "uav",
    "reconnaissance unmanned aerial vehicles": "uav",
    "unmanned combat aerial vehicles": "uav",
    "unmanned ground vehicles": "ugv",
    "naval ships": "naval_ship",
    "naval ships and submarines": "naval_ship",
    "trucks, vehicles and jeeps": "truck",
    "trucks, vehicles, and jeeps": "truck",
    "trucks, vehicles, jeeps, and trains": "truck",
    "logistics trains": "truck",
}
_WITHDRAWN = {"anti-tank guided missiles", "man-portable air defence systems", "mortars", "heavy mortars"}
_TOTALS = {
    "armoured_combat_vehicles": ("tank", "afv", "ifv", "apc", "mrap"),
    "field_artillery": ("towed_artillery", "self_propelled_artillery"),
}

#: The known columns: each category, then the totals (a category new to the log would add one).
FIELDS = SERIES_FIELDS["oryx"]


def load_oryx_log(path: str | Path, states: str | tuple[str, ...] = STATES) -> pd.DataFrame:
    """Load Oryx's change log as Russia's daily cumulative losses, one column per category.

    ``path`` is ``log.csv`` or a directory holding it; ``states`` picks which losses count
    (default: all four). Returns one row per day (DatetimeIndex ``date``: the scrape's date as
    the log writes it) from the first to the last day with a Russian row, each the count listed
    at the end of that day, as floats; a category is 0 before it first appears, since the log
    runs from Oryx's first, empty, list.
    """
    states = (states,) if isinstance(states, str) else tuple(states)
    unknown = set(states) - set(STATES)
    if unknown:
        raise ValueError(f"unknown state(s) {sorted(unknown)}: expected some of {STATES}")
    path = Path(path)
    if path.is_dir():
        path = path / "log.csv"
    log = _read_log(path)

    russia = (log["country"] == "Russia") | log["country"].str.startswith(_ARTEFACT_COUNTRY)
    log = log[russia & log["state"].isin(states) & ~log["category"].isin(_WITHDRAWN)]
    if log.empty:
        raise InputError(Problem(file=str(path), message="no rows for Russia"))
    column = log["category"].map(lambda c: _CATEGORIES.get(c) or snake_case(c))
    changes = log.groupby([log["timestamp"].dt.floor("D").rename("date"), column])["value"].sum()
    changes = changes.unstack(fill_value=0)

    days = pd.date_range(changes.index.min(), changes.index.max(), freq="D", name="date", unit="ns")
    df = changes.reindex(days, fill_value=0).cumsum().astype(float)
    known = [c for c in dict.fromkeys(_CATEGORIES.values()) if c in df]
    df = df[known + sorted(set(df) - set(known))]
    for total, parts in _TOTALS.items():
        df[total] = df.reindex(columns=list(parts), fill_value=0.0).sum(axis=1)
    df.columns.name = None
    return df


def _read_log(path: Path) -> pd.DataFrame:
    """The log's rows with parsed timestamps and whole-number values; errors name the line."""
    if not path.is_file():
        raise InputError(Problem(file=str(path), message="no such file"))
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(Problem(file=str(path), message=f"cannot read as CSV: {e}")) from None
    if not rows or tuple(name.strip() for name in rows[0]) != COLUMNS:
        got = ",".join(rows[0]) if rows else "an empty file"
        raise InputError(
            Problem(file=str(path), line=1, message=f"expected the header {','.join(COLUMNS)}, got {got}")
        )
    rows = rows[1:]
    for i, row in enumerate(rows):
        if len(row) != len(COLUMNS):
            raise InputError(
                Problem(file=str(path), line=i + 2, message=f"expected {len(COLUMNS)} fields, got {len(row)}")
            )
    log = pd.DataFrame(rows, columns=list(COLUMNS))
    for label in ("country", "category", "state"):  # one plain space, e.g. for a no-break space
        log[label] = log[label].str.replace(r"\s+", " ", regex=True).str.strip()
    log["category"] = log["category"].str.lower()

    log["timestamp"] = pd.to_datetime(log["timestamp"], format="ISO8601", errors="coerce")
    value = pd.to_numeric(log["value"], errors="coerce")
    # pandas keeps microseconds here (years 1 to 9999); the bound keeps every later step in range
    early, late = pd.Timestamp(EARLIEST), pd.Timestamp(LATEST)
    checks = (
        ("timestamp", f"a date-time from {EARLIEST} to {LATEST}",
         log["timestamp"].isna() | (log["timestamp"] < early) | (log["timestamp"] > late)),
        ("value", f"a whole number up to {MAX_MAGNITUDE:g}", value.isna() | (value % 1 != 0) | (value.abs() > MAX_MAGNITUDE)),
    )
    for field, expected, bad in checks:
        if bad.any():
            i = int(bad.to_numpy().argmax())
            text = rows[i][COLUMNS.index(field)]
            got = repr(text[:40]) if text.strip() else "nothing"
            raise InputError(
                Problem(file=str(path), path=field, line=i + 2, message=f"expected {expected}, got {got}")
            )
    log["value"] = value.astype("int64")
    return log

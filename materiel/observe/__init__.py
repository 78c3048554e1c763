"""Observed loss series: Ukraine's General Staff daily counts and Oryx's confirmed losses.

Loaders return daily cumulative counts (DatetimeIndex ``date``, one float column per series);
:func:`daily_losses` and :func:`losses_per_period` turn them into flows for calibration.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from materiel.errors import InputError, Problem
from materiel.observe.flows import daily_losses, losses_per_period
from materiel.observe.general_staff import (
    EQUIPMENT_FILE,
    PERSONNEL_FILE,
    load_corrections,
    load_general_staff,
)
from materiel.observe.oryx import COLUMNS as ORYX_COLUMNS
from materiel.observe.oryx import load_oryx_log
from materiel.scenario.series import SERIES_FIELDS

__all__ = [
    "BUILTIN_UNTIL",
    "builtin_path",
    "daily_losses",
    "load_builtin",
    "load_corrections",
    "load_general_staff",
    "load_observed",
    "load_oryx_log",
    "losses_per_period",
    "series_kind",
    "SERIES_FIELDS",
]



#: The series that ship with materiel (built by scripts/build_observed.py from the public copies in
#: these folders of the data folder; attribution and licences in builtin/SOURCES.md), to this date.
BUILTIN_FOLDERS = {"general_staff": "petroivaniuk", "oryx": "oryx_mauforonda"}
BUILTIN_UNTIL = "2025-06-30"


def builtin_path(kind: str) -> Path:
    """The file of the built-in `kind` series ("general_staff" or "oryx")."""
    return Path(__file__).with_name("builtin") / f"{kind}.csv.gz"


def load_builtin(kind: str) -> pd.DataFrame:
    """The built-in `kind` series to `BUILTIN_UNTIL`, as `load_observed` returns the full copy."""
    frame = pd.read_csv(builtin_path(kind), index_col="date", parse_dates=["date"], dtype="float64")
    frame.index = pd.DatetimeIndex(frame.index, name="date").as_unit("ns")
    return frame


def load_observed(path: str | Path) -> pd.DataFrame:
    """Load whichever observed series ``path`` holds: General Staff JSON or Oryx's log CSV.

    A directory is read as the General Staff's if it holds its equipment or personnel file, as
    Oryx's if it holds ``log.csv`` (holding both is an error). A file is read as Oryx's log if
    its first line is the log's header, as the General Staff's if it is a JSON list.
    """
    return load_general_staff(path) if series_kind(path) == "general_staff" else load_oryx_log(path)


def series_kind(path: str | Path) -> str:
    """Which series ``path`` holds, ``"general_staff"`` or ``"oryx"``, as :func:`load_observed` reads it."""
    path = Path(path)
    if path.is_dir():
        gs = any((path / name).is_file() for name in (EQUIPMENT_FILE, PERSONNEL_FILE))
        oryx = (path / "log.csv").is_file()
        if gs and oryx:
            raise InputError(
                Problem(
                    file=str(path),
                    message="holds both General Staff files and an Oryx log.csv: name one file",
                )
            )
        if gs or oryx:
            return "general_staff" if gs else "oryx"
        raise InputError(
            Problem(
                file=str(path),
                message=f"no observed series here: expected {EQUIPMENT_FILE}, {PERSONNEL_FILE} or log.csv",
            )
        )
    if not path.is_file():
        raise InputError(Problem(file=str(path), message="no such file or directory"))
    head = _first_text(path)
    if head.startswith("["):
        return "general_staff"
    if head.split("\n", 1)[0].strip() == ",".join(ORYX_COLUMNS):
        return "oryx"
    raise InputError(
        Problem(
            file=str(path),
            message="not an observed series: expected General Staff JSON (a list of daily records) "
            f"or an Oryx log CSV (header {','.join(ORYX_COLUMNS)})",
        )
    )


def _first_text(path: Path) -> str:
    """The start of the file, without leading white space or a byte-order mark."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as f:
            return f.read(4096).lstrip()
    except OSError as e:
        raise InputError(Problem(file=str(path), message=f"cannot read: {e}")) from None

"""Parsing and checking command-line values that Typer does not check for us."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

from materiel.errors import InputError, Problem

if TYPE_CHECKING:
    from materiel.scenario.schema import Scenario

STEPS = ("day", "week", "month")


def parse_date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(Problem(option, message=f"expected a date as YYYY-MM-DD, got {value!r}")) from None


def with_overrides(scenario: Scenario, horizon: str | None, step: str | None) -> Scenario:
    """The scenario with --horizon and --step applied (`variants.with_time_frame`), checked again."""
    from materiel.scenario.variants import with_time_frame

    if step is not None and step not in STEPS:
        raise InputError(Problem("--step", message=f"expected one of {', '.join(STEPS)}, got {step!r}"))
    day = None if horizon is None else parse_date(horizon, "--horizon")
    return with_time_frame(scenario, day, step, origin="--horizon" if horizon is not None else "--step")


def check_runs(runs: int, scenario: Scenario, option: str = "--runs") -> None:
    """At most MAX_RUNS runs, and MAX_RUN_LINES runs × lines (12 bytes each of per-run outcomes)."""
    from materiel.scenario.limits import MAX_RUN_LINES, MAX_RUNS

    lines = sum(len(side.lines) for side in scenario.sides.values())
    if runs > MAX_RUNS or runs * lines > MAX_RUN_LINES:
        raise InputError(Problem(option, message=f"{runs:,} runs of {lines} lines is beyond the limit of {MAX_RUNS:,} "
                                                 f"runs and {MAX_RUN_LINES:,} runs × lines (docs/limits.md)"))


def write_json(path: Path, document: dict) -> None:
    """Write a JSON document, or say clearly why it cannot be written."""
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(str(path), message=f"cannot write: {exc.strerror or exc}")) from None

"""Parsing and checking command-line values that Typer does not check for us."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from materiel.errors import InputError, Problem

if TYPE_CHECKING:
    from materiel.scenario.loading import LoadedScenario
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


# What-if interventions as flags (scenario/interventions.py; docs/whatif.md), repeatable, made in order.
SetFlags = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="PATH=QUANTITY", help="What if this quantity were … e.g. "
    "sides.russia.lines.tanks.front='{low: 2000, high: 2600}'")]
ScaleFlags = Annotated[Optional[list[str]], typer.Option(
    "--scale", metavar="'WHAT of SIDE/LINE by F [from DATE] [until DATE]'",
    help="What if demand, refurbish, production or multiplier were F times, e.g. 'demand of russia/* by 0.67 from 2025-07-01'")]
StopFlags = Annotated[Optional[list[str]], typer.Option(
    "--stop", metavar="'SIDE/SUPPLIER from DATE'", help="What if a supplier stopped delivering on DATE")]
StartFlags = Annotated[Optional[list[str]], typer.Option(
    "--start", metavar="'SIDE/SUPPLIER from DATE [until DATE]'", help="What if a supplier delivered only from DATE")]
SourceFlags = Annotated[Optional[list[str]], typer.Option(
    "--source", metavar="ID", help="The interventions cite these source ids (else they are hypotheses)")]


def with_what_if(loaded: LoadedScenario, sets: list[str] | None, scales: list[str] | None, stops: list[str] | None,
                 starts: list[str] | None, sources: list[str] | None) -> LoadedScenario:
    """The scenario with the what-if flags' interventions made (unchanged if there are none)."""
    from materiel.scenario.interventions import from_flag
    from materiel.scenario.loading import vary

    cited = tuple(sources or ())
    found = [from_flag(kind, text, cited) for kind, texts in (("set", sets), ("scale", scales), ("stop", stops),
                                                               ("start", starts)) for text in texts or ()]
    if cited and not found:
        raise InputError(Problem("--source", message="applies only with --set, --scale, --stop or --start"))
    return vary(loaded, found)


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

"""The dashboard's levers: what-if interventions (scenario/interventions.py) as bounded settings.

A `Lever` is one setting — a factor, a date — grouped by side and line, with the range it accepts;
`interventions` turns a set of lever values into the intervention list of the what-if vocabulary
(a lever at its neutral value makes none), so the dashboard's variant is exactly what `materiel
compare` would run from the same overlay. `check` refuses a value out of range with a message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from materiel.errors import InputError, Problem
from materiel.scenario.interventions import QUANTITY_FIELDS, Intervention
from materiel.scenario.limits import MAX_RUN_LINES, MAX_RUNS
from materiel.scenario.schema import Scenario

FACTOR = (0.0, 4.0)          # demand, production, refurbishment and hiring factors
RUNS = (100, 20_000)         # runs of the ensemble the dashboard reruns on every move
SEED = (0, 2**31 - 1)


@dataclass(frozen=True)
class Lever:
    """One setting: `kind` is intensity (demand of the side's lines × factor from a date), stop (a
    supplier's last day), production, refurbish or hiring (× factor)."""

    key: str          # unique, e.g. "russia/shells/production"
    label: str
    side: str
    line: str | None  # the line it belongs to; None: the whole side
    kind: str
    low: object
    high: object
    neutral: object   # the value that changes nothing
    step: float | None = None

    def check(self, value) -> object:
        """The value if it lies in [low, high], else InputError saying the range."""
        try:
            ok = self.low <= value <= self.high
        except TypeError:
            ok = False
        if not ok:
            raise InputError(Problem(self.label, message=f"expected {_show(self.low)} to {_show(self.high)}, "
                                                         f"got {_show(value)}"))
        return value


def levers(sc: Scenario) -> list[Lever]:
    """The levers a scenario offers, side by side, whole-side ones first, then each line's."""
    found = []
    for s, side in sc.sides.items():
        found.append(Lever(f"{s}/intensity", "intensity of fighting ×", s, None, "intensity", *FACTOR, 1.0, 0.05))
        found.append(Lever(f"{s}/intensity-from", "… from", s, None, "intensity-from", sc.start, sc.horizon,
                           _middle(sc)))
        if side.workforce is not None:
            found.append(Lever(f"{s}/hiring", "workforce hiring ×", s, None, "hiring", *FACTOR, 1.0, 0.05))
        for name in side.suppliers:
            found.append(Lever(f"{s}/{name}/stop", f"{name} delivers until", s, side.suppliers[name].line, "stop",
                               sc.start, sc.horizon, sc.horizon))
        for name, line in side.lines.items():
            if line.production is not None:
                found.append(Lever(f"{s}/{name}/production", "production ×", s, name, "production", *FACTOR, 1.0, 0.05))
            if line.refurbish is not None:
                found.append(Lever(f"{s}/{name}/refurbish", "refurbishment ×", s, name, "refurbish", *FACTOR, 1.0, 0.05))
    return found


def interventions(sc: Scenario, all_levers: list[Lever], values: dict[str, object]) -> list[Intervention]:
    """The interventions that `values` (lever key → value; absent: neutral) stand for, every value
    checked first (InputError naming each one out of range)."""
    problems, checked = [], {}
    for lever in all_levers:
        try:
            checked[lever.key] = lever.check(values.get(lever.key, lever.neutral))
        except InputError as exc:
            problems.extend(exc.problems)
    if unknown := sorted(set(values) - set(checked) - {lv.key for lv in all_levers}):
        problems.append(Problem(unknown[0], message="no such lever"))
    if problems:
        raise InputError(problems)
    found = []
    for lever in all_levers:
        value = checked[lever.key]
        if value == lever.neutral or lever.kind == "intensity-from":
            continue
        if lever.kind == "intensity":
            found.append(Intervention("scale", f"{lever.side}/*", "demand", float(value),
                                      start=checked[f"{lever.side}/intensity-from"], hypothesis=True))
        elif lever.kind in ("production", "refurbish"):
            found.append(Intervention("scale", f"{lever.side}/{lever.line}", lever.kind, float(value), hypothesis=True))
        elif lever.kind == "stop":
            supplier = lever.key.split("/")[1]
            found.append(Intervention("stop", f"{lever.side}/{supplier}", start=value, hypothesis=True))
        else:  # hiring: the side's quantity, scaled
            hiring = sc.sides[lever.side].workforce.hiring
            scaled = {f: getattr(hiring, f) * value for f in QUANTITY_FIELDS if getattr(hiring, f) is not None}
            found.append(Intervention("set", f"sides.{lever.side}.workforce.hiring",
                                      value={**scaled, "note": f"{value:g} times the scenario's (what-if hypothesis)"},
                                      hypothesis=True))
    return found


def check_runs(runs, sc: Scenario) -> int:
    """Runs in RUNS (and the scenario's limits), else InputError."""
    lines = sum(len(side.lines) for side in sc.sides.values())
    high = min(RUNS[1], MAX_RUNS)
    if not isinstance(runs, int) or not RUNS[0] <= runs <= high or runs * lines > MAX_RUN_LINES:
        raise InputError(Problem("runs", message=f"expected {RUNS[0]:,} to {high:,}, got {_show(runs)}"))
    return runs


def check_seed(seed) -> int:
    """A seed in SEED, else InputError."""
    if not isinstance(seed, int) or not SEED[0] <= seed <= SEED[1]:
        raise InputError(Problem("seed", message=f"expected {SEED[0]} to {SEED[1]:,}, got {_show(seed)}"))
    return seed


def _middle(sc: Scenario) -> dt.date:
    """Where an intensity change starts by default: the knowledge horizon, else the middle."""
    return sc.knowledge_horizon or sc.start + (sc.horizon - sc.start) / 2


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)

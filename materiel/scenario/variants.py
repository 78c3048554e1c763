"""Variants of a scenario that the engine and the exporters share."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from materiel.errors import InputError, Problem
from materiel.scenario.distributions import quantile as inverse_cdf
from materiel.scenario.loading import check_references
from materiel.scenario.quantity import Quantity
from materiel.scenario.schema import Scenario, Step


def with_time_frame(scenario: Scenario, horizon: dt.date | None = None, step: Step | None = None,
                    origin: str = "the time frame asked for") -> Scenario:
    """The scenario run to another `horizon` or at another `step`, checked again like a file
    (InputError naming `origin` and the field: a horizon before the start, too many steps)."""
    update = {k: v for k, v in (("horizon", horizon), ("step", step)) if v is not None}
    if not update:
        return scenario
    changed = scenario.model_copy(update=update)
    problems = [Problem(origin, path, None, msg) for path, msg in check_references(changed)]
    if problems:
        raise InputError(problems)
    return changed


def deterministic(scenario: Scenario, q: float = 0.5) -> Scenario:
    """The scenario with every quantity replaced by a point value at its quantile `q` (0.5: the median).

    Sources and notes are kept; point values are left as they are. The result runs the same
    whatever the seed, so one run says everything.
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"a quantile must lie strictly between 0 and 1, got {q}")
    return _at(scenario, q)


def _at(value, q: float):
    if isinstance(value, Quantity):
        if value.dist == "point":
            return value
        point = Quantity(value=float(inverse_cdf(value, q)), source=value.source, note=value.note)
        point._bounds = value.bounds
        return point
    if isinstance(value, BaseModel):
        changed = {name: new for name in type(value).model_fields
                   if (new := _at(getattr(value, name), q)) is not getattr(value, name)}
        return value.model_copy(update=changed) if changed else value
    if isinstance(value, dict):
        new = {k: _at(v, q) for k, v in value.items()}
        return new if any(new[k] is not v for k, v in value.items()) else value
    if isinstance(value, list):
        new = [_at(v, q) for v in value]
        return new if any(a is not b for a, b in zip(new, value)) else value
    return value

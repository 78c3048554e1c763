"""Variants of a scenario that the engine and the exporters share."""

from __future__ import annotations

from pydantic import BaseModel

from materiel.engine.sampling import quantile as inverse_cdf
from materiel.scenario.quantity import Quantity
from materiel.scenario.schema import Scenario


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

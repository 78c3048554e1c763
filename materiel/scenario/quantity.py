"""Quantities (a number with its uncertainty and its sources) and schedules (quantities over time).

A quantity is written in YAML as a bare number or a mapping:

    2.5                                    # a point value, no source (only in a `draft: true` scenario)
    {value: 2.5, source: iiss-2024}        # a point value
    {low: 3, high: 6, source: havryliuk}   # uniform
    {low: 1, likely: 2, high: 4}           # triangular (add dist: pert for PERT)
    {mean: 10, sd: 2}                      # normal
    {median: 10, sigma: 0.3}               # lognormal (sigma of the log)

Each field that holds a quantity has a domain (e.g. a stock is >= 0, a yield is in [0, 1]):
the whole support of a bounded distribution must lie inside it, and draws from the unbounded
ones (normal) are clipped to it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, WithJsonSchema, field_validator,
                      model_validator)

from materiel.scenario.limits import MAX_ELASTICITY, MAX_MAGNITUDE, MAX_POINTS, MAX_TRANSIT_DAYS

Dist = Literal["point", "uniform", "triangular", "pert", "normal", "lognormal"]
Per = Literal["day", "week", "month", "year"]

# The loader takes `source: id` as well as a list of ids (`_from_number`); the JSON Schema says so too.
SourceIds = Annotated[list[str], WithJsonSchema({
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    "description": "The id (or list of ids) under `sources` that justify this number"})]

DAYS_PER: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}


class Quantity(BaseModel):
    """A number, possibly uncertain, with the ids of the sources that justify it."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    value: float | None = None
    low: float | None = None
    likely: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    sigma: float | None = None
    dist: Dist | None = None
    source: SourceIds = Field(default_factory=list)
    hypothesis: bool = Field(False, description="A what-if value of the analyst's rather than a sourced figure")
    note: str | None = None

    _bounds: tuple[float, float] = PrivateAttr(default=(-math.inf, math.inf))

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        """A bare number is a point value (`_from_number`): the schema accepts it beside the mapping."""
        return {"anyOf": [{"type": "number"}, handler(core_schema)]}

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data):
        if isinstance(data, bool):
            raise ValueError("expected a number or a quantity mapping, got a boolean")
        if isinstance(data, (int, float)):
            return {"value": data}
        if not isinstance(data, dict):
            raise ValueError("expected a number or a quantity mapping (value; low, high; low, likely, high; "
                             f"mean, sd; median, sigma), got {data!r:.40}")
        if isinstance(data, dict) and isinstance(data.get("source"), str):
            return {**data, "source": [data["source"]]}
        return data

    @model_validator(mode="after")
    def _infer_dist(self) -> Quantity:
        given = {k for k in ("value", "low", "likely", "high", "mean", "sd", "median", "sigma")
                 if getattr(self, k) is not None}
        shapes: dict[frozenset, tuple[Dist, ...]] = {
            frozenset({"value"}): ("point",),
            frozenset({"low", "high"}): ("uniform",),
            frozenset({"low", "likely", "high"}): ("triangular", "pert"),
            frozenset({"mean", "sd"}): ("normal",),
            frozenset({"median", "sigma"}): ("lognormal",),
        }
        allowed = shapes.get(frozenset(given))
        if allowed is None:
            raise ValueError(
                "expected one of: value; low+high; low+likely+high; mean+sd; median+sigma "
                f"(got {', '.join(sorted(given)) or 'no number'})")
        if self.dist is None:
            self.dist = allowed[0]
        elif self.dist not in allowed:
            raise ValueError(f"dist {self.dist!r} does not take {', '.join(sorted(given))}")
        for name in given:
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")
            if abs(getattr(self, name)) > MAX_MAGNITUDE:
                raise ValueError(f"{name} ({getattr(self, name):g}) is beyond ±{MAX_MAGNITUDE:g}, the largest number "
                                 "a quantity may hold (docs/limits.md)")
        if self.low is not None and self.low > self.high:
            raise ValueError(f"low ({self.low:g}) must not exceed high ({self.high:g})")
        if self.likely is not None and not self.low <= self.likely <= self.high:
            raise ValueError(f"likely ({self.likely:g}) must lie between low and high")
        if (self.sd is not None and self.sd < 0) or (self.sigma is not None and self.sigma < 0):
            raise ValueError("a spread (sd, sigma) must be >= 0")
        if self.median is not None and self.median <= 0:
            raise ValueError("a lognormal median must be > 0")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        """The domain of the field this quantity fills; draws are clipped to it."""
        return self._bounds

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can take (before clipping)."""
        if self.dist == "point":
            return self.value, self.value
        if self.dist in ("uniform", "triangular", "pert"):
            return self.low, self.high
        if self.dist == "normal":
            return (-math.inf, math.inf) if self.sd > 0 else (self.mean, self.mean)
        return (0.0, math.inf) if self.sigma > 0 else (self.median, self.median)

    def central(self) -> float:
        """The median of the distribution (the deterministic value of this quantity)."""
        from materiel.scenario.distributions import quantile  # local: validating needs no scipy

        return float(quantile(self, 0.5))

    def describe(self) -> str:
        """Short human form: '12', '3–6', '1 / 2 / 4 (pert)', 'normal(10, sd 2)'."""
        if self.dist == "point":
            return _num(self.value)
        if self.dist == "uniform":
            return f"{_num(self.low)}–{_num(self.high)}"
        if self.dist in ("triangular", "pert"):
            return f"{_num(self.low)} / {_num(self.likely)} / {_num(self.high)} ({self.dist})"
        if self.dist == "normal":
            return f"normal({_num(self.mean)}, sd {_num(self.sd)})"
        return f"lognormal(median {_num(self.median)}, sigma {_num(self.sigma)})"


def _num(x: float) -> str:
    """2000000 → '2,000,000'; 0.125 → '0.125'; 1234.5 → '1,234.5'."""
    return f"{x:,.0f}" if abs(x) >= 1e4 and float(x).is_integer() else f"{x:,.6g}"


def _bounded(lower: float, upper: float, what: str):
    def check(q: Quantity) -> Quantity:
        lo, hi = q.support()
        if q.dist == "normal":  # unbounded: only its centre must lie in the domain
            lo = hi = q.mean
        if lo < lower or hi > upper:
            raise ValueError(f"expected {what}, got {q.describe()}")
        q._bounds = (lower, upper)
        return q

    return AfterValidator(check)


NonNegative = Annotated[Quantity, _bounded(0.0, math.inf, "a value >= 0")]
Fraction = Annotated[Quantity, _bounded(0.0, 1.0, "a fraction between 0 and 1")]
Days = Annotated[Quantity, _bounded(0.0, MAX_TRANSIT_DAYS, f"a number of days between 0 and {MAX_TRANSIT_DAYS:,}")]
Elasticity = Annotated[Quantity, _bounded(0.0, MAX_ELASTICITY, f"an elasticity between 0 and {MAX_ELASTICITY:g}")]


class Cited(BaseModel):
    """A dated what-if change, citing the sources it rests on or marked a hypothesis."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: SourceIds = Field(default_factory=list)
    hypothesis: bool = False
    note: str | None = None


class Window(Cited):
    """The days from `from` (inclusive) until `until` (exclusive); open-ended where absent."""

    start: dt.date | None = Field(None, alias="from")
    until: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start and self.until and self.until <= self.start:
            raise ValueError(f"until ({self.until}) must come after from ({self.start})")
        return self

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.until is None or day < self.until)


class Scaling(Window):
    """The rate times `by` on the window's days."""

    by: float = Field(ge=0.0, le=MAX_MAGNITUDE)


class Schedule(BaseModel):
    """A rate that changes over time: quantities at dates, held or interpolated between them.

    Before the first date the first value holds; after the last date the last value holds.
    Rates are per `per` (day, week, month = 365.25/12 days, or year = 365.25 days).
    """

    model_config = ConfigDict(extra="forbid")

    per: Per = "day"
    interpolation: Literal["hold", "linear"] = "hold"
    values: dict[dt.date, NonNegative] = Field(max_length=MAX_POINTS)
    scale: list[Scaling] = Field(default_factory=list, max_length=MAX_POINTS,
                                 description="Factors on the rate over dated days (what-if interventions)")
    note: str | None = None

    @field_validator("values")
    @classmethod
    def _ordered(cls, values: dict) -> dict:
        dates = list(values)
        if not dates:
            raise ValueError("a schedule needs at least one date: value")
        for earlier, later in zip(dates, dates[1:]):
            if later <= earlier:
                raise ValueError(f"dates must increase: {later} comes after {earlier}")
        return values

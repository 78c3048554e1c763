"""The scenario format: sides, their lines, suppliers and workforce, and the sources cited.

Field names here are the YAML keys. `materiel scenarios schema` prints the JSON Schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from materiel.scenario import limits
from materiel.scenario.quantity import Days, Elasticity, Fraction, NonNegative, Per, Quantity, Schedule, Window
from materiel.scenario.series import SERIES_FIELDS

Step = Literal["day", "week", "month"]
STEPLY: dict[str, str] = {"day": "daily", "week": "weekly", "month": "monthly"}  # "weekly steps", in prose


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Source(_Strict):
    """A public source that quantities cite by its id."""

    title: str
    author: str = Field(description="Author or publisher")
    date: dt.date | str = Field(description="Publication date (ISO) or a period such as '2024-02'")
    url: str | None = None
    note: str | None = None


class StorageClass(_Strict):
    """Units in storage of one condition; drawn in the order the classes are written."""

    stock: NonNegative = Field(description="Units in this class at the start")
    yield_: Fraction = Field(alias="yield", description="Fraction of units drawn that come out serviceable")


class Production(_Strict):
    """New production: capacity ramps from `base` to `base × multiplier` over `ramp_years`."""

    per: Per = Field("year", description="Time unit of `base`")
    base: NonNegative = Field(default_factory=lambda: Quantity(value=0.0),
                              description="Capacity at the start of the ramp, units per `per`")
    multiplier: NonNegative = Field(default_factory=lambda: Quantity(value=1.0))
    ramp_start: dt.date | None = Field(None, description="When the ramp begins (default: scenario start)")
    ramp_years: NonNegative = Field(default_factory=lambda: Quantity(value=0.0))
    workers_per_unit: NonNegative = Field(
        default_factory=lambda: Quantity(value=0.0),
        description="Workers needed per unit of annual capacity (0: needs no workers)")
    capacity: Schedule | None = Field(
        None, description="Dated capacity added to base × ramp (a licensed line from the day it starts, a plant "
                          "lost or added), units per the schedule's `per`")
    priority: int = Field(0, ge=0, le=limits.MAX_PRIORITY, description="Lower numbers get scarce workers first")


class Observation(_Strict):
    """An observed series of the line's losses: reported = lost × bias × noise, per period."""

    series: Literal["general_staff", "oryx"] = Field(description="Ukraine's General Staff counts or Oryx's list")
    field: str = Field(description="The series' column, e.g. `tank` (see `materiel.observe`)")
    bias: NonNegative = Field(description="Reported over true losses (a claim's inflation, a list's undercount)")
    noise: NonNegative = Field(description="Spread of log(reported / expected) in a ~30-day period")
    note: str | None = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, field: str, info: ValidationInfo) -> str:
        series = info.data.get("series")
        known = SERIES_FIELDS.get(series, ())
        if series is not None and field not in known:
            raise ValueError(f"unknown field {field!r} of series {series!r}; expected one of: {', '.join(known)}")
        return field


class Repair(_Strict):
    """Battle damage repaired: a fraction of what the front loses returns to it after a delay."""

    fraction: Fraction = Field(description="Share of losses that come back repaired")
    delay_days: Days = Field(description="Days from loss to return")
    note: str | None = None


class Coupling(_Strict):
    """The line's demand follows the opposing side's fire: it is multiplied by (fired ÷ planned)^elasticity
    of the named line in the previous step (planned: that line's demand; 1 when it fires all it plans)."""

    side: str = Field(description="The opposing side")
    line: str = Field(description="Its line whose fire drives this line's losses (an ammunition line)")
    elasticity: Elasticity = Field(description="Percent change of this line's losses per percent of fire")
    note: str | None = None


class Line(_Strict):
    """One materiel category a side fields: its stocks, production, refurbishment and demand."""

    unit: str = "units"
    note: str | None = None
    front: NonNegative = Field(default_factory=lambda: Quantity(value=0.0),
                               description="Units in the field at the start")
    transit_days: Days = Field(default_factory=lambda: Quantity(value=0.0),
                               description="Days from factory or depot to the front")
    storage: dict[str, StorageClass] = Field(default_factory=dict, max_length=limits.MAX_CLASSES)
    refurbish: Schedule | None = Field(None, description="Most units drawn from storage per time unit")
    production: Production | None = None
    demand: Schedule | None = Field(None, description="Losses or consumption the front incurs per time unit "
                                                      "(without it, `attrition` sets the losses)")
    attrition: Schedule | None = Field(
        None, description="The share of what the front holds that it loses, as a fraction per time unit: with "
                          "`demand`, losses are the demand capped by this share; without, losses are this share")
    repair: Repair | None = None
    coupling: Coupling | None = None
    observed: list[Observation] = Field(default_factory=list,
                                        description="Observed series of this line's losses, for calibration")

    @model_validator(mode="after")
    def _losses_given(self) -> Line:
        if self.demand is None and self.attrition is None:
            raise ValueError("a line needs `demand` (losses or consumption per time unit) or `attrition` "
                             "(the share of the field lost per time unit), or both")
        return self

    @property
    def rated(self) -> bool:
        """Whether the line's losses are a share of what it fields (`attrition` without `demand`)."""
        return self.demand is None


class Delivery(_Strict):
    """A quantity delivered evenly over the days from `start` up to (not including) `end`."""

    id: str | None = Field(None, description="Keys this delivery's random draws (default: its dates)")
    start: dt.date
    end: dt.date
    quantity: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> Delivery:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must come after start ({self.start})")
        return self


class Supplier(_Strict):
    """An outside supplier (an ally) delivering to one of the side's lines."""

    line: str = Field(description="The receiving line of this side")
    transit_days: Days = Field(default_factory=lambda: Quantity(value=0.0))
    deliveries: list[Delivery] = Field(max_length=limits.MAX_POINTS)
    active: Window | None = Field(None, description="Deliveries are made only on these days (what-if: a supplier "
                                                    "stops or starts)")
    note: str | None = None


class Workforce(_Strict):
    """The side's defense-industry workers: they grow toward what production needs."""

    initial: NonNegative
    pool: NonNegative = Field(description="Most workers the industry can employ")
    hiring: NonNegative = Field(description="Most net hires per year")
    note: str | None = None


class Side(_Strict):
    """A party to the war: its lines, its suppliers and its workforce."""

    note: str | None = None
    workforce: Workforce | None = None
    lines: dict[str, Line] = Field(min_length=1, max_length=limits.MAX_LINES)
    suppliers: dict[str, Supplier] = Field(default_factory=dict, max_length=limits.MAX_SUPPLIERS)


class Scenario(_Strict):
    """A whole scenario: time frame, sides and the sources its numbers cite."""

    name: str
    title: str = ""
    description: str = ""
    start: dt.date
    horizon: dt.date
    step: Step = "week"
    knowledge_horizon: dt.date | None = Field(
        None, description="Last date the sources describe: what the scenario says after it is judgement")
    draft: bool = Field(False, description="Allow quantities without a source (a draft; reports say so)")
    what_if: list[str] = Field(default_factory=list, description="The interventions that made this variant")
    variants: dict[str, list[dict]] = Field(
        default_factory=dict, max_length=limits.MAX_SOURCES,
        description="Named what-if variants, each a list of interventions (docs/whatif.md); run one as FILE@NAME")
    sources: dict[str, Source] = Field(default_factory=dict, max_length=limits.MAX_SOURCES)
    sides: dict[str, Side] = Field(min_length=1)

    @field_validator("start", "horizon", "knowledge_horizon")
    @classmethod
    def _in_range(cls, day: dt.date | None) -> dt.date | None:
        if day is not None and not limits.EARLIEST <= day <= limits.LATEST:
            raise ValueError(f"expected a date from {limits.EARLIEST} to {limits.LATEST}, got {day}")
        return day

    def couplings(self) -> list[tuple[str, str, Coupling]]:
        """Every (side, line, coupling) of a line whose demand follows another side's fire."""
        return [(s, l, line.coupling) for s, side in self.sides.items() for l, line in side.lines.items() if line.coupling]

    def line_keys(self) -> list[tuple[str, str]]:
        """Every (side, line) pair in document order."""
        return [(s, l) for s, side in self.sides.items() for l in side.lines]

    def __repr__(self) -> str:
        sides = "; ".join(f"{s}: {', '.join(side.lines)}" for s, side in self.sides.items())
        return (f"<Scenario {self.name}: {self.start} → {self.horizon}, {STEPLY[self.step]}; {sides}; "
                f"{sum(1 for _ in iter_quantities(self))} quantities, {len(self.sources)} sources>")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        """For notebooks: the time frame, then each side's lines with their units."""
        from html import escape

        rows = "".join(f"<tr><td>{escape(s)}</td><td>{escape(l)}</td><td>{escape(line.unit)}</td></tr>"
                       for s, side in self.sides.items() for l, line in side.lines.items())
        return (f"<p><b>{escape(self.title or self.name)}</b> ({escape(self.name)}): {self.start} → {self.horizon}, "
                f"{STEPLY[self.step]} steps, {len(self.sources)} sources</p>"
                f"<table><tr><th>side</th><th>line</th><th>unit</th></tr>{rows}</table>")


def iter_what_ifs(scenario: Scenario):
    """Yield (path, change) for every dated what-if change: schedules' `scale` items and suppliers' `active`."""
    for s, side in scenario.sides.items():
        for name, line in side.lines.items():
            for field in ("demand", "attrition", "refurbish"):
                schedule = getattr(line, field)
                for k, scaling in enumerate(schedule.scale if schedule else ()):
                    yield f"sides.{s}.lines.{name}.{field}.scale.{k}", scaling
        for name, supplier in side.suppliers.items():
            if supplier.active is not None:
                yield f"sides.{s}.suppliers.{name}.active", supplier.active


def iter_quantities(model: BaseModel, prefix: str = ""):
    """Yield (path, quantity) for every quantity written in a model, paths as in the YAML document.

    Defaults the document leaves out are skipped: they are not claims that need a source.
    """
    for name, field in type(model).model_fields.items():
        if name not in model.model_fields_set:
            continue
        key = field.alias or name
        yield from _walk(getattr(model, name), f"{prefix}{key}")


def _walk(value, path: str):
    if isinstance(value, Quantity):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from iter_quantities(value, path + ".")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k.isoformat() if isinstance(k, dt.date) else k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}.{i}")

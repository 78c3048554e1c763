"""The time grid of a run and the weights that turn schedules into amounts per step.

Step k covers the days [edges[k], edges[k+1]); steps are whole, so the last one ends on or
after the horizon (by less than a step): a short last step would distort rates per day. A schedule's amount in a step is the sum over its days of the daily
rate, and that sum is linear in the schedule's values: amount[t] = Σ_k W[t, k] · value[k].
The weights W are computed once per scenario; only the values are drawn per run.
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np

from materiel.scenario.quantity import DAYS_PER
from materiel.scenario.quantity import Window
from materiel.scenario.schema import Delivery, Schedule, Step


def step_edges(start: dt.date, horizon: dt.date, step: Step) -> list[dt.date]:
    """Dates at which steps begin, plus the end of the last step (the first edge past the horizon)."""
    edges = [start]
    while edges[-1] <= horizon:
        edges.append(_advance(start, step, len(edges)))
    return edges


def _advance(start: dt.date, step: Step, k: int) -> dt.date:
    if step == "day":
        return start + dt.timedelta(days=k)
    if step == "week":
        return start + dt.timedelta(weeks=k)
    months = start.month - 1 + k
    year, month = start.year + months // 12, months % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def day_offsets(edges: list[dt.date]) -> np.ndarray:
    """Edges as whole days since the first edge."""
    return np.array([(e - edges[0]).days for e in edges], dtype=np.int64)


def schedule_weights(schedule: Schedule, edges: list[dt.date]) -> np.ndarray:
    """W [steps, values] with amount per step = W @ values (values as rates per `per`)."""
    days = np.arange((edges[-1] - edges[0]).days)
    points = np.array([(d - edges[0]).days for d in schedule.values], dtype=np.float64)
    basis = np.zeros((len(days), len(points)))
    if schedule.interpolation == "hold" or len(points) == 1:
        which = np.clip(np.searchsorted(points, days, side="right") - 1, 0, len(points) - 1)
        basis[days, which] = 1.0
    else:
        right = np.clip(np.searchsorted(points, days, side="right"), 1, len(points) - 1)
        left = right - 1
        frac = np.clip((days - points[left]) / (points[right] - points[left]), 0.0, 1.0)
        basis[days, left] += 1.0 - frac
        basis[days, right] += frac
    if schedule.scale:
        basis *= _day_factors(schedule, edges[0], len(days))[:, None]
    per_step = np.add.reduceat(basis, day_offsets(edges)[:-1], axis=0)
    return per_step / DAYS_PER[schedule.per]


def _day_factors(schedule: Schedule, first: dt.date, days: int) -> np.ndarray:
    """The product of the schedule's scalings on each day from `first` [days]."""
    factor = np.ones(days)
    for s in schedule.scale:
        a = 0 if s.start is None else max((s.start - first).days, 0)
        b = days if s.until is None else min(max((s.until - first).days, 0), days)
        factor[a:b] *= s.by
    return factor


def delivery_weights(deliveries: list[Delivery], edges: list[dt.date], active: Window | None = None) -> np.ndarray:
    """W [steps, deliveries]: the share of each delivery's quantity that falls in each step (only the
    days within `active` deliver: a supplier stopping mid-window delivers that window's share pro rata)."""
    offsets = day_offsets(edges)
    lo = -np.inf if active is None or active.start is None else (active.start - edges[0]).days
    hi = np.inf if active is None or active.until is None else (active.until - edges[0]).days
    weights = np.zeros((len(offsets) - 1, len(deliveries)))
    for j, d in enumerate(deliveries):
        a, b = (d.start - edges[0]).days, (d.end - edges[0]).days
        overlap = np.clip(np.minimum(np.minimum(offsets[1:], b), hi) - np.maximum(np.maximum(offsets[:-1], a), lo), 0, None)
        weights[:, j] = overlap / (b - a)
    return weights

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
    per_step = np.add.reduceat(basis, day_offsets(edges)[:-1], axis=0)
    return per_step / DAYS_PER[schedule.per]


def delivery_weights(deliveries: list[Delivery], edges: list[dt.date]) -> np.ndarray:
    """W [steps, deliveries]: the share of each delivery's quantity that falls in each step."""
    offsets = day_offsets(edges)
    weights = np.zeros((len(offsets) - 1, len(deliveries)))
    for j, d in enumerate(deliveries):
        a, b = (d.start - edges[0]).days, (d.end - edges[0]).days
        overlap = np.clip(np.minimum(offsets[1:], b) - np.maximum(offsets[:-1], a), 0, None)
        weights[:, j] = overlap / (b - a)
    return weights


def ramp_fraction(edges_days: np.ndarray, ramp_start: float, ramp_days: np.ndarray) -> np.ndarray:
    """Mean over each step of clip((day − ramp_start) / ramp_days, 0, 1), per run: [runs, steps].

    Exact for a linear ramp: the integral of the clipped line, differenced at the step edges.
    """
    x = edges_days[None, :].astype(np.float64) - ramp_start
    r = np.maximum(np.asarray(ramp_days, dtype=np.float64)[:, None], 1e-9)
    integral = np.where(x <= 0, 0.0, np.where(x <= r, x * x / (2 * r), x - r / 2))
    return np.diff(integral, axis=1) / np.diff(edges_days)[None, :]

"""What the report draws, read from an Ensemble: per-step series per run and their quantiles.

Flows are shown per day (a step's total ÷ its days); stocks as at the end of each step.
Per-step quantiles come from `analysis.outcomes.step_quantiles`. Per-step series come from
the kept runs; run-out dates come from every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from materiel.analysis.outcomes import QUANTILES, Ensemble, step_quantiles
from materiel.engine.variables import FLOWS

#: Flows that are amounts per step (shown per day); `coverage` is a fraction.
AMOUNTS = tuple(f for f in FLOWS if f != "coverage")


def per_run(ens: Ensemble, name: str, line: int) -> np.ndarray:
    """One line's series per kept run [kept, T]: a variable, or `supply` (`Ensemble.kept_series`)."""
    values = ens.kept_series(name)[:, :, line]
    if name == "supply" or name in AMOUNTS:
        return values / ens.layout.step_days
    return values.astype(np.float64)


def band(ens: Ensemble, name: str, line: int, quantiles=QUANTILES) -> np.ndarray:
    """P10/P50/P90 (by default) per step of one line's series [Q, T]."""
    return step_quantiles(per_run(ens, name, line), quantiles)


@dataclass(frozen=True)
class Pair:
    """A category both sides field, e.g. shells: line indices of side `a` and side `b`."""

    category: str
    a: str
    b: str
    i: int
    j: int


def shared_lines(ens: Ensemble) -> list[Pair]:
    """Every category fielded by two sides, for each pair of sides in scenario order."""
    lines = ens.layout.lines
    return [Pair(la, sa, sb, i, j)
            for i, (sa, la) in enumerate(lines) for j, (sb, lb) in enumerate(lines)
            if la == lb and ens.layout.sides.index(sa) < ens.layout.sides.index(sb)]


def step_ratio(ens: Ensemble, pair: Pair) -> np.ndarray:
    """Per run and step [kept, T]: what side a lost (or fired) over what side b did; NaN where b lost none."""
    a, b = per_run(ens, "lost", pair.i), per_run(ens, "lost", pair.j)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def total_ratio(ens: Ensemble, pair: Pair, quantiles=QUANTILES) -> np.ndarray:
    """Quantiles across kept runs of a's total lost over b's, for the whole horizon [Q]."""
    lost = ens.trajectories["lost"]
    a, b = lost[:, :, pair.i].sum(axis=1, dtype=np.float64), lost[:, :, pair.j].sum(axis=1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return step_quantiles(np.where(b > 0, a / np.where(b > 0, b, 1), np.nan), quantiles)


@dataclass(frozen=True)
class RunoutHistogram:
    """Share of all runs whose storage runs out in each month, and the share that lasts past the horizon."""

    months: pd.DatetimeIndex
    shares: np.ndarray
    lasts: float


def runout_histogram(ens: Ensemble, side: str, line: str) -> RunoutHistogram:
    """Run-out dates of every run, counted by calendar month."""
    dates = ens.depletion(side, line).dates
    out = dates.dropna()
    counts = out.dt.to_period("M").value_counts().sort_index()
    if counts.empty:
        months = pd.DatetimeIndex([], name="month")
    else:
        months = pd.period_range(counts.index.min(), counts.index.max(), freq="M").to_timestamp()
        counts = counts.reindex(months.to_period("M"), fill_value=0)
    return RunoutHistogram(months, counts.to_numpy(dtype=float) / len(dates), 1 - len(out) / len(dates))

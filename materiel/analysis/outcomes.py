"""Ensemble outcomes: per-run scalars for every run (`engine.scalars`), trajectories for all runs or a sample."""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from materiel.engine.layout import Layout
from materiel.engine.variables import SKETCHED, SUPPLY_FLOWS, VARIABLES
from materiel.engine.scalars import NEVER, RunScalars
from materiel.scenario.schema import STEPLY

QUANTILES = (0.1, 0.5, 0.9)


@dataclass
class Runout:
    """When a line's storage runs out across the ensemble."""

    dates: pd.Series          # per run; NaT where storage lasts past the horizon
    probability: float | None  # share of runs that run out by the horizon; None: no storage
    quantiles: dict[float, dt.date | None] = field(default_factory=dict)


@dataclass
class Race:
    """The race between two sides' fires (lines that couplings read): `first` fired ÷ `second` fired."""

    first: str                 # side/line
    second: str
    ahead: float               # share of runs in which `first` out-fires `second` in the first step
    probability: float         # share of runs in which the ratio crosses 1 by the horizon
    quantiles: dict[float, dt.date | None]  # of the crossing date (None: after the horizon)
    ratio: np.ndarray          # [Q, T] quantiles of the ratio per step over the kept runs (NaN: no fire)


@dataclass(repr=False)
class Ensemble:
    """The result of `materiel.simulate`: per-run outcomes for every run, trajectories for `kept` runs."""

    layout: Layout
    seed: int
    runs: int
    scalars: RunScalars
    trajectories: dict[str, np.ndarray]   # var → [kept, T, L] float32
    workforce: np.ndarray                 # [kept, T, S] float32
    bands: np.ndarray | None = None       # [len(SKETCHED), T, L, BINS] per-step histograms of every run

    def __repr__(self) -> str:
        sc = self.layout.scenario
        return (f"<Ensemble {sc.name}: {self.runs:,} runs ({self.kept:,} with trajectories), seed {self.seed}, "
                f"{self.layout.steps} {STEPLY[sc.step]} steps {sc.start} → {sc.horizon}, {len(self.layout.lines)} lines>")

    def _repr_html_(self) -> str:
        """For notebooks: what was run, then the summary table."""
        from html import escape

        return f"<p>{escape(repr(self))}</p>" + self.summary().to_html(index=False, na_rep="—")

    @property
    def kept(self) -> int:
        """Number of runs (the first ones, a random sample) whose trajectories are kept."""
        return self.workforce.shape[0]

    @property
    def times(self) -> pd.DatetimeIndex:
        """Start date of each step."""
        return pd.DatetimeIndex(self.layout.edges[:-1], name="time")

    def step_end(self, steps: np.ndarray) -> np.ndarray:
        """Last day (inclusive) of each given step, as datetime64[D]; the last step's is the horizon
        (steps are whole, so the grid's last edge may lie a few days past it)."""
        ends = np.array(self.layout.edges[1:], dtype="datetime64[D]") - np.timedelta64(1, "D")
        return np.minimum(ends[steps], np.datetime64(self.layout.scenario.horizon, "D"))

    def line_index(self, side: str, line: str) -> int:
        """Position of `side`/`line` in the layout's lines (KeyError naming the lines if absent)."""
        try:
            return self.layout.lines.index((side, line))
        except ValueError:
            raise KeyError(f"no line {side}/{line}; lines: {', '.join(self.layout.line_labels())}") from None

    def depletion(self, side: str, line: str, quantiles=QUANTILES) -> Runout:
        """When `side`'s storage of `line` runs out: per-run dates (NaT: not by the horizon), the
        probability it runs out by the horizon, and date quantiles (None: after the horizon). A line
        with no storage has probability and quantiles None."""
        i = self.line_index(side, line)
        steps = self.scalars.runout[:, i]
        ran = steps != NEVER
        dates = pd.Series(pd.NaT, index=pd.RangeIndex(self.runs, name="run"), dtype="datetime64[s]")
        if self.scalars.has_storage[i]:
            dates[ran] = self.step_end(steps[ran])
        return Runout(dates, self._runout_probability(i), self._runout_quantiles(i, quantiles))

    def _runout_probability(self, i: int) -> float | None:
        """Share of runs whose storage of line i runs out by the horizon; None if it has no storage."""
        return float((self.scalars.runout[:, i] != NEVER).mean()) if self.scalars.has_storage[i] else None

    def _runout_quantiles(self, i: int, quantiles) -> dict[float, dt.date | None]:
        """Quantiles of line i's run-out dates (see `date_quantiles`); all None if it has no storage."""
        if not self.scalars.has_storage[i]:
            return {q: None for q in quantiles}
        return self.date_quantiles(self.scalars.runout[:, i], quantiles)

    def races(self, quantiles=QUANTILES) -> list[Race]:
        """Each race between the sides' fires (`Layout.races`): who fires more at first, when the ratio
        of their fires first crosses 1 and with what probability, and the ratio over time."""
        labels, fired, found = self.layout.line_labels(), self.trajectories["lost"], []
        for k, (a, b) in enumerate(self.layout.races):
            crossed = self.scalars.crossed[:, k]
            with np.errstate(divide="ignore", invalid="ignore"):  # in float64: a float32 quotient can overflow
                ratio = np.where(fired[:, :, b] > 0, fired[:, :, a].astype(np.float64) / fired[:, :, b], np.nan)
            found.append(Race(labels[a], labels[b],
                              ahead=float((fired[:, 0, a] >= fired[:, 0, b]).mean()) if self.kept else float("nan"),
                              probability=float((crossed != NEVER).mean()),
                              quantiles=self.date_quantiles(crossed, quantiles),
                              ratio=step_quantiles(ratio, quantiles) if self.kept
                              else np.full((len(quantiles), self.layout.steps), np.nan)))
        return found

    def date_quantiles(self, steps: np.ndarray, quantiles=QUANTILES) -> dict[float, dt.date | None]:
        """Quantiles of per-run event steps as dates (each step's last day), runs in which the event
        never happens (NEVER) ranked after every step: a quantile among them is None, after the horizon."""
        after = len(self.layout.edges) - 1          # one past the last step: "after the horizon"
        ordered = np.where(steps == NEVER, after, steps.astype(np.int32))
        ks = np.quantile(ordered, quantiles, method="inverted_cdf").astype(np.int64)
        return {q: None if k >= after else self.step_end(np.array([k]))[0].astype(dt.date)
                for q, k in zip(quantiles, ks)}

    def summary(self, quantiles=QUANTILES) -> pd.DataFrame:
        """One row per side and line: run-out dates, cumulative shortfall and supply/demand quantiles."""
        rows = []
        for i, (side, line) in enumerate(self.layout.lines):  # per-run dates are not needed: less memory
            row = {"side": side, "line": line}
            for q, date in self._runout_quantiles(i, quantiles).items():
                row[f"runout_p{round(q * 100)}"] = date
            row["runout_probability"] = self._runout_probability(i)
            for name, per_run in (("shortfall", self.scalars.shortfall), ("supply_demand_ratio", self.scalars.ratio)):
                values = per_run[:, i]
                finite = values[np.isfinite(values)].astype(np.float64)
                at = np.quantile(finite, quantiles) if finite.size else [None] * len(quantiles)
                for q, value in zip(quantiles, at):
                    row[f"{name}_p{round(q * 100)}"] = None if value is None else float(value)
            rows.append(row)
        return pd.DataFrame(rows)

    def step_quantiles(self, name: str, quantiles=QUANTILES) -> np.ndarray:
        """Quantiles across runs of a series per step and line [Q, T, L]: `SKETCHED` ones (supply: see
        `kept_series`) from every run's histograms when simulated with bands=True
        (to engine/histogram.py's error bound), else exactly from the kept runs."""
        if self.bands is not None and name in SKETCHED:
            from materiel.engine import histogram

            return histogram.quantiles(self.bands[SKETCHED.index(name)], quantiles)
        return step_quantiles(self.kept_series(name), quantiles)

    def kept_series(self, name: str) -> np.ndarray:
        """A variable, or `supply` (the sum of `SUPPLY_FLOWS`), for every kept run [kept, T, L]."""
        if name == "supply":
            return sum(self.trajectories[f] for f in SUPPLY_FLOWS)
        return self.trajectories[name]

    def dataset(self):
        """Trajectories of the kept runs as an xarray Dataset with dimensions run, time, line (and side)."""
        import xarray as xr

        labels = self.layout.line_labels()
        coords = {"run": np.arange(self.kept), "time": self.times, "line": labels,
                  "side": self.layout.sides}
        data = {v: (("run", "time", "line"), self.trajectories[v]) for v in VARIABLES}
        data["workforce"] = (("run", "time", "side"), self.workforce)
        ds = xr.Dataset(data, coords=coords)
        ds = ds.assign_coords(line_side=("line", [s for s, _ in self.layout.lines]))
        ds.attrs.update(seed=self.seed, runs=self.runs, kept_runs=self.kept, scenario=self.layout.scenario.name)
        return ds


def step_quantiles(values: np.ndarray, quantiles=QUANTILES) -> np.ndarray:
    """Quantiles across runs (axis 0) of per-run values [runs, T, …] → [Q, T, …]; NaN is ignored."""
    values = np.asarray(values)
    if not np.isnan(values).any():
        return _linear_quantiles(values, np.asarray(quantiles, dtype=np.float64))
    values = values.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # steps where every run is NaN stay NaN
        return np.nanquantile(values, quantiles, axis=0)


def _linear_quantiles(values: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """np.quantile(values, qs, axis=0) to the bit, several times sooner: each cell's runs laid out
    contiguously and sorted (in the values' own dtype, whose order float64 keeps; numpy's
    vectorised sort beats a partition at the six ranks three quantiles need), then numpy's linear
    interpolation."""
    n = values.shape[0]
    cells = np.ascontiguousarray(np.moveaxis(values, 0, -1))
    virtual = (n - 1) * qs
    lo = np.floor(virtual).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    ordered = np.sort(cells, axis=-1)
    out = []
    for a, b, g in zip(lo, hi, virtual - np.floor(virtual)):
        low, high = ordered[..., a].astype(np.float64), ordered[..., b].astype(np.float64)
        diff = high - low
        out.append(high - diff * (1 - g) if g >= 0.5 else low + diff * g)
    return np.array(out)

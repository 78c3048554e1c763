"""Ensemble outcomes: per-run scalars for every run, trajectories for all runs or a sample.

Per line and run: the step at which storage runs out (less than one drawable unit left), the
first step with a shortfall of at least one unit, cumulative shortfall, and the supply/demand
ratio (produced + refurbished + imported over demand, for the whole horizon).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from materiel.engine.inputs import Layout
from materiel.engine.runner import VARIABLES, Block

NEVER = -1
QUANTILES = (0.1, 0.5, 0.9)


@dataclass
class RunScalars:
    """Per-run outcomes [runs, lines]; step indices are NEVER (-1) where it did not happen."""

    runout: np.ndarray
    first_shortfall: np.ndarray
    shortfall: np.ndarray
    supplied: np.ndarray
    demanded: np.ndarray
    has_storage: np.ndarray  # [lines] any run starts with drawable storage

    @classmethod
    def of(cls, block: Block) -> RunScalars:
        """Reduce one block's trajectories to per-run outcomes."""
        lines, drawable_start = block.lines, block.start["drawable"]
        inert = block.start["storage"] - drawable_start
        drawable = lines["storage"] - inert[:, None, :]
        ran_out = (drawable < 1.0) & (drawable_start[:, None, :] >= 1.0)
        short = lines["shortfall"] >= 1.0
        return cls(
            runout=_first(ran_out),
            first_shortfall=_first(short),
            shortfall=lines["shortfall"].sum(axis=1),
            supplied=(lines["produced"] + lines["refurbished"] + lines["imported"]).sum(axis=1),
            demanded=lines["demand"].sum(axis=1),
            has_storage=(drawable_start >= 1.0).any(axis=0),
        )

    @classmethod
    def concat(cls, parts: list[RunScalars]) -> RunScalars:
        joined = {f: np.concatenate([getattr(p, f) for p in parts]) for f in
                  ("runout", "first_shortfall", "shortfall", "supplied", "demanded")}
        return cls(**joined, has_storage=np.any([p.has_storage for p in parts], axis=0))

    @property
    def ratio(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.demanded > 0, self.supplied / np.where(self.demanded > 0, self.demanded, 1), np.nan)


def _first(flags: np.ndarray) -> np.ndarray:
    """Index of the first True along the step axis [R, T, L] → [R, L], NEVER if none."""
    hit = flags.any(axis=1)
    return np.where(hit, flags.argmax(axis=1), NEVER)


@dataclass
class Runout:
    """When a line's storage runs out across the ensemble."""

    dates: pd.Series          # per run; NaT where storage lasts past the horizon
    probability: float        # share of runs that run out by the horizon
    quantiles: dict[float, dt.date | None] = field(default_factory=dict)


@dataclass
class Ensemble:
    """The result of `materiel.simulate`: per-run outcomes for every run, trajectories for `kept` runs."""

    layout: Layout
    seed: int
    runs: int
    scalars: RunScalars
    trajectories: dict[str, np.ndarray]   # var → [kept, T, L] float32
    workforce: np.ndarray                 # [kept, T, S] float32

    @property
    def kept(self) -> int:
        """Number of runs (the first ones, a random sample) whose trajectories are kept."""
        return self.workforce.shape[0]

    @property
    def times(self) -> pd.DatetimeIndex:
        """Start date of each step."""
        return pd.DatetimeIndex(self.layout.edges[:-1], name="time")

    def step_end(self, steps: np.ndarray) -> np.ndarray:
        """Last day (inclusive) of each given step, as datetime64[D]."""
        ends = np.array(self.layout.edges[1:], dtype="datetime64[D]") - np.timedelta64(1, "D")
        return ends[steps]

    def line_index(self, side: str, line: str) -> int:
        try:
            return self.layout.lines.index((side, line))
        except ValueError:
            raise KeyError(f"no line {side}/{line}; lines: {', '.join(self.layout.line_labels())}") from None

    def depletion(self, side: str, line: str, quantiles=QUANTILES) -> Runout:
        """When `side`'s storage of `line` runs out: per-run dates, probability, quantiles."""
        i = self.line_index(side, line)
        steps = self.scalars.runout[:, i]
        ran = steps != NEVER
        dates = pd.Series(pd.NaT, index=pd.RangeIndex(self.runs, name="run"), dtype="datetime64[s]")
        dates[ran] = self.step_end(steps[ran])
        probability = float(ran.mean()) if self.scalars.has_storage[i] else 0.0
        return Runout(dates, probability, {q: self._step_quantile(steps, q) for q in quantiles})

    def _step_quantile(self, steps: np.ndarray, q: float) -> dt.date | None:
        ordered = np.where(steps == NEVER, np.iinfo(np.int64).max, steps)
        k = int(np.quantile(ordered, q, method="inverted_cdf"))
        return None if k == np.iinfo(np.int64).max else self.step_end(np.array([k]))[0].astype(dt.date)

    def summary(self, quantiles=QUANTILES) -> pd.DataFrame:
        """One row per side and line: run-out dates, cumulative shortfall and supply/demand quantiles."""
        rows = []
        for i, (side, line) in enumerate(self.layout.lines):
            runout = self.depletion(side, line, quantiles)
            row = {"side": side, "line": line}
            for q in quantiles:
                row[f"runout_p{round(q * 100)}"] = runout.quantiles[q]
            row["runout_probability"] = runout.probability if self.scalars.has_storage[i] else None
            for name, values in (("shortfall", self.scalars.shortfall[:, i]), ("supply_demand_ratio", self.scalars.ratio[:, i])):
                finite = values[np.isfinite(values)]
                for q in quantiles:
                    row[f"{name}_p{round(q * 100)}"] = float(np.quantile(finite, q)) if finite.size else None
            rows.append(row)
        return pd.DataFrame(rows)

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

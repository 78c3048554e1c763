"""What the dashboard computes, without any web code: the base ensemble, run once and kept; on each
lever move, the variant (the levers' interventions made, the same seed and runs: common random
numbers) and its paired per-run difference from the base; the series the charts draw.

The scenario document is read once; a move makes the interventions on it and validates the result
(no YAML written or read per move). Fan charts and the fire ratio come from the first `keep` runs'
trajectories; run-out dates, paired differences and headline numbers from every run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from materiel.analysis.comparison import PerRun, paired_outcomes, per_run
from materiel.analysis.outcomes import Ensemble, Race
from materiel.dashboard import levers as lv
from materiel.engine.scalars import NEVER
from materiel.report import series
from materiel.scenario import interventions as what_if
from materiel.scenario.loading import LoadedScenario, document, validate
from materiel.scenario.schema import Scenario
from materiel.simulation import simulate

RUNS = 2_000       # runs of each ensemble, by default
KEEP = 150         # runs whose trajectories give the fan charts and the fire ratio (27 MiB: glibc reuses it)
BANDS = ("front", "storage", "supply", "demand")
RUNOUT_BIN_DAYS = 30.4375  # run-out dates counted by month
CACHED_BASES = 4   # (runs, seed) of the base kept ready, most recent first


@dataclass
class Run:
    """One ensemble with what the views read of it."""

    scenario: Scenario
    ensemble: Ensemble
    per_run: PerRun
    races: list[Race] = field(default_factory=list)


@dataclass
class Move:
    """The result of one lever setting: the variant against the base, and how long each part took (s)."""

    base: Run
    variant: Run
    interventions: list[what_if.Intervention]
    paired: pd.DataFrame
    seconds: dict[str, float]


class Explorer:
    """A scenario's base ensemble, ready, and its variants on demand (one per lever setting)."""

    def __init__(self, loaded: LoadedScenario, runs: int = RUNS, seed: int = 0, keep: int = KEEP):
        self.loaded = loaded
        self.levers = lv.levers(loaded.scenario)
        self.keep = keep
        self._document = document(loaded)
        self._bases: dict[tuple[int, int], Run] = {}
        self.runs, self.seed = lv.check_runs(runs, loaded.scenario), lv.check_seed(seed)
        self.base(self.runs, self.seed)  # compiles the engine, if it is not cached, before anyone asks

    def base(self, runs: int, seed: int) -> Run:
        """The base ensemble of `runs` runs and `seed` (run once, then kept)."""
        key = (runs, seed)
        if key not in self._bases:
            self._bases[key] = self._run(self.loaded.scenario, runs, seed)
            while len(self._bases) > CACHED_BASES:
                del self._bases[next(iter(self._bases))]
        self._bases[key] = self._bases.pop(key)  # most recent last
        return self._bases[key]

    def variant(self, interventions: list[what_if.Intervention]) -> Scenario:
        """The scenario with `interventions` made, validated (InputError naming each problem)."""
        if not interventions:
            return self.loaded.scenario
        data = what_if.apply(self._document, interventions, self.loaded.origin)
        data["name"] = f"{data.get('name')}+dashboard"
        return validate(data, "", self.loaded.origin, {}).scenario

    def move(self, values: dict[str, object], runs: int | None = None, seed: int | None = None) -> Move:
        """Run the variant that lever `values` (key → value) stand for against the base, paired run by run."""
        sc = self.loaded.scenario
        runs = lv.check_runs(self.runs if runs is None else runs, sc)
        seed = lv.check_seed(self.seed if seed is None else seed)
        t0 = time.perf_counter()
        ivs = lv.interventions(sc, self.levers, values)
        variant_sc = self.variant(ivs)
        t1 = time.perf_counter()
        base = self.base(runs, seed)
        variant = base if not ivs else self._run(variant_sc, runs, seed)
        t2 = time.perf_counter()
        rows = paired_outcomes(base.per_run, variant.per_run)
        t3 = time.perf_counter()
        return Move(base, variant, ivs, rows, {"apply": t1 - t0, "simulate": t2 - t1, "paired": t3 - t2})

    def _run(self, sc: Scenario, runs: int, seed: int) -> Run:
        ens = simulate(sc, runs=runs, seed=seed, keep=min(self.keep, runs))
        return Run(sc, ens, per_run(ens), ens.races())


def bands(run: Run, line: int) -> dict[str, np.ndarray]:
    """Per series of `BANDS`: P10/P50/P90 per step [3, T] of one line over the kept runs (flows per day)."""
    return {name: series.band(run.ensemble, name, line) for name in BANDS}


def runout_shares(run: Run, line: int, edges: np.ndarray) -> tuple[np.ndarray, float]:
    """Share of all runs whose storage of `line` runs out in each bin of day `edges` (from the start),
    and the share that lasts past the horizon."""
    days = run.per_run.get((*run.ensemble.layout.lines[line], "runout_days"))
    if days is None:
        return np.zeros(len(edges) - 1), 1.0
    lasts = run.ensemble.scalars.runout[:, line] == NEVER
    counts, _ = np.histogram(days[~lasts], edges)
    return counts / len(days), float(lasts.mean())


def runout_edges(sc: Scenario) -> np.ndarray:
    """Month-long bins of days from the start to the horizon."""
    days = (sc.horizon - sc.start).days
    return np.arange(0.0, days + RUNOUT_BIN_DAYS, RUNOUT_BIN_DAYS)


def differences(move: Move, line: int) -> tuple[str, np.ndarray]:
    """One line's per-run difference variant − base: of its run-out day if the variant moves it in
    some run, else of its cumulative shortfall: (outcome, values)."""
    side, name = move.base.ensemble.layout.lines[line]
    found = [(outcome, move.variant.per_run[key] - move.base.per_run[key]) for outcome in ("runout_days", "shortfall")
             if (key := (side, name, outcome)) in move.base.per_run]
    return next(((o, d) for o, d in found if np.nanmax(np.abs(d), initial=0) > 0), found[-1])

"""Sequential Monte Carlo calibration, for lines whose importance weights collapse.

Importance weighting keeps the seed's runs and only weighs them; with many periods a handful of
runs take nearly all the weight, and tempering (`calibration.temper`) then settles for a
broadened posterior. Here the runs are particles instead, moved toward the full posterior
(λ = 1) by adaptive tempering with resample-move steps:

1. Each stage raises a line's temperature λ to the largest value ≤ 1 whose incremental weights
   exp((λ' − λ) × log-likelihood) keep an ESS of `STAGE_ESS` × the runs (the schedule is the
   data's, stated in the output).
2. The line's particles are resampled by those weights (systematic resampling).
3. `MOVES` random-walk Metropolis steps rejuvenate them: every quantity the line owns (its
   `sides.S.lines.L.…` paths and its series' bias and noise) is moved on the probit scale of
   its uniform, where the prior is a standard normal, by `2.38 / √d` times that column's spread
   among the particles; a move is kept with probability min(1, likelihood ratio^λ × prior ratio).

The engine reruns all particles through a `Design` at each move (`simulate` is passed in, as
for the back-test: analysis runs no engine of its own). Each line has its own particles in the
design's columns for its quantities, as its series inform only those (`calibrate_lines`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import numpy as np
from scipy import special

from materiel.analysis.calibration import (
    Calibration,
    Observed,
    calibrate_lines,
    effective_size,
    normalized,
    resample,
)
from materiel.analysis.outcomes import Ensemble
from materiel.engine.draws import Design, drawn_paths
from materiel.engine.layout import layout
from materiel.engine.sampling import uniforms
from materiel.scenario.schema import Scenario

STAGE_ESS = 0.5
MOVES = 4
MAX_STAGES = 40
EDGE = 2.0**-53  # uniforms stay strictly inside (0, 1)


def collapsed(cals: dict[str, Calibration]) -> list[str]:
    """The lines whose importance weights collapsed: the full likelihood left too small an ESS, so they were tempered."""
    return [key for key, cal in cals.items() if cal.tempering < 1]


def line_paths(scenario: Scenario, observed: list[Observed], key: str) -> list[str]:
    """The uncertain quantities line `key` ("side/line") owns: its own engine paths, its series' bias and noise."""
    side, line = key.split("/")
    own = [p for p in drawn_paths(layout(scenario)) if p.startswith(f"sides.{side}.lines.{line}.")]
    for obs in observed:
        if (obs.side, obs.line) == (side, line):
            own += [f"{obs.path}.{name}" for name in ("bias", "noise") if getattr(obs.spec, name).dist != "point"]
    return own


def next_temperature(loglik: np.ndarray, current: float, target_ess: float) -> float:
    """The largest λ in (current, 1] whose incremental weights exp((λ − current) × loglik) keep `target_ess`."""
    if effective_size(normalized((1.0 - current) * loglik)) >= target_ess:
        return 1.0
    low, high = current, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if effective_size(normalized((mid - current) * loglik)) >= target_ess else (low, mid)
    return max(low, current + 1e-12)


def sequential(scenario: Scenario, observed: list[Observed], until: dt.date, lines: list[str], *,
               simulate: Callable[..., Ensemble], runs: int, seed: int, rng: np.random.Generator,
               **options) -> tuple[Ensemble, dict[str, Calibration]]:
    """SMC calibration of `lines` (keys "side/line") on `observed` up to `until`; the module docstring says how.

    Returns the ensemble of the final particles (every line's runs, as `simulate(scenario)` gives them)
    and a calibration per observed line: for `lines`, the particles at λ = 1 weighing alike, their ESS
    the number of distinct particles and `sequential` the schedule; for the others, `calibrate_lines`'s.
    `options` go to `calibrate_lines` (half_life, period_days, min_ess).
    """
    engine = set(drawn_paths(layout(scenario)))
    owned = {key: line_paths(scenario, observed, key) for key in lines}
    u = {p: uniforms(seed, p, np.arange(runs)) for paths in owned.values() for p in paths}

    def run(values: dict[str, np.ndarray]) -> tuple[Ensemble, dict[str, Calibration]]:
        paths = tuple(p for p in values if p in engine)
        design = Design(paths, np.stack([values[p] for p in paths], axis=1)) if paths else None
        ens = simulate(scenario, runs=runs, seed=seed, keep=runs, design=design)
        obs = {p: v for p, v in values.items() if p not in engine}
        return ens, calibrate_lines(ens, observed, until, uniforms=obs, **options)

    temperature = dict.fromkeys(lines, 0.0)
    log = {key: {"temperatures": [], "acceptance": []} for key in lines}
    _, cals = run(u)
    first, loglik = cals, {key: cals[key].loglik for key in lines}
    for _ in range(MAX_STAGES):
        active = [key for key in lines if temperature[key] < 1.0]
        if not active:
            break
        for key in active:  # reweight to the next temperature and resample
            new = next_temperature(loglik[key], temperature[key], STAGE_ESS * runs)
            pick = resample(normalized((new - temperature[key]) * loglik[key]), runs)
            for p in owned[key]:
                u[p] = u[p][pick]
            loglik[key], temperature[key] = loglik[key][pick], new
            log[key]["temperatures"].append(round(new, 6))
        accepted = dict.fromkeys(active, 0.0)
        for _ in range(MOVES):  # rejuvenate: random-walk Metropolis on the probits
            proposal, prior = dict(u), {}
            for key in active:
                z = special.ndtri(np.stack([u[p] for p in owned[key]], axis=1))
                moved = z + 2.38 / np.sqrt(z.shape[1]) * np.maximum(z.std(axis=0), 1e-3) * rng.standard_normal(z.shape)
                prior[key] = -0.5 * (moved**2 - z**2).sum(axis=1)
                for j, p in enumerate(owned[key]):
                    proposal[p] = np.clip(special.ndtr(moved[:, j]), EDGE, 1 - EDGE)
            _, trial = run(proposal)
            for key in active:
                keep = np.log(rng.random(runs)) < temperature[key] * (trial[key].loglik - loglik[key]) + prior[key]
                for p in owned[key]:
                    u[p] = np.where(keep, proposal[p], u[p])
                loglik[key] = np.where(keep, trial[key].loglik, loglik[key])
                accepted[key] += keep.mean() / MOVES
        for key in active:
            log[key]["acceptance"].append(round(float(accepted[key]), 3))
    ens, cals = run(u)
    out = dict(cals)
    for key in lines:
        distinct = len(np.unique(np.stack([u[p] for p in owned[key]], axis=1), axis=0))
        out[key] = dataclasses.replace(cals[key], weights=np.full(runs, 1.0 / runs), tempering=temperature[key],
                                       ess=float(distinct), ess_untempered=first[key].ess_untempered, uniforms={p: u[p] for p in owned[key]},
                                       sequential={"stages": len(log[key]["temperatures"]), **log[key]})
    return ens, out

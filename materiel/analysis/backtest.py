"""Back-testing: calibrate up to a cutoff, forecast the losses reported over a lead, score them.

Three forecasts of each observed series' total over (cutoff, cutoff + lead], side by side:

- `model`: the calibrated runs carried on by the model itself to cutoff + lead, on the scenario
  as known at the cutoff (`truncated`: every schedule held at its last value dated by the
  cutoff), each run's `lost` over the window passed through the observation model (its bias
  and noise), with a lognormal factor for how far demand may drift (`lead_spread`).
- `extrapolation`: each calibrated run's reported rate in the last period before the cutoff,
  carried on over the lead with the same kind of factor.
- `persistence`: the last 90 days' rate, with the spread of its three 30-day rates.

Nothing dated after the cutoff enters a forecast: the observed counts are cut at the cutoff
before calibration and the scenario is truncated there. Each line is calibrated on its series in
two-week periods, recent ones weighing most (`HALF_LIFE` for the extrapolation, `MODEL_HALF_LIFE`
for the model, whose lines are calibrated by SMC where their importance weights collapse).

Scores, per observed series and method: whether the observed total lies inside the P10–P90 and
P5–P95 intervals, and the continuous ranked probability score (CRPS, in the series' units and
divided by the observed total, so that lines of any size pool).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from materiel.analysis.calibration import (
    DEGREES_OF_FREEDOM,
    PERIOD_DAYS,
    THIN_ESS,
    Calibration,
    Fit,
    Observed,
    calibrate_lines,
    observed_flows,
    observed_series,
    weighted_quantile,
)
from materiel.analysis.outcomes import Ensemble
from materiel.analysis.sequential import collapsed
from materiel.analysis.sequential import sequential as smc
from materiel.engine.mechanisms import imports
from materiel.errors import InputError, Problem
from materiel.scenario.interventions import QUANTITY_FIELDS
from materiel.scenario.quantity import Schedule
from materiel.scenario.schema import Delivery, Scenario, Supplier

RECENT_DAYS = 90
HISTORY_DAYS = RECENT_DAYS + 3 * PERIOD_DAYS  # data a series needs before a cutoff: to judge how a rate can miss
HALF_LIFE = 30  # days: calibration for a forecast weighs the last month most
FORECAST_PERIOD_DAYS = 14  # calibration for a forecast compares two-week amounts: the latest level counts
SPREAD_HALF_LIFE = 365
MIN_VARIATION = 0.1
PATHS_PER_RUN = 8
# The model forecast's settings, chosen on cutoffs up to 2024-06-30 (docs/backtest.md): the
# half-life of its calibration's periods, and its spread in log, at least this × `lead_spread`.
MODEL_HALF_LIFE = 20
MODEL_SPREAD = 0.5
INTERVALS = {"p10_p90": (0.1, 0.9), "p5_p95": (0.05, 0.95)}
QUANTILES = {"p5": 0.05, "p10": 0.1, "p50": 0.5, "p90": 0.9, "p95": 0.95}
METHODS = ("model", "extrapolation", "persistence")
TARGETS = {"coverage": (0.65, 0.95), "beats_persistence": 2 / 3, "crps_ratio": 0.9}  # issue 12's bar, pooled


@dataclass
class Forecast:
    """Weighted samples of the total an observed series reports over the lead."""

    samples: np.ndarray
    weights: np.ndarray


def truncated(scenario: Scenario, cutoff: dt.date, until: dt.date | None = None) -> Scenario:
    """The scenario as known at `cutoff`: nothing dated after it.

    Every schedule (demand, refurbishment, attrition, production capacity) keeps its points dated
    by the cutoff, so its last such value holds after it; a schedule whose first point is after
    the cutoff keeps that one point (the value it already held before the cutoff). Suppliers'
    deliveries that start after the cutoff are dropped, and one under way at the cutoff goes on at
    its rate up to `until` (default: the scenario's horizon), its end as yet unknown
    (`carried_on`). Draws are keyed by path, so every quantity kept draws as before.
    """
    def cut(schedule: Schedule | None) -> Schedule | None:
        if schedule is None:
            return None
        kept = {d: q for d, q in schedule.values.items() if d <= cutoff} or dict(list(schedule.values.items())[:1])
        return schedule.model_copy(update={"values": kept})

    sides = {}
    for name, side in scenario.sides.items():
        lines = {k: line.model_copy(update={
                     "demand": cut(line.demand), "refurbish": cut(line.refurbish), "attrition": cut(line.attrition),
                     "production": line.production and line.production.model_copy(
                         update={"capacity": cut(line.production.capacity)})})
                 for k, line in side.lines.items()}
        suppliers = {k: sup.model_copy(update={"deliveries": carried_on(sup, cutoff, until or scenario.horizon)})
                     for k, sup in side.suppliers.items()}
        sides[name] = side.model_copy(update={"lines": lines, "suppliers": suppliers})
    return scenario.model_copy(update={"sides": sides})


def carried_on(supplier: Supplier, cutoff: dt.date, until: dt.date) -> list[Delivery]:
    """The supplier's deliveries as known at `cutoff`: those started by it, the one under way at it
    going on at its daily rate up to `until` (its quantity scaled, its draws keyed as before)."""
    out = []
    for d, key in zip(supplier.deliveries, imports.keys(supplier)):
        if d.start > cutoff:
            continue
        if d.end > cutoff + dt.timedelta(days=1) and until > d.start:
            factor = (until - d.start).days / (d.end - d.start).days
            scaled = {f: getattr(d.quantity, f) * factor for f in QUANTITY_FIELDS if getattr(d.quantity, f) is not None}
            d = d.model_copy(update={"id": key, "end": until, "quantity": d.quantity.model_copy(update=scaled)})
        out.append(d)
    return out


def window_weights(edges: list[dt.date], start: dt.date, end: dt.date) -> np.ndarray:
    """The share of each step [edges[k], edges[k+1]) that lies in the days [start, end) [steps].

    A step's flow counted pro rata to its days in the window, as if spread evenly over the step.
    """
    a = np.array([(d - start).days for d in edges[:-1]], dtype=float)
    b = np.array([(d - start).days for d in edges[1:]], dtype=float)
    inside = np.clip(np.minimum(b, (end - start).days) - np.maximum(a, 0.0), 0.0, None)
    return inside / (b - a)


def window_lost(ens: Ensemble, side: str, line: str, start: dt.date, end: dt.date) -> np.ndarray:
    """Each run's `lost` over the days [start, end) [runs]; the run must cover the window."""
    if ens.layout.edges[-1] < end:
        raise ValueError(f"the runs end on {ens.layout.edges[-1]}, before the window's end {end}")
    lost = ens.trajectories["lost"][:, :, ens.line_index(side, line)].astype(np.float64)
    return lost @ window_weights(ens.layout.edges, start, end)


def lead_spread(counts: pd.Series, cutoff: dt.date, lead: int) -> float:
    """How far, in log, the last 90 days' rate may miss the next `lead` days' total.

    Misses grow with how unsettled the fighting is, so each miss in the data before the cutoff
    (from weekly origins) is divided by the variation of the origin's three 30-day amounts (their
    coefficient of variation, at least `MIN_VARIATION`). The spread is a robust scale of those
    ratios (1.4826 × their weighted median, recent origins weighing more: half-life
    `SPREAD_HALF_LIFE` days) times the variation of the last three 30-day amounts before the
    cutoff. With too little data for the whole lead, the lead is shortened to what the data allow
    and the spread multiplied by √(lead / shorter lead), as for a random walk.
    """
    first, last = counts.index.min(), pd.Timestamp(cutoff)
    usable = (last - first).days - RECENT_DAYS
    horizon = min(lead, usable - 2 * PERIOD_DAYS)  # at least PERIOD_DAYS, given HISTORY_DAYS
    origins = pd.date_range(last - pd.Timedelta(days=horizon), first + pd.Timedelta(days=RECENT_DAYS), freq="-7D")
    recent = np.stack([recent_amounts(counts, o) for o in origins])
    ahead = (counts.reindex(origins + pd.Timedelta(days=horizon)).to_numpy()
             - counts.reindex(origins).to_numpy())
    ok = (recent.sum(axis=1) > 0) & (ahead > 0)
    if not ok.any():
        return 0.0
    misses = np.abs(np.log(ahead[ok] / (recent[ok].sum(axis=1) / RECENT_DAYS * horizon)))
    weights = 0.5 ** ((last - origins[ok]).days.to_numpy() / SPREAD_HALF_LIFE)
    scale = 1.4826 * weighted_quantile(misses / variation(recent[ok]), weights / weights.sum(), 0.5)[0]
    return float(scale * variation(recent_amounts(counts, last)[None, :])[0] * np.sqrt(lead / horizon))


def recent_amounts(counts: pd.Series, day: pd.Timestamp) -> np.ndarray:
    """The amounts reported in the three 30-day periods up to `day` (oldest first)."""
    return np.diff(counts.reindex([day - pd.Timedelta(days=d) for d in (90, 60, 30, 0)]).to_numpy(dtype=float))


def variation(amounts: np.ndarray) -> np.ndarray:
    """Coefficient of variation of each row's amounts, at least `MIN_VARIATION`."""
    mean = amounts.mean(axis=1)
    cv = amounts.std(axis=1, ddof=1) / np.where(mean > 0, mean, np.inf)
    return np.maximum(np.nan_to_num(cv, nan=MIN_VARIATION), MIN_VARIATION)


def extrapolation(cal: Calibration, fit: Fit, lead: int, rng: np.random.Generator) -> Forecast:
    """The rate-extrapolation forecast of `fit`'s series over `lead` days from `cal.until`.

    Each run's reported rate in the last period, times a lognormal factor. The runs already
    spread around the observed rate; the factor adds what `lead_spread` asks for beyond that
    (in variance of the log), so the two together make the spread `lead_spread` asks for.
    """
    days = (cal.edges[-1] - cal.edges[-2]).days
    rate = fit.lost[:, -1] * fit.bias / days  # reported per day, per run
    observed = fit.reported[-1] / days
    own = np.sum(cal.weights * np.log((rate + 1e-9) / observed) ** 2) if observed > 0 else 0.0
    spread = np.sqrt(max(lead_spread(fit.observed.counts, cal.until, lead) ** 2 - own, 0.0))
    totals = rate[:, None] * lead * np.exp(spread * rng.standard_normal((len(rate), PATHS_PER_RUN)))
    return Forecast(totals.ravel(), np.repeat(cal.weights / PATHS_PER_RUN, PATHS_PER_RUN))


def model_forecast(ens: Ensemble, cal: Calibration, fit: Fit, lead: int, rng: np.random.Generator,
                   spread: float = MODEL_SPREAD) -> Forecast:
    """The model's forecast of `fit`'s series over the `lead` days after `cal.until`.

    Each calibrated run's modelled `lost` over the window (`ens` must run past it, on the
    truncated scenario), times the run's bias, times its observation noise (Student-t, the
    scenario's ~30-day noise scaled to the lead by √(30 / lead), as for independent scatter),
    times a lognormal drift factor: the runs' own spread in log, noise included, is topped up
    (in variance) to `spread` × `lead_spread` where it falls short of it.
    """
    obs, cutoff = fit.observed, cal.until
    lost = window_lost(ens, obs.side, obs.line, cutoff + dt.timedelta(days=1), cutoff + dt.timedelta(days=lead + 1))
    period = (cal.edges[-1] - cal.edges[0]).days / (len(cal.edges) - 1)
    noise = fit.noise * np.sqrt(period / lead)  # fit.noise is the ~30-day noise × √(30 / period)
    scatter = noise[:, None] * rng.standard_t(DEGREES_OF_FREEDOM, (len(lost), PATHS_PER_RUN))
    totals = (lost * fit.bias)[:, None] * np.exp(scatter)
    weights = np.repeat(cal.weights / PATHS_PER_RUN, PATHS_PER_RUN)
    logs = np.log(totals.ravel() + 1e-9)
    own = np.sum(weights * (logs - np.sum(weights * logs)) ** 2)
    drift = np.sqrt(max((spread * lead_spread(obs.counts, cutoff, lead)) ** 2 - own, 0.0))
    totals *= np.exp(drift * rng.standard_normal(totals.shape))
    return Forecast(totals.ravel(), weights)


def persistence(counts: pd.Series, cutoff: dt.date, lead: int) -> tuple[float, float]:
    """Mean and standard deviation of the persistence forecast of the total over `lead` days.

    The rate is that of the last 90 days to the cutoff; its spread, the standard deviation of the
    rates of the three 30-day periods within them, held over the whole lead.
    """
    rates = recent_amounts(counts, pd.Timestamp(cutoff)) / 30.0
    return float(rates.mean() * lead), float(rates.std(ddof=1) * lead)


def crps(samples: np.ndarray, weights: np.ndarray, y: float) -> float:
    """CRPS of weighted samples at y: E|X − y| − ½ E|X − X'| (0 for a point mass at y)."""
    order = np.argsort(samples, kind="stable")
    x, w = samples[order], weights[order] / weights.sum()
    cum = np.cumsum(w)
    spread = 2.0 * np.sum(w * x * (2.0 * cum - w - 1.0))
    return float(np.sum(w * np.abs(x - y)) - 0.5 * spread)


def crps_normal(mean: float, sd: float, y: float) -> float:
    """CRPS of a normal distribution at y (the absolute error when sd is 0)."""
    if sd <= 0:
        return abs(y - mean)
    z = (y - mean) / sd
    return float(sd * (z * special.erf(z / np.sqrt(2)) + 2 * np.exp(-z * z / 2) / np.sqrt(2 * np.pi) - 1 / np.sqrt(np.pi)))


def score(fc: Forecast, y: float) -> dict:
    """The forecast's quantiles (`QUANTILES`), whether each interval holds the observed y, and the CRPS."""
    q = dict(zip(QUANTILES, weighted_quantile(fc.samples, fc.weights, list(QUANTILES.values())).tolist()))
    return _scored(q, y, crps(fc.samples, fc.weights, y))


def score_normal(mean: float, sd: float, y: float) -> dict:
    """Like `score`, for a normal forecast (its mean and sd beside)."""
    q = {name: float(mean + sd * special.ndtri(p)) if sd > 0 else mean for name, p in QUANTILES.items()}
    return {"mean": mean, "sd": sd, **_scored(q, y, crps_normal(mean, sd, y))}


def _scored(q: dict, y: float, value: float) -> dict:
    covered = {name: bool(q[f"p{round(lo * 100)}"] <= y <= q[f"p{round(hi * 100)}"])
               for name, (lo, hi) in INTERVALS.items()}
    return {**q, **covered, "crps": value, "crps_scaled": value / y if y > 0 else None}


def evaluate(ens: Ensemble, model_cal: Calibration, cal: Calibration, truth: Observed, lead: int,
             rngs: tuple[np.random.Generator, ...], spread: float = MODEL_SPREAD) -> dict:
    """Forecast one series from the cutoff by each method and score them against `truth`'s counts.

    `model_cal` weighs the runs for the model forecast, `cal` for the extrapolation (their half-lives differ).
    """
    cutoff = cal.until
    y = float(observed_flows(truth.counts, [cutoff + dt.timedelta(days=1), cutoff + dt.timedelta(days=lead + 1)])[0])
    fit, model_fit = (next(f for f in c.fits if f.observed.path == truth.path) for c in (cal, model_cal))
    return {
        "series": truth.label, "line": f"{truth.side}/{truth.line}", "cutoff": cutoff.isoformat(), "observed": y,
        "ess": model_cal.ess, "ess_untempered": model_cal.ess_untempered, "tempering": model_cal.tempering,
        "thin": min(model_cal.ess, cal.ess) < THIN_ESS,
        "calibration": "importance" if model_cal.sequential is None else "sequential",
        "model": score(model_forecast(ens, model_cal, model_fit, lead, rngs[0], spread), y),
        "extrapolation": {**score(extrapolation(cal, fit, lead, rngs[1]), y), "ess": cal.ess},
        "persistence": score_normal(*persistence(fit.observed.counts, cutoff, lead), y),
    }


def pooled(rows: list[dict]) -> dict:
    """Per method over `rows`: the share of intervals that held the observed total, the mean scaled CRPS,
    the share of forecasts whose CRPS is below persistence's and the ratio of mean scaled CRPS to
    persistence's; and which of `TARGETS` each method meets."""
    out: dict = {"forecasts": len(rows)}
    base = [r["persistence"]["crps_scaled"] for r in rows if r["persistence"]["crps_scaled"] is not None]
    for method in METHODS:
        scores = [r[method] for r in rows]
        scaled = [s["crps_scaled"] for s in scores if s["crps_scaled"] is not None]
        mean = float(np.mean(scaled)) if scaled else None
        pool = {**{name: float(np.mean([s[name] for s in scores])) for name in INTERVALS}, "crps_scaled": mean,
                "beats_persistence": None, "crps_ratio": None}
        low, high = TARGETS["coverage"]
        pool["targets"] = {"coverage": low <= pool["p10_p90"] <= high}
        if method != "persistence":
            pool["beats_persistence"] = float(np.mean([r[method]["crps"] < r["persistence"]["crps"] for r in rows]))
            if mean is not None and base and np.mean(base) > 0:
                pool["crps_ratio"] = mean / float(np.mean(base))
            pool["targets"] |= {"beats_persistence": pool["beats_persistence"] >= TARGETS["beats_persistence"],
                                "crps_ratio": pool["crps_ratio"] is not None
                                and pool["crps_ratio"] <= TARGETS["crps_ratio"]}
        out[method] = pool
    return out


def backtest(scenario: Scenario, frames: dict[str, tuple[str, pd.DataFrame]], cutoffs: list[dt.date], lead: int,
             *, simulate: Callable[..., Ensemble], runs: int, seed: int, half_life: float | None = HALF_LIFE,
             min_ess: float | None = None, period_days: float = FORECAST_PERIOD_DAYS,
             model_half_life: float | None = MODEL_HALF_LIFE, spread: float = MODEL_SPREAD,
             sequential: bool = False, progress: Callable[[int, int], None] | None = None) -> dict:
    """Back-test the scenario's observed series at each cutoff over `lead` days; rows and pooled scores.

    At each cutoff the runs are of the scenario as known then (`truncated`) up to cutoff + lead,
    and calibration sees the counts up to the cutoff only; the same runs, with their calibration
    weights, make the model forecast. `sequential`: lines whose importance weights for the model
    forecast collapse (they had to be tempered) are calibrated by SMC instead (`analysis.sequential`),
    and their particles carried forward. `simulate` runs the ensembles (`materiel.simulate`; analysis
    runs no engine of its own). `progress(done, total)` hears of the runs done over all cutoffs.
    """
    full = observed_series(scenario, frames)
    for cutoff in cutoffs:
        check_cutoff(full, cutoff, lead)
    rows = []
    for k, cutoff in enumerate(cutoffs):
        cut = {s: (origin, df[df.index <= pd.Timestamp(cutoff)]) for s, (origin, df) in frames.items()}
        horizon = cutoff + dt.timedelta(days=lead)
        sc = truncated(scenario, cutoff, horizon).model_copy(update={"horizon": horizon})
        ens = simulate(sc, runs=runs, seed=seed, keep=runs,
                       progress=progress and (lambda done, _, k=k: progress(k * runs + done, len(cutoffs) * runs)))
        rngs = (np.random.default_rng([seed, cutoff.toordinal(), 1]), np.random.default_rng([seed, cutoff.toordinal()]))
        seen = observed_series(sc, cut)
        options = {"min_ess": min_ess, "period_days": period_days}
        cals = calibrate_lines(ens, seen, cutoff, half_life=half_life, **options)
        model_ens, model_cals = ens, calibrate_lines(ens, seen, cutoff, half_life=model_half_life, **options)
        if sequential and collapsed(model_cals):
            model_ens, model_cals = smc(sc, seen, cutoff, collapsed(model_cals), simulate=simulate, runs=runs,
                                        seed=seed, rng=np.random.default_rng([seed, cutoff.toordinal(), 2]),
                                        half_life=model_half_life, **options)
        for truth in full:
            key = f"{truth.side}/{truth.line}"
            rows.append(evaluate(model_ens, model_cals[key], cals[key], truth, lead, rngs, spread))
    series = dict.fromkeys(r["series"] for r in rows)
    return {"scenario": scenario.name, "seed": seed, "runs": runs, "lead_days": lead, "half_life_days": half_life,
            "model_half_life_days": model_half_life, "model_spread": spread, "sequential": sequential, "thin_ess": THIN_ESS, "targets": TARGETS,
            "cutoffs": [c.isoformat() for c in cutoffs], "rows": rows,
            "by_series": {s: pooled([r for r in rows if r["series"] == s]) for s in series},
            "by_cutoff": {c.isoformat(): pooled([r for r in rows if r["cutoff"] == c.isoformat()]) for c in cutoffs},
            "pooled": pooled(rows)}


def check_cutoff(observed: list[Observed], cutoff: dt.date, lead: int) -> None:
    """Each series must cover `HISTORY_DAYS` before the cutoff and the lead after it."""
    for obs in observed:
        first, last = obs.counts.index.min().date(), obs.counts.index.max().date()
        need_first, need_last = cutoff - dt.timedelta(days=HISTORY_DAYS), cutoff + dt.timedelta(days=lead)
        if need_first < first or need_last > last:
            raise InputError(Problem(obs.origin, obs.field, message=(
                f"cutoff {cutoff} with a {lead}-day lead needs observations from {need_first} to {need_last}; "
                f"this series runs from {first} to {last}")))

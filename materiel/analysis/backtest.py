"""Back-testing: calibrate up to a cutoff, forecast the losses reported over a lead, score them.

The forecast never reads past the cutoff: the model runs only to the cutoff (its schedules after
it are not used) and the observed counts are cut at the cutoff before calibration. Each line is
calibrated on its series in two-week periods, recent ones weighing most (`HALF_LIFE`). From the
cutoff each calibrated run's reported rate (its `lost` × bias in the last period) goes on over
the lead, times a lognormal factor for how much the intensity may change (`lead_spread`).

Scores, per observed series: whether the observed total over the lead lies inside the P10–P90
and P5–P95 intervals, and the continuous ranked probability score (CRPS, in the series' units
and divided by the observed total, so that lines of any size pool), beside a naive persistence
forecast: the last 90 days' rate, with the spread of its three 30-day rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from materiel.analysis.calibration import (
    PERIOD_DAYS,
    Calibration,
    Fit,
    Observed,
    calibrate_lines,
    observed_flows,
    observed_series,
    weighted_quantile,
)
from materiel.analysis.outcomes import Ensemble
from materiel.errors import InputError, Problem
from materiel.scenario.schema import Scenario

RECENT_DAYS = 90
HISTORY_DAYS = RECENT_DAYS + 3 * PERIOD_DAYS  # data a series needs before a cutoff: to judge how a rate can miss
HALF_LIFE = 30  # days: calibration for a forecast weighs the last month most
FORECAST_PERIOD_DAYS = 14  # calibration for a forecast compares two-week amounts: the latest level counts
SPREAD_HALF_LIFE = 365
MIN_VARIATION = 0.1
PATHS_PER_RUN = 8
INTERVALS = {"p10_p90": (0.1, 0.9), "p5_p95": (0.05, 0.95)}


@dataclass
class Forecast:
    """Weighted samples of the total an observed series reports over the lead."""

    samples: np.ndarray
    weights: np.ndarray


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


def forecast(cal: Calibration, fit: Fit, lead: int, rng: np.random.Generator) -> Forecast:
    """The calibrated forecast of `fit`'s series over `lead` days from `cal.until`.

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
    """Coverage of each interval (True/False) and the CRPS of a forecast against the observed y."""
    out = {}
    for name, (lo, hi) in INTERVALS.items():
        a, b = weighted_quantile(fc.samples, fc.weights, [lo, hi])
        out[name] = bool(a <= y <= b)
    out["crps"] = crps(fc.samples, fc.weights, y)
    return out


def score_normal(mean: float, sd: float, y: float) -> dict:
    """Like `score`, for a normal forecast."""
    out = {}
    for name, (lo, hi) in INTERVALS.items():
        a, b = (mean + sd * special.ndtri(lo), mean + sd * special.ndtri(hi)) if sd > 0 else (mean, mean)
        out[name] = bool(a <= y <= b)
    out["crps"] = crps_normal(mean, sd, y)
    return out


def evaluate(cal: Calibration, fit: Fit, truth: Observed, lead: int, rng: np.random.Generator) -> dict:
    """Forecast one series from `cal.until` and score it, and persistence, against `truth`'s counts."""
    cutoff = cal.until
    end = cutoff + dt.timedelta(days=lead)
    y = float(observed_flows(truth.counts, [cutoff + dt.timedelta(days=1), end + dt.timedelta(days=1)])[0])
    fc = forecast(cal, fit, lead, rng)
    mean, sd = persistence(fit.observed.counts, cutoff, lead)
    model, naive = score(fc, y), score_normal(mean, sd, y)
    q = weighted_quantile(fc.samples, fc.weights, [0.05, 0.1, 0.5, 0.9, 0.95])
    return {
        "series": fit.observed.label, "cutoff": cutoff.isoformat(), "observed": y,
        "forecast": dict(zip(("p5", "p10", "p50", "p90", "p95"), q.tolist())),
        "model": {**model, "crps_scaled": model["crps"] / y if y > 0 else None},
        "persistence": {"mean": mean, "sd": sd, **naive, "crps_scaled": naive["crps"] / y if y > 0 else None},
        "ess": cal.ess,
    }


def pooled(rows: list[dict]) -> dict:
    """Share of forecasts whose interval held the observed total, and mean scaled CRPS, per method."""
    out = {}
    for method in ("model", "persistence"):
        scores = [r[method] for r in rows]
        scaled = [s["crps_scaled"] for s in scores if s["crps_scaled"] is not None]
        out[method] = {**{name: float(np.mean([s[name] for s in scores])) for name in INTERVALS},
                       "crps_scaled": float(np.mean(scaled)) if scaled else None}
    out["forecasts"] = len(rows)
    return out


def backtest(scenario: Scenario, frames: dict[str, tuple[str, pd.DataFrame]], cutoffs: list[dt.date], lead: int,
             *, simulate: Callable[..., Ensemble], runs: int, seed: int, half_life: float | None = HALF_LIFE,
             min_ess: float | None = None, period_days: float = FORECAST_PERIOD_DAYS,
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Back-test the scenario's observed series at each cutoff over `lead` days; rows and pooled scores.

    At each cutoff the model runs to the cutoff only (the horizon moves there, before or past the
    scenario's own), and calibration sees the counts up to the cutoff only. `simulate` runs the
    ensembles (`materiel.simulate`; analysis runs no engine of its own). `progress(done, total)`
    hears of the runs done over all cutoffs.
    """
    full = observed_series(scenario, frames)
    for cutoff in cutoffs:
        check_cutoff(full, cutoff, lead)
    rows = []
    for k, cutoff in enumerate(cutoffs):
        cut = {s: (origin, df[df.index <= pd.Timestamp(cutoff)]) for s, (origin, df) in frames.items()}
        sc = scenario.model_copy(update={"horizon": cutoff})
        ens = simulate(sc, runs=runs, seed=seed, keep=runs,
                       progress=progress and (lambda done, _, k=k: progress(k * runs + done, len(cutoffs) * runs)))
        rng = np.random.default_rng([seed, cutoff.toordinal()])
        cals = calibrate_lines(ens, observed_series(sc, cut), cutoff, half_life=half_life, min_ess=min_ess,
                               period_days=period_days)
        for truth in full:
            cal = cals[f"{truth.side}/{truth.line}"]
            fit = next(f for f in cal.fits if f.observed.path == truth.path)
            rows.append(evaluate(cal, fit, truth, lead, rng))
    series = dict.fromkeys(r["series"] for r in rows)
    return {"scenario": scenario.name, "seed": seed, "runs": runs, "lead_days": lead, "half_life_days": half_life,
            "cutoffs": [c.isoformat() for c in cutoffs], "rows": rows,
            "by_series": {s: pooled([r for r in rows if r["series"] == s]) for s in series}, "pooled": pooled(rows)}


def check_cutoff(observed: list[Observed], cutoff: dt.date, lead: int) -> None:
    """Each series must cover `HISTORY_DAYS` before the cutoff and the lead after it."""
    for obs in observed:
        first, last = obs.counts.index.min().date(), obs.counts.index.max().date()
        need_first, need_last = cutoff - dt.timedelta(days=HISTORY_DAYS), cutoff + dt.timedelta(days=lead)
        if need_first < first or need_last > last:
            raise InputError(Problem(obs.origin, obs.field, message=(
                f"cutoff {cutoff} with a {lead}-day lead needs observations from {need_first} to {need_last}; "
                f"this series runs from {first} to {last}")))

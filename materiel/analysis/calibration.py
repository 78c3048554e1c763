"""Calibration: weight an ensemble's runs by how well they reproduce observed losses.

Each observed series of a line (the scenario's `observed:`) is compared with the line's `lost`
flow as amounts per period — whole model steps adding up to about 30 days (or `period_days`) —
never as cumulative levels, through the observation model

    reported = lost × bias × exp(noise × e),   e ~ Student-t with 5 degrees of freedom,

on log(1 + amount), with `bias` and `noise` drawn per run like every other quantity. A run's
weight is its likelihood to a power λ ≤ 1 (tempering): λ = 1 if the full likelihood leaves an
effective sample size (ESS) of at least `min_ess`, else the λ that leaves exactly that. A
`half_life` discounts older periods (each period's log-likelihood × 2^(−age / half_life)), for
a war whose intensity and reporting drift.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from materiel.analysis.outcomes import QUANTILES, Ensemble
from materiel.engine.sampling import draw
from materiel.engine.scalars import FIELDS as SCALAR_FIELDS
from materiel.errors import InputError, Problem
from materiel.scenario.distributions import quantile
from materiel.scenario.quantity import Quantity
from materiel.scenario.schema import Observation, Scenario, iter_quantities

PERIOD_DAYS = 30
DEGREES_OF_FREEDOM = 5
MIN_NOISE = 0.01  # a noise of 0 would make the likelihood a point mass
#: Below this ESS a line's weighted quantiles are too thin to read: the P10 of n independent
#: samples has a probability level with standard error √(0.1 × 0.9 / n), 0.03 at n = 100, so a
#: "P10" is then somewhere from P7 to P13 and a P10–P90 interval's coverage is uncertain by ±5 points.
THIN_ESS = 100


@dataclass(frozen=True)
class Observed:
    """One observed series of one line: where its cumulative counts come from and what they count."""

    side: str
    line: str
    spec: Observation         # the scenario's `observed:` entry: series, field, bias, noise
    path: str                 # of that entry in the scenario, e.g. sides.russia.lines.tanks.observed.0
    origin: str               # the file or folder the counts were read from
    counts: pd.Series         # daily cumulative counts (DatetimeIndex)

    @property
    def series(self) -> str:
        return self.spec.series

    @property
    def field(self) -> str:
        return self.spec.field

    @property
    def label(self) -> str:
        return f"{self.side}/{self.line} {self.series}:{self.field}"


def observed_series(scenario: Scenario, frames: dict[str, tuple[str, pd.DataFrame]]) -> list[Observed]:
    """The scenario's observations whose series is among `frames` (series → (origin, counts))."""
    found = []
    for side_name, side in scenario.sides.items():
        for line_name, line in side.lines.items():
            for j, obs in enumerate(line.observed):
                if obs.series not in frames:
                    continue
                origin, frame = frames[obs.series]
                path = f"sides.{side_name}.lines.{line_name}.observed.{j}"
                if obs.field not in frame.columns:
                    raise InputError(Problem(origin, f"{path}.field",
                                             message=f"the scenario reads field {obs.field!r}, which this file does "
                                                     f"not have; its fields: {', '.join(frame.columns)}"))
                found.append(Observed(side_name, line_name, obs, path, origin, frame[obs.field].dropna()))
    if not found:
        given = ", ".join(origin for origin, _ in frames.values())
        raise InputError(Problem(given or "--observed", message="no line of the scenario declares an `observed:` "
                                 f"series of this kind ({', '.join(frames) or 'none given'})"))
    return found


def period_edges(ens: Ensemble, until: dt.date, days: float = PERIOD_DAYS) -> list[dt.date]:
    """Boundaries of whole periods (groups of steps of about `days`), the last at the last step edge by `until`."""
    edges = [d for d in ens.layout.edges if d <= until + dt.timedelta(days=1)]
    group = max(1, round(days / float(np.median(ens.layout.step_days))))
    return edges[::-1][::group][::-1]


def observed_flows(counts: pd.Series, edges: list[dt.date]) -> np.ndarray:
    """Reported losses in each period [a, b): the count at the end of b − 1 less that at the end of a − 1."""
    at = counts.reindex(pd.DatetimeIndex(edges) - pd.Timedelta(days=1)).to_numpy(dtype=float)
    return np.diff(at)


def model_flows(ens: Ensemble, side: str, line: str, edges: list[dt.date]) -> np.ndarray:
    """The line's `lost` in each period, per run [runs, periods]."""
    if ens.kept < ens.runs:
        raise ValueError(f"calibration needs every run's trajectories: simulate with keep={ens.runs}")
    steps = [ens.layout.edges.index(d) for d in edges]
    lost = ens.trajectories["lost"][:, :, ens.line_index(side, line)].astype(np.float64)
    cum = np.concatenate([np.zeros((lost.shape[0], 1)), lost.cumsum(axis=1)], axis=1)
    return np.diff(cum[:, steps], axis=1)


@dataclass
class Fit:
    """One observed series against the runs: reported per period and the runs' lost, bias and noise."""

    observed: Observed
    reported: np.ndarray      # [periods], NaN where the data do not cover a period
    lost: np.ndarray          # [runs, periods]
    bias: np.ndarray          # [runs]
    noise: np.ndarray         # [runs]

    def loglik(self, discount: np.ndarray) -> np.ndarray:
        """Each run's log-likelihood of the reported amounts, periods weighted by `discount`."""
        ok = np.isfinite(self.reported)
        y = np.log1p(np.maximum(self.reported[ok], 0.0))
        mu = np.log1p(self.lost[:, ok] * self.bias[:, None])
        sigma = np.maximum(self.noise, MIN_NOISE)[:, None]
        ll = student_t_logpdf((y - mu) / sigma, DEGREES_OF_FREEDOM) - np.log(sigma)
        return ll @ discount[ok]


def student_t_logpdf(x: np.ndarray, nu: float) -> np.ndarray:
    """Log density of Student's t with `nu` degrees of freedom."""
    norm = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
    return norm - (nu + 1) / 2 * np.log1p(x * x / nu)


@dataclass
class Calibration:
    """Weights of an ensemble's runs given the observations up to `until`."""

    until: dt.date
    edges: list[dt.date]
    fits: list[Fit]
    loglik: np.ndarray        # [runs] discounted, untempered
    tempering: float          # λ
    weights: np.ndarray       # [runs], summing to 1
    ess: float
    ess_untempered: float
    half_life: float | None
    uniforms: dict[str, np.ndarray] | None = None  # the runs' uniforms of quantities moved by `sequential`
    sequential: dict | None = None                 # its temperature schedule and acceptance (analysis.sequential)


def calibrate(ens: Ensemble, observed: list[Observed], until: dt.date, *, min_ess: float | None = None,
              half_life: float | None = None, period_days: float = PERIOD_DAYS,
              uniforms: dict[str, np.ndarray] | None = None) -> Calibration:
    """Weight the runs of `ens` (all kept) by the likelihood of the observed losses up to `until`.

    `min_ess` defaults to a tenth of the runs (at least 1); see the module docstring. The noise
    a scenario states for ~30-day periods is scaled by √(30 / the periods' length in days), as for
    independent daily scatter. `uniforms` (path → per run) replace the hashed draws of the
    series' bias and noise it names, as a design does for the engine's quantities.
    """
    runs = np.arange(ens.runs)
    sc = ens.layout.scenario
    edges = period_edges(ens, until, period_days)
    widen = np.sqrt(PERIOD_DAYS * (len(edges) - 1) / (edges[-1] - edges[0]).days) if len(edges) > 1 else 1.0
    fits = []
    for obs in observed:
        counts = obs.counts[obs.counts.index <= pd.Timestamp(until)]
        fits.append(Fit(obs, observed_flows(counts, edges), model_flows(ens, obs.side, obs.line, edges),
                        drawn(obs.spec.bias, f"{obs.path}.bias", ens.seed, runs, uniforms),
                        drawn(obs.spec.noise, f"{obs.path}.noise", ens.seed, runs, uniforms) * widen))
    if len(edges) < 2 or not any(np.isfinite(f.reported).any() for f in fits):
        raise InputError(Problem(", ".join(dict.fromkeys(o.origin for o in observed)),
                                 message=f"no whole period of observations between {sc.start} and {until}"))
    age = np.array([(until - d).days + 1 for d in edges[1:]], dtype=float)
    discount = np.ones_like(age) if half_life is None else 0.5 ** (age / half_life)
    loglik = sum(f.loglik(discount) for f in fits)
    min_ess = max(1.0, ens.runs / 10 if min_ess is None else min_ess)
    tempering = temper(loglik, min_ess)
    weights = normalized(tempering * loglik)
    return Calibration(until, edges, fits, loglik, tempering, weights, effective_size(weights),
                       effective_size(normalized(loglik)), half_life)


def calibrate_lines(ens: Ensemble, observed: list[Observed], until: dt.date, **options) -> dict[str, Calibration]:
    """One calibration per line ("side/line"), each on that line's own series only.

    A line's series inform only its own quantities (demand, bias, noise), which no other line
    shares, so the posterior factorizes by line; weighting each line by its own series targets the
    same marginal posterior while losing far fewer runs than one joint weighting would.
    """
    lines = dict.fromkeys(f"{o.side}/{o.line}" for o in observed)
    return {key: calibrate(ens, [o for o in observed if f"{o.side}/{o.line}" == key], until, **options)
            for key in lines}


def drawn(q: Quantity, path: str, seed: int, runs: np.ndarray, uniforms: dict[str, np.ndarray] | None) -> np.ndarray:
    """The runs' values of a quantity: at the given uniforms if `uniforms` names its path, else its hashed draws."""
    if uniforms is not None and path in uniforms:
        return quantile(q, uniforms[path])
    return draw(q, path, seed, runs)


def temper(loglik: np.ndarray, min_ess: float) -> float:
    """The largest λ in (0, 1] whose weights exp(λ × loglik) keep an ESS of at least `min_ess`."""
    if effective_size(normalized(loglik)) >= min_ess:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if effective_size(normalized(mid * loglik)) >= min_ess else (low, mid)
    return low


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalized weights."""
    return float(1.0 / np.sum(weights**2))


def normalized(logw: np.ndarray) -> np.ndarray:
    """Weights exp(logw), summing to 1."""
    w = np.exp(logw - logw.max())
    return w / w.sum()


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Quantiles of weighted samples (inverted CDF: the first value whose cumulative weight reaches q)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    cum /= cum[-1]
    k = np.searchsorted(cum, np.atleast_1d(q) - 1e-12)
    return values[order][np.minimum(k, len(values) - 1)]


def calibrated_quantities(scenario: Scenario, cal: Calibration, seed: int,
                          quantiles=QUANTILES) -> list[dict]:
    """Prior and posterior quantiles of the uncertain quantities the observations inform.

    These are, per calibrated line, its demand schedule's points up to `until` (its attrition
    schedule's, where that sets its losses) and the bias and noise of each series used. The prior
    is the seed's hashed draws; the posterior, the runs' values (moved ones where `cal.uniforms`
    names them) under the weights.
    """
    runs = np.arange(len(cal.weights))
    uniform = np.full(len(runs), 1.0 / len(runs))
    names = {}
    for f in cal.fits:
        o = f.observed
        names[f"{o.path}.bias"] = f"{o.series}:{o.field} bias"
        names[f"{o.path}.noise"] = f"{o.series}:{o.field} noise"
        line = scenario.sides[o.side].lines[o.line]
        field = "attrition" if line.rated else "demand"  # what sets the line's losses
        for day in getattr(line, field).values:
            if day <= cal.until:
                names[f"sides.{o.side}.lines.{o.line}.{field}.values.{day.isoformat()}"] = f"{field} from {day}"
    rows = []
    for path, q in iter_quantities(scenario):
        if path in names and q.dist != "point":
            values = draw(q, path, seed, runs)
            rows.append({"path": path, "quantity": names[path],
                         "prior": weighted_quantile(values, uniform, quantiles).tolist(),
                         "posterior": weighted_quantile(drawn(q, path, seed, runs, cal.uniforms), cal.weights,
                                                        quantiles).tolist()})
    return rows


def resample(weights: np.ndarray, n: int) -> np.ndarray:
    """`n` run indices drawn in proportion to `weights` by systematic resampling (deterministic)."""
    positions = (np.arange(n) + 0.5) / n
    return np.minimum(np.searchsorted(np.cumsum(weights), positions), len(weights) - 1)


def resampled(ens: Ensemble, runs: np.ndarray) -> Ensemble:
    """The ensemble made of the given runs (repeats allowed): a calibrated ensemble to summarize."""
    if ens.kept < ens.runs:
        raise ValueError(f"resampling needs every run's trajectories: simulate with keep={ens.runs}")
    s = ens.scalars
    scalars = dataclasses.replace(s, **{f: getattr(s, f)[runs] for f in SCALAR_FIELDS})
    return dataclasses.replace(ens, runs=len(runs), scalars=scalars,
                               trajectories={v: a[runs] for v, a in ens.trajectories.items()},
                               workforce=ens.workforce[runs])

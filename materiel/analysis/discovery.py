"""Scenario discovery: which ranges of the factors make an outcome of interest happen.

`--when` is `SIDE/LINE OUTCOME before|after DATE` for `runout` and `first_shortfall` (runs where
it never happens are after every date), or `SIDE/LINE OUTCOME above|below NUMBER` for
`shortfall` and `ratio`.

PRIM (Friedman and Fisher 1999): from the box holding every run, peel off the `alpha` share of
the runs in the box at the low or high end of one factor, the peel that leaves the highest share
of cases of interest (density), until fewer than `min_mass` of all runs remain; the boxes peeled
form the coverage–density trade-off (coverage: the share of all cases of interest inside the
box). The chosen box is the densest with coverage at least `min_coverage`, then pasted: each
limit widened by `alpha` of the box's runs while that raises the density. Each restricted
factor's quasi-p value is a one-sided binomial test of the box's cases against the density of
the box without that restriction (as in the EMA Workbench). CART: a shallow classification tree
(Gini splits); each leaf is a rule with its density and coverage.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from materiel.analysis.outcomes import Ensemble
from materiel.analysis.sensitivity import outcome_values
from materiel.engine.layout import Layout
from materiel.errors import InputError, Problem

_WHEN = re.compile(r"^\s*(\S+)/(\S+)\s+(runout|first_shortfall|shortfall|ratio)\s+(before|after|above|below)\s+(\S+)\s*$")
_DATED = ("runout", "first_shortfall")


@dataclass(frozen=True)
class Condition:
    """A parsed `--when`: line i's outcome compared with a threshold (a step's end date or a number)."""

    line: int
    outcome: str
    relation: str
    threshold: dt.date | float

    def holds(self, ens: Ensemble) -> np.ndarray:
        """Per run, whether the condition holds."""
        if self.outcome in _DATED:
            steps = outcome_values(ens, self.outcome, self.line).astype(np.int64)
            happened = steps < ens.layout.steps
            ends = ens.step_end(np.minimum(steps, ens.layout.steps - 1))
            at = np.datetime64(self.threshold, "D")
            return happened & (ends < at) if self.relation == "before" else ~(happened & (ends <= at))
        y = outcome_values(ens, self.outcome, self.line)
        return y > self.threshold if self.relation == "above" else y < self.threshold


def parse_when(text: str, lay: Layout) -> Condition:
    """Parse `--when`; InputError saying what was expected."""
    m = _WHEN.match(text)
    if m is None:
        raise InputError(Problem("--when", message=f"expected 'SIDE/LINE OUTCOME before|after DATE' or "
                                                    f"'SIDE/LINE OUTCOME above|below NUMBER', got {text!r}"))
    side, line, outcome, relation, value = m.groups()
    labels = lay.line_labels()
    if f"{side}/{line}" not in labels:
        raise InputError(Problem("--when", message=f"no line {side}/{line}; lines: {', '.join(labels)}"))
    dated = outcome in _DATED
    if dated != (relation in ("before", "after")):
        raise InputError(Problem("--when", message=f"{outcome} takes {'before|after DATE' if dated else 'above|below NUMBER'}"))
    try:
        threshold = dt.date.fromisoformat(value) if dated else float(value)
    except ValueError:
        raise InputError(Problem("--when", message=f"expected {'a date as YYYY-MM-DD' if dated else 'a number'}, "
                                                    f"got {value!r}")) from None
    return Condition(labels.index(f"{side}/{line}"), outcome, relation, threshold)


@dataclass
class Box:
    """Limits per factor [factors, 2] and how the box does."""

    limits: np.ndarray
    coverage: float
    density: float
    mass: float


@dataclass
class Discovery:
    """The peeling trajectory, the chosen box (ranges and quasi-p values) and the CART rules."""

    when: str
    cases: int
    runs: int
    trajectory: pd.DataFrame        # step, coverage, density, mass, restricted
    box: pd.DataFrame               # factor, low, high, quasi_p (restricted factors only)
    chosen: int                     # the trajectory step the box was chosen at (before pasting)
    coverage: float
    density: float
    mass: float
    rules: pd.DataFrame = field(default_factory=pd.DataFrame)  # CART leaves: rule, runs, density, coverage


def _inside(x: np.ndarray, limits: np.ndarray) -> np.ndarray:
    return ((x >= limits[:, 0]) & (x <= limits[:, 1])).all(axis=1)


def _box(x, y, limits) -> Box:
    inside = _inside(x, limits)
    n = inside.sum()
    return Box(limits, float(y[inside].sum() / max(y.sum(), 1)), float(y[inside].mean()) if n else 0.0,
               float(n / len(y)))


def peel(x: np.ndarray, y: np.ndarray, alpha: float = 0.05, min_mass: float = 0.05) -> list[Box]:
    """PRIM's peeling trajectory: nested boxes from the whole unit cube down to `min_mass` of the runs."""
    y = y.astype(np.float64)
    limits = np.column_stack([x.min(axis=0), x.max(axis=0)])
    boxes = [_box(x, y, limits.copy())]
    inside = np.ones(len(y), dtype=bool)
    while inside.sum() > min_mass * len(y):
        best, best_mean = None, -1.0
        xi, yi = x[inside], y[inside]
        for j in range(x.shape[1]):
            lo, hi = np.quantile(xi[:, j], [alpha, 1 - alpha])
            for side, keep in ((0, xi[:, j] >= lo), (1, xi[:, j] <= hi)):
                if keep.all() or not keep.any():
                    continue
                mean = yi[keep].mean()
                if mean > best_mean:
                    best_mean, best = mean, (j, side, lo if side == 0 else hi)
        if best is None:
            break
        j, side, value = best
        limits[j, side] = value
        inside = _inside(x, limits)
        boxes.append(_box(x, y, limits.copy()))
    return boxes


def paste(x: np.ndarray, y: np.ndarray, box: Box, alpha: float = 0.05) -> Box:
    """Widen the box's limits by `alpha` of its runs, one limit at a time, while the density rises."""
    y = y.astype(np.float64)
    lower, upper = x.min(axis=0), x.max(axis=0)
    while True:
        inside = _inside(x, box.limits)
        step = max(1, int(alpha * inside.sum()))
        best = box
        for j in range(x.shape[1]):
            others = _inside(np.delete(x, j, axis=1), np.delete(box.limits, j, axis=0))
            for side in (0, 1):
                if box.limits[j, side] == (lower[j], upper[j])[side]:
                    continue
                beyond = others & ((x[:, j] < box.limits[j, 0]) if side == 0 else (x[:, j] > box.limits[j, 1]))
                if not beyond.any():
                    continue
                values = np.sort(x[beyond, j])
                limits = box.limits.copy()
                limits[j, side] = values[-min(step, len(values))] if side == 0 else values[min(step, len(values)) - 1]
                candidate = _box(x, y, limits)
                if candidate.density > best.density:
                    best = candidate
        if best is box:
            return box
        box = best


def quasi_p(x: np.ndarray, y: np.ndarray, box: Box, j: int) -> float:
    """One-sided binomial p value of the box's cases against the box without factor j's restriction."""
    from scipy.stats import binomtest

    inside = _inside(x, box.limits)
    limits = box.limits.copy()
    limits[j] = (x[:, j].min(), x[:, j].max())
    wider = _inside(x, limits)
    return float(binomtest(int(y[inside].sum()), int(inside.sum()), float(y[wider].mean()),
                           alternative="greater").pvalue)


def prim(x: np.ndarray, y: np.ndarray, names: list[str], alpha: float = 0.05, min_mass: float = 0.05,
         min_coverage: float = 0.5):
    """The trajectory frame, the chosen box's frame of restricted factors, the step chosen and the box."""
    boxes = peel(x, y, alpha, min_mass)
    full = boxes[0].limits
    restricted = [int((b.limits != full).any(axis=1).sum()) for b in boxes]
    trajectory = pd.DataFrame({"step": range(len(boxes)), "coverage": [b.coverage for b in boxes],
                               "density": [b.density for b in boxes], "mass": [b.mass for b in boxes],
                               "restricted": restricted})
    eligible = [k for k, b in enumerate(boxes) if b.coverage >= min_coverage] or [0]
    chosen = max(eligible, key=lambda k: (boxes[k].density, -k))
    box = paste(x, y, boxes[chosen], alpha)
    rows = [{"factor": names[j], "low": box.limits[j, 0], "high": box.limits[j, 1], "quasi_p": quasi_p(x, y, box, j)}
            for j in np.flatnonzero((box.limits != full).any(axis=1))]
    return trajectory, pd.DataFrame(rows, columns=["factor", "low", "high", "quasi_p"]), chosen, box


def cart_rules(x: np.ndarray, y: np.ndarray, names: list[str], max_depth: int = 3) -> pd.DataFrame:
    """The leaves of a shallow classification tree (Gini splits, leaves of at least 2% of the runs)
    as rules, with their runs, density and coverage, densest first."""
    y = y.astype(np.float64)
    min_leaf, total = max(1, len(y) // 50), max(y.sum(), 1)
    rows = []

    def grow(inside: np.ndarray, rule: list[str], depth: int) -> None:
        split = _best_split(x[inside], y[inside], min_leaf) if depth < max_depth else None
        if split is None:
            rows.append({"rule": " and ".join(rule) or "all runs", "runs": int(inside.sum()),
                         "density": float(y[inside].mean()), "coverage": float(y[inside].sum() / total)})
            return
        j, cut = split
        grow(inside & (x[:, j] <= cut), [*rule, f"{names[j]} <= {cut:.3f}"], depth + 1)
        grow(inside & (x[:, j] > cut), [*rule, f"{names[j]} > {cut:.3f}"], depth + 1)

    grow(np.ones(len(y), dtype=bool), [], 0)
    return pd.DataFrame(rows).sort_values("density", ascending=False, ignore_index=True)


def _best_split(x: np.ndarray, y: np.ndarray, min_leaf: int) -> tuple[int, float] | None:
    """The factor and cut (between two runs' values) that most lower the runs' summed Gini
    impurity, each side keeping `min_leaf` runs; None if no split lowers it."""
    n = len(y)
    best, best_impurity = None, n * _gini(y.mean()) - 1e-12
    k = np.arange(1, n)
    for j in range(x.shape[1]):
        order = np.argsort(x[:, j], kind="stable")
        xs, cases = x[order, j], np.cumsum(y[order])[:-1]
        impurity = k * _gini(cases / k) + (n - k) * _gini((y.sum() - cases) / (n - k))
        valid = (k >= min_leaf) & (n - k >= min_leaf) & (xs[:-1] < xs[1:])
        if valid.any():
            at = np.flatnonzero(valid)[np.argmin(impurity[valid])]
            if impurity[at] < best_impurity:
                best, best_impurity = (j, float((xs[at] + xs[at + 1]) / 2)), impurity[at]
    return best


def _gini(p):
    return 2 * p * (1 - p)


def discover(x: np.ndarray, names: list[str], y: np.ndarray, when: str, alpha: float = 0.05,
             min_mass: float = 0.05, min_coverage: float = 0.5, max_depth: int = 3) -> Discovery:
    """PRIM and CART over factor values x [runs, factors] for the cases y (bool per run)."""
    y = np.asarray(y, dtype=bool)
    if not y.any() or y.all():
        raise InputError(Problem("--when", message=f"holds in {int(y.sum())} of {len(y)} runs: "
                                                    "nothing to tell apart"))
    trajectory, box, chosen, b = prim(x, y, names, alpha, min_mass, min_coverage)
    return Discovery(when, int(y.sum()), len(y), trajectory, box, chosen, b.coverage, b.density, b.mass,
                     cart_rules(x, y, names, max_depth))

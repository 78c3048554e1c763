"""Global sensitivity: which uncertain quantities drive each line's outcomes.

Factors are the quantities the engine draws, grouped by default: every point of one schedule (a
line's demand, refurbishment, a supplier's deliveries) is one factor; each other quantity (a
storage class's stock or yield, a production base …) is its own factor. Within a group each
point keeps its own uniform; a Saltelli design moves them together (SALib's groups).

- Sobol (`saltelli_design`, `sobol_indices`): first-order and total indices with bootstrap
  confidence intervals, from a Saltelli design of N·(D + 2) runs for D factors.
- Screening (`pawn_indices`): SALib's PAWN index on an existing ensemble, no new runs, beside a
  dummy factor's; a group enters as the mean of its points' uniforms (how high the schedule was
  drawn as a whole).
- Over time (`series_indices`): first-order indices of a per-step series at every step, by the
  correlation ratio (the variance of the series' mean within equal-count bins of a factor over
  its total variance) on the kept trajectories; with independent factors its expected value
  where a factor has no effect is (bins − 1)/(runs − 1), given as `noise`.

Outcomes are per line and run: `runout` (the step storage runs out; runs where it never does are
censored at one step past the horizon, step T), `first_shortfall` (likewise), `shortfall`
(cumulative) and `ratio` (supply over demand).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from materiel.analysis.outcomes import Ensemble
from materiel.engine.draws import Design, drawn_paths
from materiel.engine.layout import Layout
from materiel.engine.sampling import uniforms
from materiel.engine.scalars import NEVER
from materiel.errors import InputError, Problem

OUTCOMES = ("runout", "first_shortfall", "shortfall", "ratio")
SERIES = ("front", "storage", "shortfall")
_SCHEDULE_POINT = re.compile(r"\.(values|deliveries)\..*$")
BINS = 16
DUMMY = "dummy"  # the path of a uniform no quantity reads: screening's reference for "no effect"


def factor_of(path: str) -> str:
    """The default factor of a quantity: its schedule for a schedule's point, else the path itself."""
    return _SCHEDULE_POINT.sub(lambda m: f".{m.group(1)}", path)


def factors(lay: Layout, grouped: bool = True) -> dict[str, list[str]]:
    """Factor → the paths of the quantities it moves, in drawing order (each path alone if not grouped)."""
    out: dict[str, list[str]] = {}
    for path in drawn_paths(lay):
        out.setdefault(factor_of(path) if grouped else path, []).append(path)
    return out


def _problem(groups: dict[str, list[str]]) -> dict:
    paths = [p for members in groups.values() for p in members]
    problem = {"num_vars": len(paths), "names": paths, "bounds": [[0.0, 1.0]] * len(paths)}
    if any(len(m) > 1 for m in groups.values()):
        problem["groups"] = [f for f, members in groups.items() for _ in members]
    return problem


def saltelli_design(groups: dict[str, list[str]], base_samples: int, seed: int) -> Design:
    """A Saltelli design (scrambled Sobol sequence) of base_samples·(D + 2) runs for D factors."""
    from SALib.sample import sobol

    if base_samples < 2 or base_samples & (base_samples - 1):
        raise InputError(Problem("--base-samples", message=f"must be a power of 2 (at least 2), got {base_samples}"))
    problem = _problem(groups)
    u = sobol.sample(problem, base_samples, calc_second_order=False, scramble=True, seed=seed)
    return Design(tuple(problem["names"]), np.clip(u, 2.0**-53, 1 - 2.0**-53))  # the sequence may hold 0


def outcome_values(ens: Ensemble, name: str, i: int) -> np.ndarray:
    """Per-run values of a scalar outcome of line i, as float64; never (NEVER) is censored at step T."""
    values = getattr(ens.scalars, name)[:, i]
    if name in ("runout", "first_shortfall"):
        return np.where(values == NEVER, ens.layout.steps, values).astype(np.float64)
    return values.astype(np.float64)


def _analysable(ens: Ensemble, outcomes, lines: list[int], left_out: list[str]):
    """(outcome, side, line, per-run values) of each outcome and line with indices to compute: finite
    in every run and not the same in all; the others' "outcome of side/line" go to `left_out`."""
    for name in outcomes:
        for i in lines:
            y = outcome_values(ens, name, i)
            side, line = ens.layout.lines[i]
            if np.isfinite(y).all() and np.ptp(y) > 0:
                yield name, side, line, y
            else:
                left_out.append(f"{name} of {side}/{line}")


def check_names(method: str, outcomes, series) -> None:
    """InputError naming an unknown method, outcome or series."""
    problems = [] if method in ("sobol", "pawn") else [
        Problem("--method", message=f"expected sobol or pawn, got {method!r}")]
    problems += [Problem("--outcome", message=f"unknown outcome {x!r}; expected one of {', '.join(OUTCOMES)}")
                 for x in outcomes if x not in OUTCOMES]
    problems += [Problem("--series", message=f"unknown series {x!r}; expected one of {', '.join(SERIES)}")
                 for x in series if x not in SERIES]
    if problems:
        raise InputError(problems)


def lines_of(lay: Layout, lines) -> list[int]:
    """Indices of `side/line` labels (all lines if None); InputError naming an unknown one."""
    labels = lay.line_labels()
    if lines is None:
        return list(range(len(labels)))
    unknown = [x for x in lines if x not in labels]
    if unknown:
        raise InputError([Problem("--line", message=f"no line {x}; lines: {', '.join(labels)}") for x in unknown])
    return [labels.index(x) for x in lines]


def sobol_indices(ens: Ensemble, groups: dict[str, list[str]], outcomes, lines: list[int],
                  seed: int) -> pd.DataFrame:
    """Tidy first-order and total Sobol indices (95% intervals) of each outcome and line of a Saltelli
    run; outcomes constant across runs (a line without storage) are left out."""
    from SALib.analyze import sobol

    problem = _problem(groups)
    names = list(groups)
    rows, left_out = [], []
    for name, side, line, y in _analysable(ens, outcomes, lines, left_out):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed)
        for k, f in enumerate(names):
            rows.append({"outcome": name, "side": side, "line": line, "factor": f, "S1": res["S1"][k],
                         "S1_conf": res["S1_conf"][k], "ST": res["ST"][k], "ST_conf": res["ST_conf"][k]})
    return _tidy(rows, "ST", left_out)


def factor_values(groups: dict[str, list[str]], seed: int, runs: int) -> np.ndarray:
    """Each factor's value per run of an ordinary ensemble [runs, factors]: its hashed uniform, or the
    mean of its points' uniforms for a group."""
    index = np.arange(runs, dtype=np.int64)
    return np.column_stack([np.mean([uniforms(seed, p, index) for p in members], axis=0)
                            for members in groups.values()])


def pawn_indices(ens: Ensemble, groups: dict[str, list[str]], outcomes, lines: list[int], seed: int) -> pd.DataFrame:
    """Screening on an existing ensemble: SALib's PAWN index (median over 10 slices of the KS distance
    between the outcome's distribution and its distribution given the factor), beside `dummy`, the
    index of a uniform that drives nothing (drawn like the others): factors near it do not matter."""
    from SALib.analyze import pawn

    x = factor_values({**groups, DUMMY: [DUMMY]}, ens.seed, ens.runs)
    names = list(groups)
    problem = {"num_vars": x.shape[1], "names": [*names, DUMMY], "bounds": [[0.0, 1.0]] * x.shape[1]}
    rows, left_out = [], []
    for name, side, line, y in _analysable(ens, outcomes, lines, left_out):
        res = pawn.analyze(problem, x, y, S=10, seed=seed)
        for k, f in enumerate(names):
            rows.append({"outcome": name, "side": side, "line": line, "factor": f, "pawn": res["median"][k],
                         "pawn_max": res["maximum"][k], "dummy": res["median"][-1]})
    return _tidy(rows, "pawn", left_out)


def correlation_ratio(x: np.ndarray, y: np.ndarray, bins: int = BINS) -> np.ndarray:
    """First-order index of each column of y [runs, T] on factor values x [runs]: the variance of y's
    mean within equal-count bins of x over y's variance (0 where y does not vary)."""
    rank = np.argsort(np.argsort(x, kind="stable"), kind="stable")
    b = rank * bins // len(x)
    counts = np.bincount(b, minlength=bins).astype(np.float64)
    onehot = np.zeros((len(x), bins))
    onehot[np.arange(len(x)), b] = 1.0
    y = y - y.mean(axis=0)
    means = onehot.T @ y / counts[:, None]
    between = counts @ means**2
    total = (y**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, between / np.where(total > 0, total, 1), 0.0)


def series_indices(ens: Ensemble, groups: dict[str, list[str]], series, lines: list[int],
                   every: int = 1) -> pd.DataFrame:
    """First-order indices over time of per-step series of the kept runs, at every `every`-th step."""
    if ens.kept < 2 * BINS:
        raise InputError(Problem("--keep", message=f"over-time indices need at least {2 * BINS} kept runs, got {ens.kept}"))
    x = factor_values(groups, ens.seed, ens.kept)
    steps = np.arange(0, ens.layout.steps, every)
    times = ens.times[steps]
    rows = []
    for name in series:
        for i in lines:
            y = ens.kept_series(name)[:, steps, i].astype(np.float64)
            side, line = ens.layout.lines[i]
            for k, f in enumerate(groups):
                rows.append(pd.DataFrame({"series": name, "side": side, "line": line, "factor": f, "time": times,
                                          "S1": correlation_ratio(x[:, k], y)}))
    frame = pd.concat(rows, ignore_index=True)
    frame.attrs["noise"] = (BINS - 1) / (ens.kept - 1)
    return frame


def _tidy(rows: list[dict], by: str, left_out: list[str]) -> pd.DataFrame:
    """Rows sorted by outcome, side and line, then by the given index, largest first; attrs["left_out"]:
    the outcomes without indices (the same in every run, or not finite)."""
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.sort_values(["outcome", "side", "line", by], ascending=[True, True, True, False],
                                  ignore_index=True)
    frame.attrs["left_out"] = left_out
    return frame

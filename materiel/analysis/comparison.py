"""Paired comparison of two ensembles run with the same seed and runs: the change, not the noise.

Run i of the variant and run i of the base share every draw of the quantities they share (common
random numbers), so the per-run difference variant − base isolates what the variant changed. Per
side, line and outcome: quantiles of that difference, the probability that the variant is worse
(storage runs out earlier, more shortfall, a lower supply/demand ratio) and that it is better.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from materiel.analysis.outcomes import QUANTILES, Ensemble
from materiel.engine.scalars import NEVER
from materiel.engine.timegrid import day_offsets

#: Outcome → +1 where a larger value is worse for the side, −1 where a smaller one is.
WORSE = {"runout_days": -1, "shortfall": +1, "supply_demand_ratio": -1}


#: One line's per-run outcomes: (side, line, outcome) → a float64 value per run (NaN where undefined).
PerRun = dict[tuple[str, str, str], np.ndarray]


def paired(base: Ensemble, variant: Ensemble, quantiles=QUANTILES) -> pd.DataFrame:
    """One row per side, line (in both ensembles) and outcome: base and variant medians, quantiles
    of the per-run difference (`diff_p10` …), `p_worse` and `p_better`.

    `runout_days` is the day storage runs out, counted from the start; a run in which it never
    does counts as the end of the last step, so a difference involving one is a bound.
    """
    if base.runs != variant.runs or base.seed != variant.seed:
        raise ValueError("a paired comparison needs the same seed and number of runs on both sides")
    return paired_outcomes(per_run(base), per_run(variant), quantiles)


def per_run(ens: Ensemble) -> PerRun:
    """Every line's per-run outcomes (`WORSE`'s), in the ensemble's line order; what the registry
    keeps of a run so that two stored runs can be paired later."""
    found = {}
    for i, (side, line) in enumerate(ens.layout.lines):
        for outcome in WORSE:
            values = _per_run(ens, outcome, i)
            if values is not None:
                found[side, line, outcome] = values
    return found


def paired_outcomes(base: PerRun, variant: PerRun, quantiles=QUANTILES) -> pd.DataFrame:
    """`paired`'s rows from two runs' per-run outcomes (the same runs, in the same order), for the
    keys in both, in the base's order."""
    rows = []
    for (side, line, outcome), a in base.items():
        b = variant.get((side, line, outcome))
        if b is None:
            continue
        if len(a) != len(b):
            raise ValueError("a paired comparison needs the same runs on both sides")
        diff = b - a
        d = diff[~np.isnan(diff)]
        if not d.size:
            continue
        rows.append({"side": side, "line": line, "outcome": outcome,
                     "base_p50": float(np.nanmedian(a)), "variant_p50": float(np.nanmedian(b)),
                     **{f"diff_p{round(q * 100)}": float(np.quantile(d, q, method="inverted_cdf")) for q in quantiles},
                     "p_worse": float(np.mean(WORSE[outcome] * d > 0)),
                     "p_better": float(np.mean(WORSE[outcome] * d < 0))})
    return pd.DataFrame(rows)


def paired_frame(base: Ensemble, *variants: Ensemble) -> pd.DataFrame:
    """`paired` rows of every variant against the base, the variant's scenario name in column `variant`."""
    frames = [paired(base, v).assign(variant=v.layout.scenario.name) for v in variants]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return frame[["variant", *[c for c in frame.columns if c != "variant"]]] if len(frame) else frame


def _per_run(ens: Ensemble, outcome: str, line: int) -> np.ndarray | None:
    """One line's per-run outcome as float64 (NaN where undefined), or None if it has none."""
    s = ens.scalars
    if outcome == "shortfall":
        return s.shortfall[:, line].astype(np.float64)
    if outcome == "supply_demand_ratio":
        ratio = s.ratio[:, line].astype(np.float64)
        return np.where(np.isfinite(ratio), ratio, np.nan)
    if not s.has_storage[line]:
        return None
    ends = day_offsets(ens.layout.edges)[1:].astype(np.float64)  # run-out in step t: by the end of step t
    steps = s.runout[:, line].astype(np.int64)
    return np.where(steps == NEVER, ends[-1], ends[np.clip(steps, 0, len(ends) - 1)])

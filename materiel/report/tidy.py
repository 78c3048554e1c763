"""The ensemble's trajectories as one tidy table, for outcomes.parquet.

Columns: run, date, side, line, variable, value — one row per kept run, step, line and variable
— while that is at most `MAX_TIDY_ROWS` rows; beyond, per-step quantiles across the kept runs
with `quantile` in place of `run`. `date` is the first day of the step; stocks are at the end of
the step and flows are totals over it, as in `Ensemble.trajectories`.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from materiel.analysis.outcomes import QUANTILES, Ensemble, step_quantiles
from materiel.engine.variables import VARIABLES

MAX_TIDY_ROWS = 3_000_000


def kind(ens: Ensemble) -> str:
    """'runs' if every kept run's rows fit under `MAX_TIDY_ROWS`, else 'quantiles'."""
    return "runs" if ens.kept * ens.layout.steps * len(ens.layout.lines) * len(VARIABLES) <= MAX_TIDY_ROWS \
        else "quantiles"


def outcomes_table(ens: Ensemble) -> pa.Table:
    """The tidy table (per run or per quantile, as `kind` says), with its description in the metadata."""
    by_run = kind(ens) == "runs"
    blocks = {v: ens.trajectories[v] if by_run else step_quantiles(ens.trajectories[v], QUANTILES)
              for v in VARIABLES}                               # each [runs or Q, T, L]
    first = np.arange(ens.kept, dtype=np.int32) if by_run else np.array(QUANTILES)
    n, T, L = len(first), ens.layout.steps, len(ens.layout.lines)
    per_var = L * n * T                                         # rows ordered variable, line, run, step
    values = np.concatenate([blocks[v].transpose(2, 0, 1).reshape(-1) for v in VARIABLES]).astype(np.float32)
    line = np.tile(np.repeat(np.arange(L, dtype=np.int32), n * T), len(VARIABLES))
    lines = ens.layout.lines
    columns = {
        "run" if by_run else "quantile": np.tile(np.repeat(first, T), L * len(VARIABLES)),
        "date": pa.array(np.tile(np.array(ens.layout.edges[:-1], dtype="datetime64[D]"), L * n * len(VARIABLES))),
        "side": _labels(line, [side for side, _ in lines]),
        "line": _labels(line, [name for _, name in lines]),
        "variable": _labels(np.repeat(np.arange(len(VARIABLES), dtype=np.int32), per_var), list(VARIABLES)),
        "value": values,
    }
    meta = {"kind": "runs" if by_run else "quantiles", "scenario": ens.layout.scenario.name, "seed": ens.seed,
            "runs": ens.runs, "kept_runs": ens.kept, "date": "first day of the step",
            "value": "stocks at the end of the step; flows are totals over the step"}
    return pa.table(columns).replace_schema_metadata({"materiel": json.dumps(meta)})


def _labels(index: np.ndarray, names: list[str]) -> pa.DictionaryArray:
    """Per row, `names[index]`, each distinct string stored once."""
    distinct = list(dict.fromkeys(names))
    code = np.array([distinct.index(n) for n in names], dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(code[index]), pa.array(distinct))

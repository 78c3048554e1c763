"""One deterministic run, step by step, as a tidy table — what an exported model's run is checked against.

Columns: time (first day of the step), side, line, variable, value. Stocks (front, pipeline,
storage) are at the end of the step, flows are totals over it, as in the engine; the side's
`workforce` rows (after the step's hiring) have no line. Values are float64, exactly the engine's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from materiel.engine.layout import Layout, layout
from materiel.engine.runner import Outcome, outcome
from materiel.engine.variables import VARIABLES
from materiel.errors import InputError, Problem
from materiel.scenario.schema import Scenario
from materiel.scenario.variants import deterministic

FORMATS = (".csv", ".parquet")


def deterministic_run(scenario: Scenario, quantile: float = 0.5) -> tuple[Layout, Outcome]:
    """Run the engine once on `scenario` with every quantity at `quantile`, keeping float64 trajectories."""
    lay = layout(deterministic(scenario, quantile))
    return lay, outcome(lay, 0, np.zeros(1, dtype=np.int64), keep=1, dtype=np.float64)


def trajectory_table(lay: Layout, block: Outcome, run: int = 0) -> pd.DataFrame:
    """Every stock and flow of one run of `block`, per step, line and variable."""
    times = pd.to_datetime(pd.Series(lay.edges[:-1])).dt.date
    parts = []
    for i, (side, line) in enumerate(lay.lines):
        for v in VARIABLES:
            parts.append(pd.DataFrame({"time": times, "side": side, "line": line, "variable": v,
                                       "value": block.lines[v][run, :, i]}))
    for k, side in enumerate(lay.sides):
        if np.isfinite(block.workforce[run, :, k]).all():
            parts.append(pd.DataFrame({"time": times, "side": side, "line": None, "variable": "workforce",
                                       "value": block.workforce[run, :, k]}))
    return pd.concat(parts, ignore_index=True)


def check_path(path: Path) -> None:
    """Raise InputError unless `path` names a format `write_table` knows."""
    if path.suffix.lower() not in FORMATS:
        raise InputError(Problem(str(path), message=f"expected a file ending in {' or '.join(FORMATS)}"))


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write the table as CSV or Parquet, by the file's extension."""
    check_path(path)
    try:
        if path.suffix.lower() == ".csv":
            table.to_csv(path, index=False)
        else:
            table.to_parquet(path, index=False)
    except OSError as exc:
        raise InputError(Problem(str(path), message=f"cannot write: {exc.strerror or exc}")) from None

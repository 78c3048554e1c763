"""`sensitivity` and `discover`: run the ensembles they need and analyse them (analysis/sensitivity.py,
analysis/discovery.py). Blocks run on `workers` or `dask` like `simulate`, with the same results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from materiel.analysis import discovery
from materiel.analysis import sensitivity as sa
from materiel.engine.layout import layout
from materiel.scenario.schema import Scenario
from materiel.simulation import simulate

KEEP = 2_000  # runs whose trajectories give the indices over time


def sensitivity(scenario: Scenario, outcomes: Sequence[str] = ("runout", "shortfall", "ratio"),
                lines: Sequence[str] | None = None, *, method: str = "sobol", base_samples: int = 256,
                runs: int = 10_000, seed: int = 0, grouped: bool = True, series: Sequence[str] = (),
                keep: int = KEEP, every: int = 1, workers: int = 1, dask: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Indices of scalar outcomes per line (`lines`: "side/line" labels, default all) and, for each
    of `series`, first-order indices over time at every `every`-th step.

    method "sobol": a Saltelli design of base_samples·(D + 2) runs (first-order and total indices);
    "pawn": screening on an ordinary ensemble of `runs` runs (PAWN indices beside a dummy factor's).
    The indices over time come from `keep` runs of an ordinary ensemble. Returns two tidy frames
    (the second None without `series`); frame.attrs holds the method, runs and factors.
    """
    sa.check_names(method, outcomes, series)
    lay = layout(scenario)
    groups = sa.factors(lay, grouped)
    chosen = sa.lines_of(lay, lines)
    options = dict(seed=seed, workers=workers, dask=dask, progress=progress)
    if method == "sobol":
        design = sa.saltelli_design(groups, base_samples, seed)
        n = design.uniforms.shape[0]
        ens = simulate(scenario, runs=n, keep=0, design=design, **options)
        indices = sa.sobol_indices(ens, groups, outcomes, chosen, seed)
        trajectories = simulate(scenario, runs=keep, keep=keep, **options) if series else None
    else:
        n = runs
        ens = simulate(scenario, runs=runs, keep=min(keep, runs) if series else 0, **options)
        indices = sa.pawn_indices(ens, groups, outcomes, chosen, seed)
        trajectories = ens
    indices.attrs.update(method=method, runs=n, factors=len(groups), base_samples=base_samples if method == "sobol" else None)
    over_time = sa.series_indices(trajectories, groups, series, chosen, every) if series else None
    return indices, over_time


def discover(scenario: Scenario, when: str, *, runs: int = 10_000, seed: int = 0, grouped: bool = True,
             workers: int = 1, dask: str | None = None, progress: Callable[[int, int], None] | None = None,
             **options) -> discovery.Discovery:
    """PRIM boxes and CART rules over the factors for the runs where `when` holds, e.g.
    "russia/tanks runout before 2026-01-01" (analysis/discovery.py)."""
    lay = layout(scenario)
    condition = discovery.parse_when(when, lay)
    ens = simulate(scenario, runs=runs, seed=seed, keep=0, workers=workers, dask=dask, progress=progress)
    groups = sa.factors(lay, grouped)
    return discovery.discover(sa.factor_values(groups, seed, runs), list(groups), condition.holds(ens),
                              when, **options)

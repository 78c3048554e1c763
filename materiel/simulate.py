"""`simulate`: run an ensemble of a scenario in blocks and gather its outcomes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from materiel.analysis.outcomes import Ensemble, RunScalars
from materiel.engine.inputs import layout
from materiel.engine.runner import VARIABLES, Block, run_ensemble
from materiel.scenario.schema import Scenario

BLOCK_BYTES = 128 * 2**20       # working memory of one block
TRAJECTORY_BYTES = 512 * 2**20  # trajectories kept for the result


def simulate(scenario: Scenario, runs: int = 10_000, seed: int = 0, *, block_size: int | None = None,
             keep: int | None = None, progress: Callable[[int, int], None] | None = None) -> Ensemble:
    """Run `runs` runs of `scenario` and return their outcomes.

    Results depend only on the scenario, `seed` and the run indices, never on `block_size`.
    Trajectories are kept for the first `keep` runs (default: as many as fit in 512 MiB);
    per-run outcomes (run-out, shortfall, supply/demand) are kept for every run.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    lay = layout(scenario)
    T, L = lay.steps, len(lay.lines)
    per_run = T * (L * (len(VARIABLES) + 4) + len(lay.suppliers) + 2 * len(lay.sides)) * 8
    block_size = block_size or int(np.clip(BLOCK_BYTES // per_run, 16, runs))
    if keep is None:
        keep = int(min(runs, TRAJECTORY_BYTES // (T * (L * len(VARIABLES) + len(lay.sides)) * 4)))
    keep = min(keep, runs)
    kept = {v: np.empty((keep, T, L), dtype=np.float32) for v in VARIABLES}
    workforce = np.empty((keep, T, len(lay.sides)), dtype=np.float32)
    parts: list[RunScalars] = []
    done = 0

    def gather(block: Block) -> None:
        nonlocal done
        parts.append(RunScalars.of(block))
        stored = block.runs[block.runs < keep]
        if stored.size:
            for v in VARIABLES:
                kept[v][stored] = block.lines[v][: stored.size]
            workforce[stored] = np.where(np.isinf(block.workforce), np.nan, block.workforce)[: stored.size]
        done += block.runs.size
        if progress:
            progress(done, runs)

    run_ensemble(lay, seed, runs, block_size, gather)
    return Ensemble(lay, seed, runs, RunScalars.concat(parts), kept, workforce)

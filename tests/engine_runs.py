"""Helpers for tests that look inside one block of engine runs."""

from __future__ import annotations

import numpy as np

from materiel.engine.draws import sample_draws
from materiel.engine.layout import Layout, layout
from materiel.engine.runner import Outcome, outcome
from materiel.scenario.schema import Scenario


def engine_block(sc: Scenario, seed: int, runs: np.ndarray) -> tuple[Layout, Outcome]:
    """Every run of `runs` through the engine, float64 trajectories of all of them kept."""
    lay = layout(sc)
    return lay, outcome(lay, seed, runs, keep=int(runs.max()) + 1, dtype=np.float64)


def starting_stocks(lay: Layout, seed: int, runs: np.ndarray) -> dict[str, np.ndarray]:
    """Stocks before the first step [R, L], worked out from the draws: front, pipeline and workshop (empty),
    storage."""
    d = sample_draws(lay, seed, runs)
    front = d.engagement.front.T
    return {"front": front, "pipeline": np.zeros_like(front), "workshop": np.zeros_like(front),
            "storage": d.refurbishment.stock.sum(axis=1).T}

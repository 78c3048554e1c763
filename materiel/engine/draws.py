"""One block's draws: every mechanism's per-run numbers, drawn by scenario path and run index."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from materiel.engine.layout import Layout
from materiel.engine.mechanisms import engagement, imports, production, refurbishment, transit, workforce
from materiel.engine.sampling import draw


class Draws(NamedTuple):
    """Each mechanism's `Pars`, for one block of runs (every array with runs last)."""

    production: production.Pars
    workforce: workforce.Pars
    refurbishment: refurbishment.Pars
    transit: transit.Pars
    imports: imports.Pars
    engagement: engagement.Pars


MECHANISMS = (production, workforce, refurbishment, transit, imports, engagement)  # in `Draws` order


def sample_draws(lay: Layout, seed: int, runs: np.ndarray) -> Draws:
    """Draw every uncertain quantity for the given run indices."""
    return Draws(*(m.draw(lay, lambda quantity, path: draw(quantity, path, seed, runs), len(runs))
                   for m in MECHANISMS))


def draw_bytes(lay: Layout) -> int:
    """Bytes of one run's `Draws` (the same shapes, filled with zeros instead of draws)."""
    zeros = Draws(*(m.draw(lay, lambda quantity, path: np.zeros(1), 1) for m in MECHANISMS))
    return sum(a.nbytes for pars in zeros for a in pars)


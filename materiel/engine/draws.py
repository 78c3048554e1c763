"""One block's draws: every mechanism's per-run numbers, drawn by scenario path and run index."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from materiel.engine.layout import Layout
from materiel.engine.mechanisms import engagement, imports, production, refurbishment, repair, transit, workforce
from materiel.engine.sampling import draw
from materiel.scenario.distributions import quantile


class Draws(NamedTuple):
    """Each mechanism's `Pars`, for one block of runs (every array with runs last)."""

    production: production.Pars
    workforce: workforce.Pars
    refurbishment: refurbishment.Pars
    transit: transit.Pars
    imports: imports.Pars
    engagement: engagement.Pars
    repair: repair.Pars


MECHANISMS = (production, workforce, refurbishment, transit, imports, engagement, repair)  # in `Draws` order


class Design(NamedTuple):
    """Uniforms in (0, 1) chosen from outside (a Sobol, Morris or Latin-hypercube design): column j
    of `uniforms` [runs, paths] is used for the quantity at `paths[j]` in place of its hashed draws;
    row r is run r. Quantities not named keep their hashed draws (common random numbers)."""

    paths: tuple[str, ...]
    uniforms: np.ndarray


def sample_draws(lay: Layout, seed: int, runs: np.ndarray, design: Design | None = None) -> Draws:
    """Draw every uncertain quantity for the given run indices; `design`: this block's rows of a design."""
    column = {} if design is None else {p: j for j, p in enumerate(design.paths)}

    def q(quantity, path):
        if path in column:
            return quantile(quantity, design.uniforms[:, column[path]])
        return draw(quantity, path, seed, runs)

    return Draws(*(m.draw(lay, q, len(runs)) for m in MECHANISMS))


def drawn_paths(lay: Layout) -> list[str]:
    """Paths of the uncertain quantities the engine draws, in drawing order (a design may name these)."""
    paths: list[str] = []

    def record(quantity, path):
        if quantity.dist != "point":
            paths.append(path)
        return np.zeros(1)

    for m in MECHANISMS:
        m.draw(lay, record, 1)
    return paths


def draw_bytes(lay: Layout) -> int:
    """Bytes of one run's `Draws` (the same shapes, filled with zeros instead of draws)."""
    zeros = Draws(*(m.draw(lay, lambda quantity, path: np.zeros(1), 1) for m in MECHANISMS))
    return sum(a.nbytes for pars in zeros for a in pars)


"""One block's draws: every mechanism's per-run numbers, drawn by scenario path and run index."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from materiel.engine.layout import Layout
from materiel.engine.mechanisms import engagement, imports, production, refurbishment, transit, workforce
from materiel.engine.sampling import draw


class Draws(NamedTuple):
    """Each mechanism's `Pars`, for one block of runs."""

    production: production.Pars
    workforce: workforce.Pars
    refurbishment: refurbishment.Pars
    transit: transit.Pars
    imports: imports.Pars
    engagement: engagement.Pars


MECHANISMS = (production, workforce, refurbishment, transit, imports, engagement)  # in `Draws` order
CHUNK = 64  # runs the kernel steps together, innermost


def sample_draws(lay: Layout, seed: int, runs: np.ndarray) -> Draws:
    """Draw every uncertain quantity for the given run indices."""
    return Draws(*(m.draw(lay, lambda quantity, path: draw(quantity, path, seed, runs), len(runs))
                   for m in MECHANISMS))


def draw_bytes(lay: Layout) -> int:
    """Bytes of one run's `Draws` (the same shapes, filled with zeros instead of draws)."""
    zeros = Draws(*(m.draw(lay, lambda quantity, path: np.zeros(1), 1) for m in MECHANISMS))
    return sum(a.nbytes for pars in zeros for a in pars)


def by_chunk(d: Draws) -> Draws:
    """Every array [R, …] as [chunks, …, CHUNK]: a chunk's runs last and contiguous (the last chunk padded)."""
    def chunked(a: np.ndarray) -> np.ndarray:
        R, chunks = a.shape[0], -(-a.shape[0] // CHUNK)
        padded = np.zeros((chunks * CHUNK, *a.shape[1:]), dtype=a.dtype)
        padded[:R] = a
        return np.ascontiguousarray(np.moveaxis(padded.reshape(chunks, CHUNK, *a.shape[1:]), 1, -1))

    return Draws(*(type(pars)(*(chunked(a) for a in pars)) for pars in d))

"""One block's outcomes: draw the block's runs, step them in the compiled kernel, reduce them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from materiel.engine.draws import Design, sample_draws
from materiel.engine.layout import Layout
from materiel.engine.scalars import RunScalars
from materiel.engine.variables import SKETCHED, VARIABLES


@dataclass
class Outcome:
    """One block's outcomes: per-run scalars for every run, trajectories for the first `keep` runs."""

    runs: np.ndarray
    scalars: RunScalars
    lines: dict[str, np.ndarray]   # var → [k, T, L] for the block's runs with index < keep
    workforce: np.ndarray          # [k, T, S]
    bands: np.ndarray | None = None  # [5, T, L, BINS] histogram counts of `SKETCHED` series, every run


def outcome(lay: Layout, seed: int, runs: np.ndarray, keep: int, dtype=np.float32,
            into: tuple[np.ndarray, np.ndarray] | None = None, bands: bool = False,
            design: Design | None = None) -> Outcome:
    """Draw, step and reduce one block of consecutive runs; keep trajectories (as `dtype`) of runs below `keep`.

    `into`: where to write the kept trajectories [k, V, T, L] and workforce [k, T, S] (new arrays if None);
    C-contiguous, as a block of runs of the ensemble's store is, so the kernel has one signature.
    `bands`: also count every run's `SKETCHED` series in per-step histograms (engine/histogram.py).
    `design`: the block's rows of an external design (`draws.Design`), used in place of hashed draws.
    """
    T, L = lay.steps, len(lay.lines)
    k = int(np.count_nonzero(runs < keep))
    traj, workforce = into or (np.empty((k, len(VARIABLES), T, L), dtype=dtype),
                               np.empty((k, T, len(lay.sides)), dtype=dtype))
    series = np.empty((len(SKETCHED), T, L, runs.size if bands else 0), dtype=np.float32)
    from materiel.engine import kernel  # numba loads only when the engine runs

    scalars = kernel.outcome(lay, sample_draws(lay, seed, runs, design), traj, workforce, series)
    counts = None
    if bands:
        from materiel.engine import histogram

        counts = np.zeros((len(SKETCHED), T, L, histogram.BINS), dtype=np.int32)
        histogram.add(counts, series)
    return Outcome(runs, scalars, {v: traj[:, j] for j, v in enumerate(VARIABLES)}, workforce, counts)


def blocks(total: int, size: int) -> Iterator[np.ndarray]:
    """Run indices in consecutive blocks of at most `size`."""
    for first in range(0, total, size):
        yield np.arange(first, min(first + size, total), dtype=np.int64)

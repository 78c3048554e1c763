"""`simulate`: run an ensemble of a scenario in blocks and gather its outcomes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from materiel.analysis.outcomes import Ensemble
from materiel.engine import parallel
from materiel.engine.draws import Design, draw_bytes, drawn_paths
from materiel.engine.layout import Layout, layout
from materiel.engine.runner import Outcome, blocks, outcome
from materiel.engine.scalars import RunScalars
from materiel.engine.variables import SKETCHED, VARIABLES
from materiel.errors import InputError, Problem
from materiel.scenario.schema import Scenario

BLOCK_BYTES = 128 * 2**20       # the draws of one block
BLOCK_LINE_STEPS = 2**25        # work in one block: about a tenth of a second
TRAJECTORY_BYTES = 512 * 2**20  # trajectories kept for the result
SERIES_BYTES = 64 * 2**20      # one block's series for the histograms (bands=True)
PARALLEL_BLOCKS = 8             # at least this many blocks when they are spread over workers
DRAW_COPIES = 3                 # a block's draws at their peak: the arrays and the temporaries of drawing them


def simulate(scenario: Scenario, runs: int = 10_000, seed: int = 0, *, block_size: int | None = None,
             keep: int | None = None, progress: Callable[[int, int], None] | None = None,
             workers: int = 1, dask: str | None = None, bands: bool = False,
             design: Design | None = None) -> Ensemble:
    """Run `runs` runs of `scenario` and return their outcomes.

    Results depend only on the scenario, `seed` and the run indices, never on `block_size`.
    Trajectories are kept for the first `keep` runs (default: as many as fit in 512 MiB);
    per-run outcomes (run-out, shortfall, supply/demand) are kept for every run. Blocks run in
    `workers` local processes, or on the Dask scheduler at `dask` ("local": a LocalCluster started
    here); the results are the same.
    `bands`: per-step quantiles of every run's front, storage, supply, lost and shortfall, streamed
    through fixed-bin histograms (`Ensemble.step_quantiles`; engine/histogram.py states the error).
    `design`: uniforms [runs, paths] used in place of the hashed draws of the quantities it names
    (`engine.draws.Design`); run r reads row r, whatever the blocks.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    lay = layout(scenario)
    if design is not None:
        check_design(lay, design, runs)
    T, L = lay.steps, len(lay.lines)
    if block_size is None:
        size = BLOCK_LINE_STEPS // (T * L)
        size = min(size, BLOCK_BYTES // (DRAW_COPIES * draw_bytes(lay)))  # short horizons: many runs a block
        if workers > 1 or dask is not None:
            size = min(size, -(-runs // PARALLEL_BLOCKS))
        if bands:
            size = min(size, SERIES_BYTES // (len(SKETCHED) * T * L * 4))
        block_size = int(np.clip(size, 16, runs))
    if keep is None:
        keep = int(min(runs, TRAJECTORY_BYTES // (T * (L * len(VARIABLES) + len(lay.sides)) * 4)))
    keep = min(keep, runs)
    store = np.empty((keep, len(VARIABLES), T, L), dtype=np.float32)  # a block's runs are contiguous
    kept = {v: store[:, j] for j, v in enumerate(VARIABLES)}
    workforce = np.empty((keep, T, len(lay.sides)), dtype=np.float32)
    scalars = RunScalars.allocate(runs, L, T, len(lay.races))
    counts = None
    done = 0

    def gather(out: Outcome) -> None:
        nonlocal done, counts
        if out.bands is not None:
            if counts is None:
                counts = np.zeros(out.bands.shape, dtype=np.int64)
            counts += out.bands
        scalars.put(int(out.runs[0]), out.scalars)
        k = out.workforce.shape[0]
        if k and not np.may_share_memory(out.workforce, workforce):  # computed elsewhere: copy it in
            first = int(out.runs[0])  # blocks are consecutive runs; the kept ones come first
            for v in VARIABLES:
                kept[v][first:first + k] = out.lines[v]
            workforce[first:first + k] = out.workforce
        done += out.runs.size
        if progress:
            progress(done, runs)

    jobs = ((lay, seed, index, keep, np.float32, None, bands, _rows(design, index))
            for index in blocks(runs, block_size))
    if dask is not None:
        done_blocks = parallel.on_dask(outcome, jobs, dask)
    elif workers > 1:
        done_blocks = parallel.in_processes(outcome, jobs, workers)
    else:  # in this process: kept trajectories are written where they stay
        done_blocks = (outcome(*job[:5], _kept_part(store, workforce, job[2]), *job[6:]) for job in jobs)
    for out in done_blocks:
        gather(out)
    workforce[np.isinf(workforce)] = np.nan  # sides without a workforce limit
    return Ensemble(lay, seed, runs, scalars, kept, workforce, counts)


def _kept_part(store: np.ndarray, workforce: np.ndarray, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The slices of the kept trajectories that a block of consecutive runs fills."""
    first = int(runs[0])
    last = max(first, min(int(runs[-1]) + 1, workforce.shape[0]))
    return store[first:last], workforce[first:last]


def check_design(lay: Layout, design: Design, runs: int) -> None:
    """A design names quantities the engine draws, once each, with one row per run of uniforms in (0, 1)."""
    known = set(drawn_paths(lay))
    problems = [Problem("design", p, message="is not an uncertain quantity the engine draws")
                for p in design.paths if p not in known]
    if len(set(design.paths)) < len(design.paths):
        problems.append(Problem("design", message="names a quantity more than once"))
    u = np.asarray(design.uniforms)
    if u.shape != (runs, len(design.paths)):
        problems.append(Problem("design", message=f"uniforms have shape {u.shape}, expected {(runs, len(design.paths))}"))
    elif not ((u > 0) & (u < 1)).all():
        problems.append(Problem("design", message="uniforms must lie strictly between 0 and 1"))
    if problems:
        raise InputError(problems)


def _rows(design: Design | None, runs: np.ndarray) -> Design | None:
    """A block's rows of the design (consecutive runs), to travel with the block's job."""
    if design is None:
        return None
    return Design(design.paths, np.ascontiguousarray(design.uniforms[runs[0]:runs[-1] + 1], dtype=np.float64))


def paired_ensembles(base: Scenario, *variants: Scenario, runs: int = 10_000, seed: int = 0, keep: int = 0,
                     workers: int = 1, dask: str | None = None,
                     progress: Callable[[int, int], None] | None = None) -> list[Ensemble]:
    """The base and each variant, run with the same seed and runs (so paired run by run), the first
    `keep` runs' trajectories kept."""
    total = runs * (1 + len(variants))

    def ensemble(sc: Scenario, k: int) -> Ensemble:
        step = (lambda done, _: progress(k * runs + done, total)) if progress else None
        return simulate(sc, runs=runs, seed=seed, keep=keep, progress=step, workers=workers, dask=dask)

    return [ensemble(sc, k) for k, sc in enumerate((base, *variants))]


def compare(base: Scenario, *variants: Scenario, runs: int = 10_000, seed: int = 0, workers: int = 1,
            dask: str | None = None, progress: Callable[[int, int], None] | None = None):
    """Each variant against the base, paired run by run: a tidy frame of `analysis.comparison.paired`
    rows, with the variant's name in column `variant`."""
    from materiel.analysis.comparison import paired_frame

    return paired_frame(*paired_ensembles(base, *variants, runs=runs, seed=seed, workers=workers, dask=dask,
                                          progress=progress))

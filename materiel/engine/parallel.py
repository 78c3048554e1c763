"""Blocks of runs computed in other processes: local worker processes or a Dask cluster.

Every block's outcome depends only on its run indices (draws are keyed by run), so where it is
computed changes nothing: blocks come back in run order and the ensemble is the one a single
process makes, bit for bit. A few blocks per worker are in flight at once, so memory stays
bounded however many runs there are.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from materiel.engine.runner import Outcome

AHEAD = 2  # blocks in flight per worker


def in_processes(task: Callable[..., Outcome], jobs: Iterable[tuple], workers: int) -> Iterator[Outcome]:
    """task(*job) for each job in `workers` local processes (spawned: numba's threads do not survive fork)."""
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_share_cores, initargs=(threads,)) as pool:
        yield from _in_order(pool.submit, task, jobs, workers, lambda f: f.result())


def on_dask(task: Callable[..., Outcome], jobs: Iterable[tuple], address: str) -> Iterator[Outcome]:
    """task(*job) for each job on a Dask cluster: a scheduler's address, or "local" for a LocalCluster here."""
    from distributed import Client, LocalCluster

    cores = os.cpu_count() or 1
    cluster = LocalCluster(n_workers=cores, processes=True, threads_per_worker=1, dashboard_address=None,
                           env={"NUMBA_NUM_THREADS": "1"}) if address == "local" else None
    with Client(cluster or address) as client:
        workers = max(1, len(client.scheduler_info()["workers"]))
        try:
            yield from _in_order(lambda *a: client.submit(*a, pure=False), task, jobs, workers,
                                 lambda f: f.result())
        finally:
            if cluster is not None:
                cluster.close()


def _in_order(submit, task, jobs, workers: int, result) -> Iterator[Outcome]:
    """Submit jobs keeping `AHEAD` per worker in flight; yield their results in submission order."""
    pending: deque = deque()
    for job in jobs:
        pending.append(submit(task, *job))
        if len(pending) >= AHEAD * workers:
            yield result(pending.popleft())
    while pending:
        yield result(pending.popleft())


def _share_cores(threads: int) -> None:
    """In each worker process: numba uses its share of the cores, not all of them."""
    os.environ["NUMBA_NUM_THREADS"] = str(threads)

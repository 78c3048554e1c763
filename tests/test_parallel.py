"""Runs spread over worker processes or a Dask cluster give the very ensemble one process makes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from materiel.engine.scalars import FIELDS
from materiel.scenario.loading import load_scenario
from materiel.scenario.variants import with_time_frame
from materiel.simulation import simulate

RUNS = 300


@pytest.fixture(scope="module")
def scenario():
    return with_time_frame(load_scenario("russia-ukraine-2022"), dt.date(2023, 6, 30))


@pytest.fixture(scope="module")
def single(scenario):
    return simulate(scenario, runs=RUNS, seed=5, keep=50)


def assert_identical(a, b) -> None:
    for f in (*FIELDS, "has_storage"):
        assert np.array_equal(getattr(a.scalars, f), getattr(b.scalars, f)), f
    for v in a.trajectories:
        assert np.array_equal(a.trajectories[v], b.trajectories[v], equal_nan=True), v
    assert np.array_equal(a.workforce, b.workforce, equal_nan=True)


def test_local_workers_give_the_single_process_result(scenario, single):
    assert_identical(single, simulate(scenario, runs=RUNS, seed=5, keep=50, workers=2, block_size=37))


def test_a_dask_cluster_of_two_workers_gives_the_single_process_result(scenario, single):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert_identical(single, simulate(scenario, runs=RUNS, seed=5, keep=50, dask=cluster.scheduler_address,
                                          block_size=64))


def test_the_command_line_spreads_runs_over_workers_with_the_same_summary(cli, tmp_path):
    docs = []
    for extra in ([], ["--workers", "2"]):
        out = tmp_path / f"summary{len(docs)}.json"
        done = cli("run", "--runs", "400", "--horizon", "2023-06-30", "--no-store", "-q", "--json", str(out), *extra)
        assert done.returncode == 0, done.stderr
        docs.append(out.read_text())
    assert docs[0] == docs[1]

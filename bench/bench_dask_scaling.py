"""How the Dask path scales with workers: python bench/bench_dask_scaling.py [RUNS] (default 1,000,000).

The same ensemble on a local Dask cluster of one worker, then of two, each worker a process with
one thread and one numba thread, so the speed-up is that of adding a worker (as on a cluster of
single-core machines). `materiel bench` compares with one process using every core instead.
"""

import json
import sys

from distributed import LocalCluster

from materiel.bench import in_process


def main(runs: int) -> None:
    rows = []
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          env={"NUMBA_NUM_THREADS": "1"}) as cluster:
            row = in_process(runs=runs, dask=cluster.scheduler_address)
        rows.append({**row, "dask_workers": workers})
        print(f"{workers} Dask worker(s): {row['seconds']:.2f} s, "
              f"{row['line_steps_per_second'] / 1e6:.1f} M line-steps/s", file=sys.stderr)
    print(json.dumps({"runs": runs, "rows": rows, "speedup": rows[0]["seconds"] / rows[1]["seconds"]}, indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

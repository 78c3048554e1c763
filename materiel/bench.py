"""`materiel bench`: how fast the engine is, at sizes from a thousand to a million runs.

Each measurement runs in a fresh process (`python -m materiel.bench MEASUREMENT`), so its peak
resident memory is its own and its timing excludes start-up and compilation (a small warm-up
ensemble runs first). Figures: line-steps per second (runs × steps × lines ÷ seconds), the
scaling exponents of time against runs and against steps (least squares on log-log), peak RSS,
the same model exported to XMILE and run in PySD (when installed) as a baseline, and the command
line's wall time with a cold and a warm compile cache.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SCENARIO = "russia-ukraine-2022"
SIZES = (1_000, 10_000, 100_000, 1_000_000)
STEPS = ("month", "week", "day")


def measure(runs: int, step: str | None = None, keep: int | None = 0,
            workers: int = 1, dask: str | None = None) -> dict:
    """One ensemble of the built-in scenario in this process: seconds, line-steps/s, peak RSS.

    keep=0 (the default here): per-run outcomes only; None: simulate's default sample of trajectories.
    """
    from materiel.scenario.loading import load_scenario
    from materiel.scenario.variants import with_time_frame
    from materiel.simulation import simulate

    sc = with_time_frame(load_scenario(SCENARIO), step=step)
    simulate(sc, runs=min(runs, 200), seed=1, keep=0)  # compile or load the cache
    began = time.perf_counter()
    ens = simulate(sc, runs=runs, seed=0, keep=keep, workers=workers, dask=dask)
    seconds = time.perf_counter() - began
    line_steps = runs * ens.layout.steps * len(ens.layout.lines)
    return {"runs": runs, "step": sc.step, "steps": ens.layout.steps, "lines": len(ens.layout.lines),
            "workers": workers, "dask": dask, "kept": ens.kept, "seconds": seconds,
            "line_steps_per_second": line_steps / seconds, "runs_per_second": runs / seconds,
            "peak_rss_mib": peak_rss_mib()}


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def in_process(**kwargs) -> dict:
    """`measure(**kwargs)` in a fresh Python process."""
    done = subprocess.run([sys.executable, "-m", "materiel.bench", json.dumps(kwargs)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def pysd_runs_per_second(repeats: int = 3) -> dict | None:
    """The scenario's deterministic variant exported to XMILE and run in PySD; None without PySD."""
    try:
        import pysd
    except ImportError:
        return None
    from materiel.interop import export_xmile
    from materiel.scenario.loading import load_scenario

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.xmile"
        export_xmile(load_scenario(SCENARIO), path, 0.5)
        model = pysd.read_xmile(str(path))
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            model.run()
            times.append(time.perf_counter() - began)
    return {"seconds_per_run": min(times), "runs_per_second": 1 / min(times)}


def cli_seconds(args: list[str], repeats: int = 3, env: dict | None = None) -> float:
    """Best wall time of `materiel ARGS` in a fresh process, start-up included."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "materiel", *args], check=True, capture_output=True,
                       env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - began)
    return min(times)


def _row(r: dict) -> str:
    how = f"dask {r['dask']}" if r.get("dask") else f"{r['workers']} worker{'s' * (r['workers'] > 1)}"
    return (f"  {r['runs']:>9,} runs  {r['steps']:>5} steps  {how:<12} {r['seconds']:7.2f} s"
            f"  {r['line_steps_per_second'] / 1e6:7.1f} M line-steps/s  peak {r['peak_rss_mib']:6.0f} MiB")


def exponent(x: list[float], y: list[float]) -> float:
    """Slope of log y against log x (least squares)."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def run_all(max_runs: int = 1_000_000, say=print) -> dict:
    """The figures of docs/performance.md up to `max_runs` runs (10 M runs and Dask scaling: their own commands)."""
    sizes = [n for n in SIZES if n <= max_runs] or [max_runs]
    largest = sizes[-1]
    report: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                "processor": platform.processor() or platform.machine(),
                                "python": platform.python_version()}}
    say("engine, per-run outcomes only, weekly steps …")
    report["by_runs"] = [in_process(runs=n) for n in sizes]
    for row in report["by_runs"]:
        say(_row(row))
    say("simulate's defaults (a sample of trajectories kept) …")
    report["defaults"] = [in_process(runs=n, keep=None) for n in sizes if n <= 100_000]
    for row in report["defaults"]:
        say(_row(row))
    report["runs_exponent"] = exponent([r["runs"] for r in report["by_runs"][1:]],
                                       [r["seconds"] for r in report["by_runs"][1:]]) if len(sizes) > 2 else None
    steps_runs = min(10_000, max_runs)
    say(f"engine by step length, {steps_runs:,} runs …")
    report["by_steps"] = [in_process(runs=steps_runs, step=s) for s in STEPS]
    for row in report["by_steps"]:
        say(_row(row))
    report["steps_exponent"] = exponent([r["steps"] for r in report["by_steps"]],
                                        [r["seconds"] for r in report["by_steps"]])
    say(f"in parallel, {largest:,} runs …")
    report["parallel"] = [report["by_runs"][-1], in_process(runs=largest, workers=2),
                          in_process(runs=largest, dask="local")]
    for row in report["parallel"][1:]:
        say(_row(row) + f"  ({report['parallel'][0]['seconds'] / row['seconds']:.2f}× one process)")
    say("PySD …")
    report["pysd"] = pysd = pysd_runs_per_second()
    if pysd:
        best = max(r["runs_per_second"] for r in report["by_runs"])
        pysd["speedup"] = best / pysd["runs_per_second"]
    say("command line …")
    with tempfile.TemporaryDirectory() as home:
        cold = {"NUMBA_CACHE_DIR": str(Path(home) / "cache"), "MATERIEL_HOME": home}
        report["cli"] = {"args": "materiel run --quiet [--no-store]",
                         "cold_compile_seconds": cli_seconds(["run", "-q", "--no-store"], 1, cold),
                         "warm_seconds": cli_seconds(["run", "-q", "--no-store"], 3),
                         "warm_seconds_with_registry": cli_seconds(["run", "-q"], 3, {"MATERIEL_HOME": home})}
    return report


if __name__ == "__main__":
    print(json.dumps(measure(**json.loads(sys.argv[1]))))

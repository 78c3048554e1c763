"""Start-up of the command line: `materiel --help`, `--version`, the default `materiel run` warm
(recorded, and with --no-store), and the first run with an empty compile cache.

Each is a whole process, median of N calls, through the installed `materiel` script (resolved
past any version-manager shim). Usage: python bench/bench_startup.py [--repeat N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def materiel_command() -> list[str]:
    """The installed entry point beside this Python (a shim on PATH adds its own start-up)."""
    script = Path(sys.executable).with_name("materiel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "materiel"]


def seconds(args: list[str], repeat: int, env: dict | None = None) -> float:
    """Median wall time of `repeat` calls of `materiel ARGS`."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run([*materiel_command(), *args], capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MATERIEL_HOME": str(Path(tmp) / "home")}
        seconds(["run", "-q"], 1, env)  # the compile cache and the registry exist from here on
        figures = {
            "help_seconds": seconds(["--help"], 2 * args.repeat, env),
            "version_seconds": seconds(["--version"], 2 * args.repeat, env),
            "run_recorded_seconds": seconds(["run", "-q"], args.repeat, env),
            "run_no_store_seconds": seconds(["run", "-q", "--no-store"], args.repeat, env),
        }
        cache = Path(tmp) / "numba-cache"
        figures["cold_compile_run_seconds"] = seconds(["run", "--runs", "1000", "-q", "--no-store"], 1,
                                                      {**env, "NUMBA_CACHE_DIR": str(cache)})
        shutil.rmtree(cache, ignore_errors=True)
    for name, value in figures.items():
        print(f"{name}: {value:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""`materiel bench`: the engine's speed and memory, as docs/performance.md reports them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from materiel.cli import app
from materiel.cli.options import write_json
from materiel.cli.output import console


@app.command()
def bench(
    max_runs: Annotated[int, typer.Option("--max-runs", min=1000, help="Largest ensemble measured")] = 1_000_000,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write every figure as JSON to this file")] = None,
) -> None:
    """Line-steps per second from 1k to 1M runs, scaling exponents, peak memory, cold and warm start, PySD baseline."""
    from materiel import bench as measure

    report = measure.run_all(max_runs, say=console.print)
    if report["runs_exponent"] is not None:
        console.print(f"time ∝ runs^{report['runs_exponent']:.2f}")
    console.print(f"time ∝ steps^{report['steps_exponent']:.2f}")
    if report["pysd"]:
        console.print(f"PySD: {report['pysd']['runs_per_second']:.2f} runs/s; materiel is "
                      f"{report['pysd']['speedup']:,.0f}× faster")
    cli = report["cli"]
    console.print(f"`materiel run --quiet --no-store`: {cli['warm_seconds']:.2f} s warm, "
                  f"{cli['cold_compile_seconds']:.2f} s with an empty compile cache; recording in the registry: "
                  f"{cli['warm_seconds_with_registry']:.2f} s")
    if json_path is not None:
        write_json(json_path, report)

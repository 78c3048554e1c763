"""`materiel serve`: the levers of a scenario as sliders in a local web page, the ensemble rerun on each move."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from materiel.cli import app
from materiel.cli.core import DEFAULT_SCENARIO
from materiel.cli.output import console
from materiel.errors import InputError, Problem

LOCAL = "127.0.0.1"


@app.command()
def serve(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name, YAML file or overlay")] = DEFAULT_SCENARIO,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 5006,
    host: Annotated[str, typer.Option(help="Address to listen on; another than 127.0.0.1 lets other machines in")] = LOCAL,
    runs: Annotated[int, typer.Option(help="Runs of each ensemble (100 to 20,000)")] = 2_000,
    seed: Annotated[int, typer.Option(help="Seed of base and variant")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Where the Save button writes overlays and reports")] = Path("materiel-variants"),
) -> None:
    """A local web page: move a lever, see the whole uncertainty band move (docs/dashboard.md)."""
    from materiel.scenario.loading import builtin_names, load

    from materiel.dashboard.levers import check_runs, check_seed

    loaded = load(scenario)
    check_runs(runs, loaded.scenario)
    check_seed(seed)
    extends = scenario if scenario in builtin_names() else str(Path(scenario).resolve())
    console.print(f"materiel serve: running the base ensemble of {loaded.scenario.name} ({runs:,} runs; the first "
                  "time, the engine compiles: about half a minute) …")
    from materiel.dashboard.app import serve as start
    from materiel.dashboard.explorer import Explorer

    explorer = Explorer(loaded, runs=runs, seed=seed)
    where = ("only this machine can connect" if host == LOCAL else
             f"listening on {host}: any machine that can reach it can connect")

    def ready(url: str) -> None:
        console.print(f"ready: {url} ({where}; Ctrl-C stops)", soft_wrap=True)

    try:
        start(explorer, extends, out.resolve(), host, port, ready)
    except OSError as exc:
        raise InputError(Problem(f"{host}:{port}", message=f"cannot listen there: {exc.strerror or exc}")) from None

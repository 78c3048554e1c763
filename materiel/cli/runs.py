"""`materiel runs`: the registry of completed runs — list, show, compare, export, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from materiel.cli import app
from materiel.cli.output import console
from materiel.report.terminal import summary_table

runs_app = typer.Typer(no_args_is_help=True, help="Completed runs kept in the run registry.")
app.add_typer(runs_app, name="runs")

Home = Annotated[Optional[Path], typer.Option("--home", help="Registry folder (default: $MATERIEL_HOME or the user data folder)")]


@runs_app.command("list")
def runs_list(home: Home = None) -> None:
    """Every recorded run, oldest first."""
    registry = _registry(home)
    table = Table(title=f"Runs in {registry.path}")
    for col in ("id", "created (UTC)", "scenario", "sha256", "seed", "runs"):
        table.add_column(col, no_wrap=True)
    for r in registry.list():
        table.add_row(r.id, r.created[:16].replace("T", " "), r.scenario_name, r.scenario_hash[:8],
                      str(r.seed), f"{r.runs:,}")
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix")], home: Home = None,
              scenario: Annotated[bool, typer.Option("--scenario", help="Also print the scenario text")] = False) -> None:
    """One run: how to reproduce it, its headline table and its output files."""
    r = _registry(home).get(run_id)
    console.print(Text.assemble((r.id, "bold"), f"  created {r.created}  materiel {r.version}"))
    console.print(f"scenario {r.scenario_name}  sha256 {r.scenario_hash}  seed {r.seed}  runs {r.runs:,}")
    if r.summary.get("lines"):
        console.print(summary_table(r.summary))
    for path in r.outputs:
        console.print(f"output: {path}")
    if scenario:
        console.print(r.scenario_text)


@runs_app.command("compare")
def runs_compare(first: str, second: str, home: Home = None) -> None:
    """Two runs' summaries side by side, with the differences (second − first)."""
    cmp = _registry(home).compare(first, second)
    table = Table(title=f"{cmp.a.id} → {cmp.b.id}" + ("" if cmp.same_scenario else "  (different scenarios)"))
    for col in ("value", cmp.a.id, cmp.b.id, "difference"):
        table.add_column(col, justify="right" if col != "value" else "left")
    for d in cmp.rows:
        table.add_row(d.key, _show(d.a), _show(d.b), "" if d.delta is None else f"{d.delta:+,.4g}")
    console.print(table)


@runs_app.command("export")
def runs_export(run_id: str, parquet: Annotated[Path, typer.Option("--parquet", help="Write the run's outcomes here")],
                home: Home = None) -> None:
    """Write a run's stored outcomes (tidy: run, date, side, line, variable, value) to Parquet."""
    rows = _registry(home).export_parquet(run_id, parquet)
    console.print(f"wrote {rows:,} rows to {parquet}")


@runs_app.command("delete")
def runs_delete(run_id: str, home: Home = None) -> None:
    """Remove a run and its outcomes from the registry."""
    console.print(f"deleted {_registry(home).delete(run_id)}")


def _registry(home: Path | None):
    """The run registry at `home` (DuckDB loads only for the commands that open it)."""
    from materiel.store import Registry

    return Registry(home)


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    return "—" if value is None else json.dumps(value) if isinstance(value, (dict, list)) else str(value)

"""`materiel runs`: the registry of completed runs — list, show, compare, export, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from materiel.cli import app
from materiel.cli.options import write_json
from materiel.cli.output import console
from materiel.report.terminal import paired_table, summary_table

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
def runs_compare(first: Annotated[str, typer.Argument(help="The base run: id or a unique prefix")],
                 second: Annotated[str, typer.Argument(help="The variant run")], home: Home = None,
                 json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the paired rows (or the "
                                                                             "summary differences) as JSON")] = None,
                 summaries: Annotated[bool, typer.Option("--summaries", help="The two summaries side by side, "
                                                                              "even when the runs can be paired")] = False) -> None:
    """Two runs paired run by run (as `materiel compare`) when both kept per-run outcomes and share a seed
    (over the runs both kept, the first 10,000 at most); else, or with --summaries, their summaries side
    by side (second − first)."""
    registry = _registry(home)
    a, b = registry.get(first), registry.get(second)
    per_run = {} if summaries else {r.id: registry.per_run(r.id) for r in (a, b)}
    why_not = None if summaries else _unpaired(a, b, per_run)
    if summaries or why_not:
        cmp = registry.compare(a.id, b.id)
        if json_path is not None:
            write_json(json_path, {"base": a.id, "variant": b.id, "paired": False,
                                   "rows": [vars(d) for d in cmp.rows]})
        table = Table(title=f"{a.id} → {b.id}" + ("" if cmp.same_scenario else "  (different scenarios)"))
        for col in ("value", a.id, b.id, "difference"):
            table.add_column(col, justify="right" if col != "value" else "left")
        for d in cmp.rows:
            table.add_row(d.key, _show(d.a), _show(d.b), "" if d.delta is None else f"{d.delta:+,.4g}")
        console.print(table)
        if why_not:
            console.print(f"not paired run by run: {why_not}")
        return
    from materiel.analysis.comparison import paired_outcomes

    n = min(len(next(iter(per_run[r.id].values()))) for r in (a, b))  # run i is the same draws in both
    rows = paired_outcomes(*({k: v[:n] for k, v in per_run[r.id].items()} for r in (a, b)))
    if json_path is not None:
        write_json(json_path, {"base": a.id, "variant": b.id, "paired": True, "seed": a.seed, "runs": n,
                               "rows": rows.to_dict("records")})
    what_changed = "; ".join(b.summary.get("what_if", [])) or f"scenario {b.scenario_name} (sha256 {b.scenario_hash[:8]})"
    console.print(paired_table(rows, f"{a.scenario_name} ({a.id})", f"{b.scenario_name} ({b.id})", what_changed, n))


def _unpaired(a, b, per_run: dict) -> str | None:
    """Why two stored runs cannot be paired run by run, or None if they can."""
    if a.seed != b.seed:
        return f"their seeds differ ({a.seed} and {b.seed})"
    missing = [r.id for r in (a, b) if not per_run[r.id]]
    if missing:
        return f"{' and '.join(missing)} kept no per-run outcomes (recorded by an older materiel)"
    return None


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

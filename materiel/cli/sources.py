"""`materiel sources`: the source ledger of a scenario, and a check that every number is sourced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from materiel.cli import app
from materiel.cli.output import console, errors
from materiel.cli.options import write_json

DEFAULT_SCENARIO = "russia-ukraine-2022"
TITLE_WIDTH = 60


@app.command()
def sources(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file")] = DEFAULT_SCENARIO,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if a quantity cites no source or an unknown id")] = False,
    json_path: Annotated[Optional[str], typer.Option("--json", help="Write the ledger as JSON to FILE, or - for stdout")] = None,
) -> None:
    """List every quantity of a scenario with its value and the sources it cites."""
    from materiel.evidence import ledger as evidence

    sc, origin = evidence.read(scenario)
    if json_path is not None:
        doc = evidence.document(sc, origin)
        if json_path == "-":
            typer.echo(json.dumps(doc, indent=2))
        else:
            write_json(Path(json_path), doc)
    findings = evidence.check(sc)
    if check:
        for finding in findings:
            errors.print(f"unsourced: {finding}", markup=False, highlight=False, soft_wrap=True)
        if findings:
            errors.print(f"{origin}: {len(findings)} problem(s) with sources", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1)
        if json_path != "-":
            rows = evidence.ledger(sc)
            console.print(f"{origin}: all {len(rows)} quantities cite defined sources "
                          f"({len(sc.sources)} sources)", markup=False, highlight=False, soft_wrap=True)
        return
    if json_path is None:
        console.print(_table(sc, origin))


def _table(sc, origin: str) -> Table:
    from materiel.evidence import ledger as evidence

    table = Table(title=f"Sources of {sc.name} ({origin})", caption="Value: point, low–high, or low / likely / high.")
    table.add_column("parameter", overflow="fold")
    table.add_column("value", justify="right")
    table.add_column("sources", overflow="fold")
    for row in evidence.ledger(sc):
        cited = "\n".join(f"{c.id}: {_short(c.title)}" if c.title else f"{c.id}: [red]not defined[/red]"
                          for c in row.citations) or "[red]none[/red]"
        table.add_row(row.path, row.value, cited)
    return table


def _short(text: str) -> str:
    text = text.replace("[", "\\[")
    return text if len(text) <= TITLE_WIDTH else text[: TITLE_WIDTH - 1] + "…"

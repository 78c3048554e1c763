"""`materiel sources`: the source ledger of a scenario, and a check that every number is sourced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from materiel.cli import app
from materiel.cli.output import console, errors
from materiel.cli.options import write_json
from materiel.errors import InputError, Problem

DEFAULT_SCENARIO = "russia-ukraine-2022"
TITLE_WIDTH = 60


@app.command()
def sources(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file")] = DEFAULT_SCENARIO,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if a quantity cites no source or an unknown id")] = False,
    json_path: Annotated[Optional[str], typer.Option("--json", help="Write the ledger as JSON to FILE, or - for stdout")] = None,
    side: Annotated[Optional[str], typer.Option("--side", help="Only this side's quantities")] = None,
    line: Annotated[Optional[str], typer.Option("--line", help="Only the quantities that feed this line (with --side)")] = None,
    urls: Annotated[bool, typer.Option("--urls", help="Show each source's address in the table")] = False,
) -> None:
    """List every quantity of a scenario with its value and the sources it cites."""
    from materiel.evidence import ledger as evidence

    sc, origin = evidence.read(scenario)
    _check_filter(sc, side, line)
    if json_path is not None:
        doc = evidence.document(sc, origin)
        if json_path == "-":
            typer.echo(json.dumps(doc, indent=2))
        else:
            write_json(Path(json_path), doc)
    findings = evidence.check(sc)
    if check:
        for finding in findings:
            errors.print(f"unsourced: {finding}", soft_wrap=True)
        if findings:
            errors.print(f"{origin}: {len(findings)} problem(s) with sources", soft_wrap=True)
            raise typer.Exit(1)
        if json_path != "-":
            rows = evidence.ledger(sc)
            console.print(f"{origin}: all {len(rows)} quantities cite defined sources "
                          f"({len(sc.sources)} sources)", soft_wrap=True)
        return
    if json_path is None:
        console.print(_table(sc, origin, side, line, urls))


def _check_filter(sc, side: str | None, line: str | None) -> None:
    """--side must name a side, --line one of its lines (InputError naming the choices)."""
    if line is not None and side is None:
        raise InputError(Problem("--line", message="needs --side (lines are named within a side)"))
    if side is not None and side not in sc.sides:
        raise InputError(Problem("--side", message=f"no side {side!r}; expected one of: {', '.join(sc.sides)}"))
    if line is not None and line not in sc.sides[side].lines:
        raise InputError(Problem("--line", message=f"no line {line!r} on side {side!r}; expected one of: "
                                                   f"{', '.join(sc.sides[side].lines)}"))


def _table(sc, origin: str, side: str | None, line: str | None, urls: bool) -> Table:
    from materiel.evidence import ledger as evidence

    which = "" if side is None else f" — {side}" + ("" if line is None else f"/{line}")
    table = Table(title=Text(f"Sources of {sc.name}{which} ({origin})"),
                  caption="Value: point, low–high, or low / likely / high.")
    table.add_column("parameter", overflow="fold")
    table.add_column("value", justify="right")
    table.add_column("sources", overflow="fold")
    for row in evidence.ledger(sc):
        if side is not None and not evidence.feeds(sc, row.path, side, line):
            continue
        cited = Text("\n").join(_citation(c, urls) for c in row.citations) or Text("none", style="red")
        table.add_row(Text(row.path), Text(row.value), cited)
    return table


def _citation(c, urls: bool) -> Text:
    """`id: title` (cut to TITLE_WIDTH), the address beneath with --urls; an undefined id in red."""
    if c.title is None:
        return Text.assemble(f"{c.id}: ", ("not defined", "red"))
    title = c.title if len(c.title) <= TITLE_WIDTH else c.title[: TITLE_WIDTH - 1] + "…"
    return Text.assemble(f"{c.id}: {title}", (f"\n  {c.url}", "dim") if urls and c.url else "")

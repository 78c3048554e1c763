"""`materiel ingest`: quantitative claims from saved news pages and text files, checked against a scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from materiel.cli import app
from materiel.cli.output import console, errors
from materiel.errors import InputError, Problem

DEFAULT_SCENARIO = "russia-ukraine-2022"
QUOTE_WIDTH = 70


@app.command()
def ingest(
    files: Annotated[list[str], typer.Argument(metavar="FILE", help="Saved HTML pages or text files; a folder "
                                                                     "stands for its .txt/.html files")],
    json_path: Annotated[Optional[str], typer.Option("--json", help="Write the claims (with --check, the findings) "
                                                                    "as JSON to FILE, or - for stdout")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help=f"Map claims to a scenario's quantities and compare: the built-in scenario or .yaml file "
                        f"among the arguments (`--check SCENARIO`), else {DEFAULT_SCENARIO}")] = False,
    sources_yaml: Annotated[Optional[str], typer.Option("--sources-yaml", help="Write a ready-to-paste `sources:` "
                                                                               "entry per file to FILE, or -")] = None,
    score: Annotated[Optional[str], typer.Option("--score", help="Score against labels: a JSON file (one input) "
                                                                 "or a folder of NAME.json beside each NAME.txt")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")] = False,
) -> None:
    """Extract quantitative claims (value, unit, per, qualifier, subject, speaker, date, exact quote) from
    news text, offline; optionally check them against a scenario or score them against labels."""
    from materiel.ingest import text as reader

    scenario = DEFAULT_SCENARIO
    if check:
        files, scenario = _scenario_argument(files)
    paths = reader.files(files)
    documents, problems = [], []
    for path in paths:
        try:
            documents.append(reader.read(path))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    claims = _extract(documents, quiet or json_path == "-" and not errors.is_terminal)
    if score is not None:
        _score(documents, claims, Path(score), json_path)
        return
    if sources_yaml is not None:
        from materiel.ingest import ledger

        _write(sources_yaml, ledger.dump([ledger.entry(d, c) for d, c in zip(documents, claims)]))
    if check:
        _check(documents, claims, scenario, json_path)
        return
    if json_path is not None:
        doc = ([c.to_dict() for c in claims[0]] if len(documents) == 1 else
               {d.origin: [c.to_dict() for c in cs] for d, cs in zip(documents, claims)})
        _write(json_path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    elif sources_yaml != "-":
        for d, cs in zip(documents, claims):
            console.print(_claims_table(d.origin, cs))


def _scenario_argument(args: list[str]) -> tuple[list[str], str]:
    """Split `FILE… --check [SCENARIO]`: the scenario is the argument naming a built-in scenario or a YAML file."""
    from materiel.scenario.loading import builtin_names

    named = [a for a in args if a in builtin_names() or a.lower().endswith((".yaml", ".yml"))]
    if len(named) > 1:
        raise InputError(Problem("--check", message=f"one scenario at a time; got {', '.join(named)}"))
    rest = [a for a in args if a not in named]
    if not rest:
        raise InputError(Problem("ingest", message="expected at least one article file besides the scenario"))
    return rest, named[0] if named else DEFAULT_SCENARIO


def _extract(documents, quiet: bool):
    """Claims of each document, with a progress bar on stderr for several files (none when not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from materiel.ingest import extract

    if quiet or len(documents) < 2 or not errors.is_terminal:
        return [extract(d.text, d.date) for d in documents]
    out = []
    with Progress(TextColumn("articles"), BarColumn(), MofNCompleteColumn(), console=errors, transient=True) as bar:
        task = bar.add_task("articles", total=len(documents))
        for d in documents:
            out.append(extract(d.text, d.date))
            bar.advance(task)
    return out


def _write(target: str, content: str) -> None:
    if target == "-":
        typer.echo(content, nl=False)
        return
    try:
        Path(target).write_text(content, encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(target, message=f"cannot write: {exc.strerror or exc}")) from None


def _claims_table(origin: str, claims) -> Table:
    table = Table(title=Text(f"{origin}: {len(claims)} claim(s)"))
    for name, justify in (("value", "right"), ("unit", "left"), ("per", "left"), ("qualifier", "left"),
                          ("speaker", "left"), ("date", "left"), ("quote", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for c in claims:
        table.add_row(_value(c.value), c.unit, c.per or "", c.qualifier or "", c.speaker or "", c.date or "",
                      _cut(c.quote))
    return table


def _check(documents, claims, scenario_name: str, json_path: str | None) -> None:
    from materiel.ingest.check import check
    from materiel.scenario.loading import load_scenario

    sc = load_scenario(scenario_name)
    found = [(d, f) for d, cs in zip(documents, claims) for f in check(cs, sc, d.text, d.date)]
    if json_path is not None:
        doc = {"scenario": sc.name, "findings": [f.to_dict() | {"file": d.origin} for d, f in found]}
        _write(json_path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        if json_path == "-":
            return
    mapped = [(d, f) for d, f in found if f.path is not None]
    table = Table(title=Text(f"Claims against {sc.name}: {len(mapped)} of {len(found)} mapped"),
                  caption="contains: the scenario's range holds the claim; narrower: it lies inside the claim's; "
                          "overlaps; contradicts: no overlap. Ranges in the quantity's own unit per `per`.")
    for name in ("claim", "quantity", "scenario", "claimed", "verdict", "quote"):
        table.add_column(name, overflow="fold")
    styles = {"contains": "green", "narrower": "cyan", "overlaps": "yellow", "contradicts": "red"}
    for d, f in mapped:
        c = f.claim
        table.add_row(f"{_qualified(c)} {c.unit}" + (f"/{c.per}" if c.per else ""), Text(f"{f.path}\n{f.note}"),
                      _range(f.scenario, f.per), _range(f.claimed, f.per), Text(f.verdict, style=styles[f.verdict]),
                      _cut(c.quote))
    console.print(table)
    unmapped = [(d, f) for d, f in found if f.path is None]
    if unmapped:
        console.print(f"Unmapped ({len(unmapped)}):")
        for d, f in unmapped:
            console.print(f"  {_qualified(f.claim)} {f.claim.unit} — {f.note} — “{_cut(f.claim.quote)}”", soft_wrap=True)


def _score(documents, claims, labels: Path, json_path: str | None) -> None:
    from materiel.ingest.score import SCORED_FIELDS, Tally, load_labels, score

    if labels.is_file() and len(documents) > 1:
        raise InputError(Problem(str(labels), message="is one labels file for several inputs; give a folder of "
                                                      "NAME.json beside each NAME.txt"))
    total = Tally()
    table = Table(title=Text(f"Claims against labels in {labels}"),
                  caption="Matched by value and unit; fields scored over matched claims.")
    for name in ("file", "labelled", "found", "matched", "precision", "recall"):
        table.add_column(name, justify="left" if name == "file" else "right")
    for d, cs in zip(documents, claims):
        path = labels if labels.is_file() else labels / f"{Path(d.origin).stem}.json"
        if not path.is_file():
            raise InputError(Problem(str(path), message=f"no labels for {d.origin}; expected a JSON list of claims"))
        t = score(cs, load_labels(path), d.text)
        total.add(t)
        table.add_row(d.origin, str(t.labelled), str(t.extracted), str(t.matched), _ratio(t.precision),
                      _ratio(t.recall))
    table.add_row(Text("all", style="bold"), str(total.labelled), str(total.extracted), str(total.matched),
                  _ratio(total.precision), _ratio(total.recall))
    if json_path is not None:
        _write(json_path, json.dumps(total.document(), indent=2) + "\n")
        if json_path == "-":
            return
    console.print(table)
    console.print("fields (precision / recall): " + ", ".join(
        f"{f} {_ratio(p)} / {_ratio(r)}" for f in SCORED_FIELDS for p, r in [total.field_scores(f)]))


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _value(v) -> str:
    return f"{v[0]:,}–{v[1]:,}" if isinstance(v, list) else f"{v:,}"


def _qualified(c) -> str:
    return f"{c.qualifier + ' ' if c.qualifier else ''}{_value(c.value)}"


def _range(pair, per: str | None) -> str:
    if pair is None:
        return ""
    low, high = ("∞" if x == float("inf") else f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}" for x in pair)
    return (low if low == high else f"{low}–{high}") + (f" /{per}" if per else "")


def _cut(quote: str) -> str:
    return quote if len(quote) <= QUOTE_WIDTH else quote[:QUOTE_WIDTH - 1] + "…"

"""`materiel sensitivity` and `materiel discover` (docs/sensitivity.md)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from materiel.cli import app
from materiel.cli.core import DEFAULT_SCENARIO
from materiel.cli.options import check_runs, write_json
from materiel.cli.output import console, progress_bar

Scenario = Annotated[str, typer.Argument(help="Built-in scenario name or YAML file")]
Seed = Annotated[int, typer.Option(help="Random seed: same seed, same results")]
Workers = Annotated[int, typer.Option("--workers", min=1, help="Local processes to spread the runs over (same results)")]
Dask = Annotated[Optional[str], typer.Option("--dask", help="Run on this Dask scheduler (ADDRESS), or 'local' (same results)")]
Json = Annotated[Optional[Path], typer.Option("--json", help="Write the results as JSON to this file")]
Out = Annotated[Optional[Path], typer.Option("--out", help="Write report.html, figures and tables to this folder")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors")]
Grouped = Annotated[bool, typer.Option("--grouped/--per-quantity", help="One factor per schedule (default) or per quantity")]


@app.command()
def sensitivity(
    scenario: Scenario = DEFAULT_SCENARIO,
    outcome: Annotated[list[str], typer.Option("--outcome", help="runout, first_shortfall, shortfall or ratio (repeatable)")] = ["runout", "shortfall", "ratio"],  # noqa: B006
    line: Annotated[Optional[list[str]], typer.Option("--line", help="SIDE/LINE to analyse (repeatable; default: all)")] = None,
    method: Annotated[str, typer.Option(help="sobol: Saltelli design, first-order and total indices; pawn: screening on an ordinary ensemble")] = "sobol",
    base_samples: Annotated[int, typer.Option("--base-samples", help="Sobol: N, a power of 2; runs = N × (factors + 2)")] = 256,
    runs: Annotated[int, typer.Option(min=1, help="PAWN: runs of the ensemble screened")] = 10_000,
    series: Annotated[list[str], typer.Option("--series", help="Per-step series for indices over time: front, storage, shortfall, or none (repeatable)")] = ["storage"],  # noqa: B006
    keep: Annotated[int, typer.Option(min=32, help="Runs whose trajectories give the indices over time")] = 2_000,
    every: Annotated[int, typer.Option(min=1, help="Indices over time at every EVERY-th step")] = 1,
    top: Annotated[int, typer.Option(min=1, help="Factors shown per line and outcome")] = 3,
    grouped: Grouped = True, seed: Seed = 0, workers: Workers = 1, dask: Dask = None,
    json_path: Json = None, out: Out = None, quiet: Quiet = False,
) -> None:
    """Which uncertain quantities drive each line's outcomes: Sobol indices, or PAWN screening."""
    from materiel.explore import sensitivity as analyse
    from materiel.scenario.loading import load

    sc = load(scenario).scenario
    check_runs(runs, sc)
    chosen_series = [] if series == ["none"] else series
    if out is not None:
        from materiel.report import outputs

        outputs.prepare(out)
    with progress_bar(quiet) as report:
        indices, over_time = analyse(sc, outcome, line, method=method, base_samples=base_samples, runs=runs, seed=seed,
                                     grouped=grouped, series=chosen_series, keep=keep, every=every, workers=workers,
                                     dask=dask, progress=report)
    doc = {"scenario": sc.name, "seed": seed, **indices.attrs, "indices": _records(indices)}
    if over_time is not None:
        doc["noise"] = over_time.attrs["noise"]
        doc["over_time_peaks"] = _records(_peaks(over_time))
    if json_path is not None:
        write_json(json_path, doc)
    written = _sensitivity_report(out, sc.name, indices, over_time) if out is not None else None
    if not quiet:
        console.print(_top_table(indices, top, method))
        if indices.attrs["left_out"]:
            console.print("left out (the same in every run, or not finite): " + ", ".join(indices.attrs["left_out"]))
        console.print(f"{indices.attrs['runs']:,} runs, {indices.attrs['factors']} factors"
                      + (f"; report: {written}" if written else ""))


def _records(frame) -> list[dict]:
    import json

    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _peaks(over_time):
    """Per series, line and factor: the largest first-order index over time and when."""
    at = over_time.groupby(["series", "side", "line", "factor"], sort=False)["S1"].idxmax()
    peaks = over_time.loc[at].rename(columns={"S1": "peak_S1", "time": "peak_time"})
    return peaks.sort_values("peak_S1", ascending=False, ignore_index=True)


def _top_table(indices, top: int, method: str) -> Table:
    sobol = method == "sobol"
    table = Table(title=f"Top factors per line and outcome ({'Sobol, 95% intervals' if sobol else 'PAWN screening'})")
    for col in ("outcome", "line", "factor", *(("S1", "ST") if sobol else ("PAWN", "dummy"))):
        table.add_column(col)
    if indices.empty:
        return table
    for _, row in indices.groupby(["outcome", "side", "line"], sort=False).head(top).iterrows():
        values = ((f"{row.S1:.2f} ± {row.S1_conf:.2f}", f"{row.ST:.2f} ± {row.ST_conf:.2f}") if sobol
                  else (f"{row.pawn:.3f}", f"{row.dummy:.3f}"))
        table.add_row(row.outcome, f"{row.side}/{row.line}", row.factor, *values)
    return table


def _sensitivity_report(out: Path, name: str, indices, over_time) -> Path:
    from materiel.report import sensitivity as figures

    folder = out / "figures"
    folder.mkdir(exist_ok=True)
    indices.to_csv(out / "indices.csv", index=False)
    sections = []
    for (outcome, side, line), frame in indices.groupby(["outcome", "side", "line"], sort=False):
        path = figures.tornado(frame, f"{side}/{line}: {outcome}", folder / figures.figure_name("indices", outcome, side, line))
        sections.append((f"{side}/{line}: {outcome}", frame.head(figures.TOP), [path]))
    if over_time is not None:
        over_time.to_csv(out / "over_time.csv", index=False)
        for (series, side, line), frame in over_time.groupby(["series", "side", "line"], sort=False):
            if frame["S1"].max() > 0:
                path = figures.heat_map(frame, f"{side}/{line}: {series} over time", over_time.attrs["noise"],
                                        folder / figures.figure_name("over-time", series, side, line))
                sections.append((f"{side}/{line}: {series}, first-order indices over time", None, [path]))
    return figures.write_report(out, f"Sensitivity: {name}", shlex.join(["materiel", *sys.argv[1:]]), sections)


@app.command()
def discover(
    scenario: Scenario = DEFAULT_SCENARIO,
    when: Annotated[str, typer.Option("--when", help="e.g. 'russia/tanks runout before 2026-01-01' or 'russia/shells ratio below 0.8'")] = ...,
    runs: Annotated[int, typer.Option(min=1, help="Runs of the ensemble searched")] = 10_000,
    alpha: Annotated[float, typer.Option(min=0.01, max=0.5, help="PRIM: share of the box's runs peeled or pasted at a time")] = 0.05,
    min_coverage: Annotated[float, typer.Option("--min-coverage", min=0, max=1, help="PRIM: the chosen box is the densest with at least this coverage")] = 0.5,
    depth: Annotated[int, typer.Option(min=1, max=8, help="CART: depth of the tree")] = 3,
    grouped: Grouped = True, seed: Seed = 0, workers: Workers = 1, dask: Dask = None,
    json_path: Json = None, out: Out = None, quiet: Quiet = False,
) -> None:
    """Which ranges of the factors make an outcome happen: PRIM boxes and CART rules."""
    from materiel.explore import discover as search
    from materiel.scenario.loading import load

    sc = load(scenario).scenario
    check_runs(runs, sc)
    if out is not None:
        from materiel.report import outputs

        outputs.prepare(out)
    with progress_bar(quiet) as report:
        found = search(sc, when, runs=runs, seed=seed, grouped=grouped, workers=workers, dask=dask, progress=report,
                       alpha=alpha, min_coverage=min_coverage, max_depth=depth)
    doc = {"scenario": sc.name, "seed": seed, "runs": runs, "when": when, "cases": found.cases,
           "box": {"coverage": found.coverage, "density": found.density, "mass": found.mass,
                   "limits": _records(found.box)},
           "trajectory": _records(found.trajectory), "cart": _records(found.rules)}
    if json_path is not None:
        write_json(json_path, doc)
    written = None
    if out is not None:
        from materiel.report import sensitivity as figures

        (out / "figures").mkdir(exist_ok=True)
        path = figures.tradeoff(found.trajectory, found.chosen, out / "figures" / "prim-tradeoff.png")
        written = figures.write_report(out, f"Discovery: {sc.name}: {when}", shlex.join(["materiel", *sys.argv[1:]]),
                                       [("PRIM box (after pasting)", found.box, [path]),
                                        ("CART rules", found.rules, [])])
    if not quiet:
        table = Table(title=f"PRIM box for {when!r} (limits: factor levels in 0–1): coverage {found.coverage:.2f}, density {found.density:.2f}, "
                            f"{found.mass:.1%} of runs ({found.cases:,} of {runs:,} runs are cases)")
        for col in ("factor", "low", "high", "quasi-p"):
            table.add_column(col)
        for row in found.box.itertuples():
            table.add_row(row.factor, f"{row.low:.3f}", f"{row.high:.3f}", f"{row.quasi_p:.2g}")
        console.print(table)
        rules = Table(title="CART: densest leaves")
        for col in ("rule", "runs", "density", "coverage"):
            rules.add_column(col)
        for row in found.rules.head(3).itertuples():
            rules.add_row(row.rule, f"{row.runs:,}", f"{row.density:.2f}", f"{row.coverage:.2f}")
        console.print(rules)
        if written:
            console.print(f"report: {written}")

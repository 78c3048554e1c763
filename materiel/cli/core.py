"""`materiel run`, `validate` and `scenarios`."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from materiel.cli import app
from materiel.cli.interop import Quantile, check_quantile
from materiel.cli.options import (ScaleFlags, SetFlags, SourceFlags, StartFlags, StopFlags, check_runs, with_overrides,
                                  with_what_if, write_json)
from materiel.cli.output import console, progress_bar
from materiel.errors import InputError, Problem
from materiel.report.terminal import race_text, summary_table

DEFAULT_SCENARIO = "russia-ukraine-2022"
REGISTRY_RUNS = 1_000  # runs whose trajectories give the registry its per-step quantiles (no --out)
PAIRED_RUNS = 10_000  # runs whose per-run outcomes the registry keeps for `runs compare` (about 2 MB)

scenarios_app = typer.Typer(no_args_is_help=True, help="Built-in scenarios and the scenario format.")
app.add_typer(scenarios_app, name="scenarios")


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file")] = DEFAULT_SCENARIO,
    runs: Annotated[Optional[int], typer.Option(min=1, show_default="10000, or the calibration's",
                                                help="Number of runs in the ensemble")] = None,
    seed: Annotated[Optional[int], typer.Option(show_default="0, or the calibration's",
                                                help="Random seed: same seed, same results")] = None,
    horizon: Annotated[Optional[str], typer.Option(show_default="the scenario's", help="Last date simulated (YYYY-MM-DD)")] = None,
    step: Annotated[Optional[str], typer.Option(show_default="the scenario's", help="Time step: day, week or month")] = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the summary as JSON to this file")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write report.html, figures, summary.json and outcomes.parquet to this folder")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors")] = False,
    store: Annotated[bool, typer.Option("--store/--no-store", help="Record the run in the run registry")] = True,
    home: Annotated[Optional[Path], typer.Option("--home", help="Registry folder (default: $MATERIEL_HOME or the user data folder)")] = None,
    deterministic: Annotated[bool, typer.Option("--deterministic", help="One run with every quantity at its median (or --quantile); --runs and --seed do not apply")] = False,
    quantile: Quantile = None,
    trajectories: Annotated[Optional[Path], typer.Option("--trajectories", help="With --deterministic: write every stock and flow per step (.csv or .parquet)")] = None,
    calibrated: Annotated[Optional[Path], typer.Option("--calibrated", help="Weights saved by `materiel calibrate --save`: each calibrated line is summarized over its runs resampled by weight")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Local processes to spread the runs over (same results)")] = 1,
    dask: Annotated[Optional[str], typer.Option("--dask", help="Run on this Dask scheduler (ADDRESS), or 'local' for a local cluster (same results)")] = None,
    set_: SetFlags = None,
    scale: ScaleFlags = None,
    stop: StopFlags = None,
    start: StartFlags = None,
    source: SourceFlags = None,
) -> None:
    """Run an ensemble and print, per side and line, supply/demand, storage run-out and shortfall."""
    from materiel.report.document import summary_document
    from materiel.scenario import variants
    from materiel.scenario.loading import load
    from materiel.simulation import simulate
    from materiel.store import Registry, RunRecord

    loaded = with_what_if(load(scenario), set_, scale, stop, start, source)
    sc = with_overrides(loaded.scenario, horizon, step)
    weights = None
    if calibrated is not None:
        runs, seed, weights = _calibration(calibrated, loaded.sha256, runs, seed, deterministic or out is not None)
    runs, seed = runs or 10_000, seed or 0
    check_runs(runs, sc)
    if deterministic:
        q = check_quantile(quantile)
        sc, runs = variants.deterministic(sc, q), 1
        if trajectories is not None:
            from materiel.interop.trajectories import check_path, deterministic_run, trajectory_table, write_table

            check_path(trajectories)
    elif quantile is not None or trajectories is not None:
        raise InputError(Problem("--quantile" if quantile is not None else "--trajectories",
                                 message="applies only with --deterministic"))
    if out is not None:
        from materiel.report import outputs  # matplotlib and Plotly load only when asked for
        outputs.prepare(out)
    keep = _kept_runs(runs, calibrated=bool(weights), report=out is not None, store=store or bool(sc.couplings()))
    with progress_bar(quiet) as report:
        ens = simulate(sc, runs=runs, seed=seed, progress=report, keep=keep, workers=workers, dask=dask)
    if weights:
        from materiel.report.calibration import calibrated_summary

        doc = calibrated_summary(ens, sc.name, weights)
        doc["calibrated"] = {"file": str(calibrated), "lines": list(weights)}
    else:
        doc = summary_document(ens, sc.name)
    if deterministic:
        doc["deterministic_quantile"] = q
        if trajectories is not None:
            write_table(trajectory_table(*deterministic_run(sc, q)), trajectories)
    if json_path is not None:
        write_json(json_path, doc)
    written = outputs.write_outputs(ens, loaded, out, shlex.join(["materiel", *sys.argv[1:]])) if out else []
    if not quiet:
        console.print(summary_table(doc))
        console.print(race_text(doc), end="")
        if weights:
            console.print(f"calibrated ({calibrated}): {', '.join(weights)} summarized over their runs resampled "
                          "by weight; the other lines over all runs")
        if written:
            console.print(f"report: {written[0]}")
    if store:
        files = [str(p.resolve()) for p in (json_path, *written) if p is not None]
        from materiel.analysis.comparison import per_run
        from materiel.report.tidy import outcomes_table

        run_id = Registry(home).record(RunRecord(scenario_name=sc.name, scenario_text=loaded.text, seed=seed,
                                                 runs=runs, summary=doc, outputs=files),
                                       outcomes=outcomes_table(ens).to_pandas(),
                                       per_run={k: v[:PAIRED_RUNS] for k, v in per_run(ens).items()})
        if not quiet:
            console.print(f"recorded as run {run_id}")


def _kept_runs(runs: int, *, calibrated: bool, report: bool, store: bool) -> int | None:
    """Runs whose trajectories to keep: all for a calibrated summary, simulate's default for a report,
    `REGISTRY_RUNS` for the registry's per-step quantiles (or a race's fire ratio over time), else none."""
    if calibrated:
        return runs
    if report:
        return None
    return min(runs, REGISTRY_RUNS) if store else 0


def _calibration(path: Path, sha256: str, runs: int | None, seed: int | None, other_mode: bool):
    """Runs, seed and per-line weights from a calibration file; the options must agree with it."""
    if other_mode:
        raise InputError(Problem("--calibrated", message="does not combine with --deterministic or --out"))
    from materiel.cli.calibrate import read_weights  # here: importing it first would list its commands first

    saved, weights = read_weights(path, sha256)
    for option, given, used in (("--runs", runs, saved["runs"]), ("--seed", seed, saved["seed"])):
        if given is not None and given != used:
            raise InputError(Problem(option, message=f"{given} differs from the calibration's {used} ({path}): "
                                                     "leave it out, or calibrate again"))
    return saved["runs"], saved["seed"], weights


@app.command()
def validate(file: Annotated[str, typer.Argument(help="Scenario YAML file or built-in name")]) -> None:
    """Check a scenario; exit 0 when valid, else 2 with one line per problem."""
    from materiel.scenario.loading import load
    from materiel.scenario.schema import iter_quantities

    loaded = load(file)
    sc = loaded.scenario
    for variant in sc.variants:  # each named variant must make a valid scenario too
        load(f"{file}@{variant}")
    n_lines = sum(len(s.lines) for s in sc.sides.values())
    console.print(f"{loaded.origin}: valid — {len(sc.sides)} sides, {n_lines} lines, "
                  f"{sum(1 for _ in iter_quantities(sc))} quantities, {len(sc.sources)} sources")


@scenarios_app.command("list")
def scenarios_list() -> None:
    """List the built-in scenarios."""
    from materiel.scenario.loading import builtin_names, load

    table = Table(title="Built-in scenarios")
    for col in ("name", "title", "period", "step", "sides and lines"):
        table.add_column(col)
    for name in builtin_names():
        sc = load(name).scenario
        lines = "; ".join(f"{s}: {', '.join(side.lines)}" for s, side in sc.sides.items())
        table.add_row(name, sc.title, f"{sc.start} → {sc.horizon}", sc.step, lines)
    console.print(table)


@scenarios_app.command("schema")
def scenarios_schema(
    out: Annotated[Optional[Path], typer.Option("--out", help="Write to this file instead of stdout")] = None,
) -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    from materiel.scenario.schema import Scenario

    schema = Scenario.model_json_schema(by_alias=True)
    if out is None:
        typer.echo(json.dumps(schema, indent=2))
    else:
        write_json(out, schema)

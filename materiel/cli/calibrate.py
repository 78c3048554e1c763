"""`materiel calibrate` and `materiel backtest`: the scenario against observed loss series."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from materiel.cli import app
from materiel.cli.options import check_runs, parse_date, write_json
from materiel.cli.output import console, progress_bar
from materiel.errors import InputError, Problem

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DEFAULT_SCENARIO = "russia-ukraine-2022"
WEIGHTS_BYTES = 512 * 2**20  # the largest calibration file read (10 M runs' weights fit)

Observed = Annotated[Optional[list[Path]], typer.Option(
    "--observed", help="Observed series: a General Staff folder or JSON file, or Oryx's log.csv (repeat for both)",
    show_default="the built-in General Staff and Oryx series, to 2025-06-30")]
Runs = Annotated[int, typer.Option(min=1, help="Number of runs in the ensemble")]
Seed = Annotated[int, typer.Option(help="Random seed: same seed, same results")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors")]


@app.command()
def calibrate(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file")] = DEFAULT_SCENARIO,
    observed: Observed = None,
    until: Annotated[str, typer.Option(help="Last day of observations used (YYYY-MM-DD)")] = ...,
    runs: Runs = 2000,
    seed: Seed = 0,
    half_life: Annotated[Optional[float], typer.Option(min=1, help="Days over which a period's weight halves "
                                                                   "with age (default: all periods weigh alike)")] = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write prior and posterior as JSON")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write fit plots (PNG) to this folder")] = None,
    save: Annotated[Optional[Path], typer.Option("--save", help="Save the weights for `materiel run --calibrated`")] = None,
    sequential: Annotated[bool, typer.Option(help="Move the runs of lines whose weights collapse to the full "
                                                  "posterior by SMC (not with --save)")] = False,
    quiet: Quiet = False,
) -> None:
    """Weight the runs by how well they reproduce the observed losses per period up to --until."""
    import numpy as np

    from materiel.analysis.calibration import calibrate_lines, observed_series
    from materiel.analysis.sequential import collapsed
    from materiel.analysis.sequential import sequential as smc
    from materiel.report import calibration as report
    from materiel.scenario.loading import load
    from materiel.simulation import simulate

    if sequential and save is not None:
        raise InputError(Problem("--save", message="`materiel run --calibrated` replays the seed's runs, which "
                                 "--sequential moves: use one or the other"))
    loaded = load(scenario)
    check_runs(runs, loaded.scenario)
    end = parse_date(until, "--until")
    frames = read_observed(observed)
    found = observed_series(loaded.scenario, frames)
    latest = max(obs.counts.index.max().date() for obs in found)
    for obs in found:
        first, last = obs.counts.index.min().date(), obs.counts.index.max().date()
        if not first < end <= latest:
            raise InputError(Problem(obs.origin, obs.field, message=f"--until {end} lies outside this series "
                                                                    f"({first} to {last})"))
    sc = with_horizon(loaded.scenario, end, "--until")
    with progress_bar(quiet) as tick:
        ens = simulate(sc, runs=runs, seed=seed, keep=runs, progress=tick)
    prior = cals = calibrate_lines(ens, found, end, half_life=half_life)
    if sequential and collapsed(cals):
        _, cals = smc(sc, found, end, collapsed(cals), simulate=simulate, runs=runs, seed=seed,
                      rng=np.random.default_rng(seed), half_life=half_life)
    doc = report.calibration_document(sc, cals, seed, runs)
    if json_path is not None:
        write_json(json_path, doc)
    if save is not None:
        write_json(save, report.weights_document(cals, sc.name, loaded.sha256, seed, runs))
    figures = report.fit_figures(cals, out, prior) if out is not None else []
    if not quiet:
        console.print(report.calibration_table(doc))
        for warning in report.warnings(doc):
            typer.echo(f"note: {warning}", err=True)
        if figures:
            console.print(f"fit plots: {out}/ ({len(figures)} PNG)")


@app.command()
def backtest(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file")] = DEFAULT_SCENARIO,
    observed: Observed = None,
    cutoff: Annotated[list[str], typer.Option(help="Last day the forecast may see (repeatable, or a comma list)")] = ...,
    lead: Annotated[int, typer.Option(min=1, help="Days forecast after each cutoff")] = 180,
    runs: Runs = 2000,
    seed: Seed = 0,
    half_life: Annotated[Optional[float], typer.Option(min=1, show_default="30", help="Days over which a period's "
                                                   "weight in the extrapolation's calibration halves with age")] = None,
    model_half_life: Annotated[Optional[float], typer.Option(min=1, show_default="20", help="Days over which a "
                               "period's weight in the model forecast's calibration halves with age")] = None,
    model_spread: Annotated[Optional[float], typer.Option(min=0, show_default="0.5", help="The model forecast's "
                            "spread in log, at least this × the series' past misses over the lead")] = None,
    sequential: Annotated[bool, typer.Option(help="Calibrate the model forecast's lines whose weights collapse "
                                                  "by SMC rather than tempering alone")] = True,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write every score as JSON to this file")] = None,
    quiet: Quiet = False,
) -> None:
    """Calibrate up to each cutoff; forecast each observed series over the lead by the model, by extrapolating
    its rate and by persistence; score them against what followed."""
    from materiel.analysis.backtest import HALF_LIFE, MODEL_HALF_LIFE, MODEL_SPREAD
    from materiel.analysis.backtest import backtest as run_backtest
    from materiel.report import calibration as report
    from materiel.scenario.loading import load
    from materiel.simulation import simulate

    loaded = load(scenario)
    check_runs(runs, loaded.scenario)
    cutoffs = sorted({parse_date(c.strip(), "--cutoff") for item in cutoff for c in item.split(",") if c.strip()})
    frames = read_observed(observed)
    for c in cutoffs:
        with_horizon(loaded.scenario, c, "--cutoff")
    with progress_bar(quiet) as tick:
        doc = run_backtest(loaded.scenario, frames, cutoffs, lead, simulate=simulate, runs=runs, seed=seed,
                           half_life=HALF_LIFE if half_life is None else half_life,
                           model_half_life=MODEL_HALF_LIFE if model_half_life is None else model_half_life,
                           spread=MODEL_SPREAD if model_spread is None else model_spread, sequential=sequential,
                           progress=tick)
    if json_path is not None:
        write_json(json_path, doc)
    if not quiet:
        for table in report.backtest_tables(doc):
            console.print(table)
        for warning in report.backtest_warnings(doc):
            typer.echo(f"note: {warning}", err=True)


def read_observed(paths: list[Path] | None) -> dict[str, tuple[str, pd.DataFrame]]:
    """Each path's series by kind (general_staff, oryx); two paths of one kind are an error.
    No paths: the series built into materiel."""
    from materiel.observe import BUILTIN_UNTIL, load_builtin, load_observed, series_kind

    if not paths:
        return {kind: (f"built-in {kind} series (to {BUILTIN_UNTIL})", load_builtin(kind))
                for kind in ("general_staff", "oryx")}
    frames: dict[str, tuple[str, pd.DataFrame]] = {}
    for path in paths:
        kind = series_kind(path)
        if kind in frames:
            raise InputError(Problem(str(path), message=f"a second {kind} series (the first: {frames[kind][0]})"))
        frames[kind] = (str(path), load_observed(path))
    return frames


def with_horizon(scenario, day: dt.date, option: str):
    """The scenario run to `day` (earlier or later than its own horizon), which must follow its start."""
    if day <= scenario.start:
        raise InputError(Problem(option, message=f"{day} is not after the scenario's start ({scenario.start})"))
    return scenario.model_copy(update={"horizon": day})


def read_weights(path: Path, sha256: str) -> tuple[dict, dict[str, np.ndarray]]:
    """A file saved by `materiel calibrate --save`, checked against the scenario; per line, weights of all runs.
    Every number is checked: runs a whole number within the limit, run indices within it and distinct,
    weights finite, not negative and not all zero."""
    import numpy as np

    from materiel.scenario.limits import MAX_RUNS
    from materiel.scenario.loading import read_text

    if not path.exists():
        raise InputError(Problem(str(path), message="no such file"))
    try:
        doc = json.loads(read_text(path, WEIGHTS_BYTES, "a calibration file"))
    except (ValueError, RecursionError) as exc:  # malformed JSON, a 5,000-digit number, deep nesting
        raise InputError(Problem(str(path), message=f"not a calibration file: {str(exc)[:120]}")) from None
    if not isinstance(doc, dict) or doc.get("materiel") != "calibration":
        raise InputError(Problem(str(path), message="not a calibration file (save one with `materiel calibrate --save`)"))
    if doc.get("scenario_sha256") != sha256:
        raise InputError(Problem(str(path), "scenario_sha256", message=f"calibrated for another version of scenario "
                                 f"{doc.get('scenario')!r}: calibrate again"))
    runs = doc.get("runs")
    if type(runs) is not int or not 1 <= runs <= MAX_RUNS:
        raise InputError(Problem(str(path), "runs", message=f"expected a whole number from 1 to {MAX_RUNS:,}, "
                                                            f"got {str(runs)[:40]}"))
    if not isinstance(doc.get("lines"), dict):
        raise InputError(Problem(str(path), "lines", message="expected a mapping of lines to their weights"))
    weights = {}
    for key, line in doc["lines"].items():
        where = f"lines.{key}"
        try:
            index = np.asarray(line["runs"])
            given = np.asarray(line["weights"], dtype=np.float64)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise InputError(Problem(str(path), where, message=f"expected runs and weights: {str(exc)[:80]}")) from None
        if index.ndim != 1 or index.dtype.kind not in "iu" or given.shape != index.shape:
            raise InputError(Problem(str(path), where, message="expected equal lists of run indices (whole numbers) "
                                                               "and weights"))
        if index.size and (index.min() < 0 or index.max() >= runs or np.unique(index).size != index.size):
            raise InputError(Problem(str(path), f"{where}.runs", message=f"expected distinct run indices from 0 to "
                                                                         f"{runs - 1:,}"))
        if not np.isfinite(given).all() or (given < 0).any() or not given.sum() > 0:
            raise InputError(Problem(str(path), f"{where}.weights", message="expected finite weights >= 0, "
                                                                            "not all zero"))
        w = np.zeros(runs)
        w[index] = given
        weights[key] = w / w.sum()
    return doc, weights

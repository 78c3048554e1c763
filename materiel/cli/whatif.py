"""`materiel compare` (a variant against its base, paired run by run), `scenarios copy` and `scenarios diff`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from materiel.cli import app
from materiel.cli.core import DEFAULT_SCENARIO, scenarios_app
from materiel.cli.options import (ScaleFlags, SetFlags, SourceFlags, StartFlags, StopFlags, check_runs, with_what_if,
                                  write_json)
from materiel.cli.output import console, progress_bar
from materiel.errors import InputError, Problem
from materiel.report.terminal import paired_table

REPORT_RUNS = 1_000  # runs whose trajectories the comparison page's charts show


@app.command()
def compare(
    base: Annotated[str, typer.Argument(help="The base: a built-in scenario, a YAML file or an overlay")] = DEFAULT_SCENARIO,
    variants: Annotated[Optional[list[str]], typer.Argument(help="Variants: scenario or overlay files (or use the flags)")] = None,
    runs: Annotated[int, typer.Option(min=1, help="Runs of each, paired run by run")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of both")] = 0,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write every row as JSON to this file")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write comparison.html (charts of base and variant, and "
                                                              "their paired difference) to this folder")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Local processes to spread the runs over")] = 1,
    dask: Annotated[Optional[str], typer.Option("--dask", help="Dask scheduler ADDRESS, or 'local'")] = None,
    set_: SetFlags = None,
    scale: ScaleFlags = None,
    stop: StopFlags = None,
    start: StartFlags = None,
    source: SourceFlags = None,
) -> None:
    """What changes if …: each variant against the base, the same seed and runs, per-run differences."""
    from materiel.analysis.comparison import paired_frame
    from materiel.scenario.loading import load
    from materiel.simulation import paired_ensembles

    reference = load(base)
    others = [load(v) for v in variants or ()]
    flagged = with_what_if(reference, set_, scale, stop, start, source)
    if flagged is not reference:
        others.append(flagged)
    if not others:
        raise InputError(Problem("compare", message="nothing to compare: give VARIANT files or overlays, or what-if "
                                                    "flags (--set, --scale, --stop, --start)"))
    for loaded in (reference, *others):
        check_runs(runs, loaded.scenario)
    if out is not None:
        from materiel.report import outputs

        outputs.prepare(out)
    with progress_bar(quiet) as report:
        ensembles = paired_ensembles(reference.scenario, *(o.scenario for o in others), runs=runs, seed=seed,
                                     keep=min(runs, REPORT_RUNS) if out else 0, workers=workers, dask=dask, progress=report)
    frame = paired_frame(*ensembles)
    if out is not None:
        _write_pages(out, ensembles, frame, quiet)
    if json_path is not None:
        write_json(json_path, {"base": reference.scenario.name, "seed": seed, "runs": runs,
                               "variants": [{"name": o.scenario.name, "what_if": o.scenario.what_if} for o in others],
                               "rows": frame.to_dict("records")})
    if not quiet:
        for other in others:
            console.print(paired_table(frame[frame["variant"] == other.scenario.name], reference.scenario.name,
                                       other.scenario.name, "; ".join(other.scenario.what_if) or other.origin, runs))


def _write_pages(out: Path, ensembles: list, frame, quiet: bool) -> None:
    """comparison.html (comparison-K.html for the K-th of several variants) in `out`."""
    import datetime as dt

    from materiel.report import comparison

    base, variants = ensembles[0], ensembles[1:]
    for k, variant in enumerate(variants, 1):
        page = out / ("comparison.html" if len(variants) == 1 else f"comparison-{k}.html")
        rows = frame[frame["variant"] == variant.layout.scenario.name]
        try:
            page.write_text(comparison.render(base, variant, rows, dt.datetime.now(dt.timezone.utc)), encoding="utf-8")
        except OSError as exc:
            raise InputError(Problem(str(page), message=f"cannot write: {exc.strerror or exc}")) from None
        if not quiet:
            console.print(f"comparison: {page}")


@scenarios_app.command("copy")
def scenarios_copy(
    name: Annotated[str, typer.Argument(help="A built-in scenario")],
    file: Annotated[Optional[Path], typer.Argument(help="Where to write it (default: NAME.yaml here)")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists")] = False,
) -> None:
    """Write a built-in scenario out as a YAML file to edit (or to extend with an overlay)."""
    from materiel.scenario.loading import builtin_names, resolve

    if name not in builtin_names():
        raise InputError(Problem(name, message=f"no such built-in scenario; expected one of {', '.join(builtin_names())}"))
    target = file or Path(f"{name}.yaml")
    if target.exists() and not force:
        raise InputError(Problem(str(target), message="exists; expected a new file (or --force to overwrite it)"))
    try:
        target.write_text(resolve(name)[1], encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(str(target), message=f"cannot write: {exc.strerror or exc}")) from None
    console.print(f"wrote {target}")


@scenarios_app.command("diff")
def scenarios_diff(
    a: Annotated[str, typer.Argument(help="A scenario, file or overlay")],
    b: Annotated[str, typer.Argument(help="Another")],
) -> None:
    """Which quantities and what-if changes differ between two scenarios, by path."""
    from materiel.scenario.loading import load
    from materiel.scenario.schema import iter_quantities, iter_what_ifs

    def items(sc) -> dict[str, str]:
        found = {path: q.describe() for path, q in iter_quantities(sc)}
        found.update({path: repr(change.model_dump(by_alias=True, exclude_defaults=True)) for path, change in iter_what_ifs(sc)})
        return found

    left, right = items(load(a).scenario), items(load(b).scenario)
    table = Table(title=f"{a} → {b}")
    for col in ("path", a, b):
        table.add_column(col)
    for path in sorted(set(left) | set(right)):
        if left.get(path) != right.get(path):
            table.add_row(path, left.get(path, "—"), right.get(path, "—"))
    console.print(table if table.row_count else f"{a} and {b} have the same quantities")

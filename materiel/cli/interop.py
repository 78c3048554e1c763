"""`materiel export`: a scenario's deterministic variant as a model other tools run (XMILE)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer

from materiel.cli import app
from materiel.cli.options import with_overrides
from materiel.cli.output import console
from materiel.errors import InputError, Problem

DEFAULT_SCENARIO = "russia-ukraine-2022"

Quantile = Annotated[Optional[float], typer.Option(
    "--quantile", help="Quantile every quantity takes, strictly between 0 and 1 (default 0.5: the median)")]


def check_quantile(q: float | None) -> float:
    """The quantile asked for (0.5 if none), or InputError if it is not strictly between 0 and 1."""
    if q is None:
        return 0.5
    if not 0.0 < q < 1.0:
        raise InputError(Problem("--quantile", message=f"expected a number strictly between 0 and 1, got {q:g}"))
    return q


@app.command()
def export(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file")] = DEFAULT_SCENARIO,
    xmile: Annotated[Path, typer.Option("--xmile", help="Write the model to this XMILE file (.xmile)")] = ...,
    quantile: Quantile = None,
    horizon: Annotated[Optional[str], typer.Option(help="Last date simulated (YYYY-MM-DD)")] = None,
    step: Annotated[Optional[str], typer.Option(help="Time step: day, week or month")] = None,
) -> None:
    """Export the scenario's deterministic variant (every quantity at its median, or --quantile) as XMILE.

    It runs in Stella, PySD and other XMILE tools as `materiel run --deterministic` runs here (docs/interop.md).
    """
    from materiel.interop import export_xmile
    from materiel.scenario.loading import load

    q = check_quantile(quantile)
    loaded = load(scenario)
    sc = with_overrides(loaded.scenario, horizon, step)
    try:
        model = export_xmile(sc, xmile, q)
    except OSError as exc:
        raise InputError(Problem(str(xmile), message=f"cannot write: {exc.strerror or exc}")) from None
    except ValueError as exc:  # names that XMILE would take for one variable
        raise InputError(Problem(loaded.origin, message=f"cannot export: {exc}; rename a side, line, storage class or supplier")) from None
    kinds = Counter(type(v).__name__.lower() for v in model.variables)
    console.print(f"wrote {xmile}: {kinds['stock']} stocks, {kinds['flow']} flows, {kinds['aux']} auxiliaries; "
                  f"{model.steps} steps ({model.time_units}), every quantity at its {q:g} quantile")

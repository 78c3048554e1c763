"""`materiel run --out DIR`: the report, figures, summary and outcomes of a run, written to one folder.

    DIR/report.html       self-contained interactive report (works offline)
    DIR/figures/*.png|svg publication figures
    DIR/summary.json      the headline numbers, exactly as `--json` writes them
    DIR/outcomes.parquet  tidy trajectories (per run, or per-step quantiles for large ensembles)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq

from materiel.analysis.outcomes import Ensemble
from materiel.errors import InputError, Problem
from materiel.report import figures, html, tidy
from materiel.report.document import summary_document
from materiel.scenario.loading import LoadedScenario


def prepare(out_dir: Path) -> None:
    """Create `out_dir` if needed and check it can be written, before any long work."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".materiel-write-check"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise InputError(Problem(str(out_dir), message=f"cannot write the report folder: {exc.strerror or exc}")) from None


def write_outputs(ensemble: Ensemble, loaded_scenario: LoadedScenario, out_dir: Path, command: str) -> list[Path]:
    """Write every output of a run into `out_dir`; return the files written."""
    out_dir = Path(out_dir)
    prepare(out_dir)
    created = dt.datetime.now(dt.timezone.utc)
    try:
        written = figures.write_figures(ensemble, out_dir / "figures")
        summary = out_dir / "summary.json"
        summary.write_text(json.dumps(summary_document(ensemble, ensemble.layout.scenario.name), indent=2) + "\n",
                           encoding="utf-8")
        outcomes = out_dir / "outcomes.parquet"
        pq.write_table(tidy.outcomes_table(ensemble), outcomes)
        report = out_dir / "report.html"
        report.write_text(html.render(ensemble, loaded_scenario, command, tidy.kind(ensemble), created),
                          encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(str(out_dir), message=f"cannot write: {exc.strerror or exc}")) from None
    return [report, summary, outcomes, *written]

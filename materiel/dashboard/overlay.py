"""Saving the dashboard's variant: an overlay file (`extends:` + `interventions:`, docs/whatif.md) that
`materiel run`, `compare` and `validate` take, and the HTML report and comparison page of it.

The report is made from the written file, loaded back as `materiel compare` would load it, so
what is saved is what the file says.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml

from materiel.analysis.comparison import paired_frame
from materiel.errors import InputError, Problem
from materiel.report import comparison, html, tidy
from materiel.scenario.interventions import Intervention, to_item
from materiel.scenario.loading import LoadedScenario, load
from materiel.simulation import paired_ensembles

REPORT_RUNS = 1_000  # runs whose trajectories the saved pages chart


def overlay_text(extends: str, name: str, interventions: list[Intervention]) -> str:
    """The overlay's YAML text."""
    doc = {"extends": extends, "name": name, "interventions": [to_item(iv) for iv in interventions]}
    return "# written by materiel serve\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def save(base: LoadedScenario, extends: str, interventions: list[Intervention], runs: int, seed: int,
         out: Path, now: dt.datetime) -> list[Path]:
    """Write NAME.yaml (the overlay) and NAME/report.html and NAME/comparison.html into `out`; return them.
    `extends`: the base as the overlay names it (a built-in name or an absolute path)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", base.scenario.name).strip("-") or "scenario"
    name = f"{stem}-variant-{now.strftime('%Y%m%d-%H%M%S')}"
    path, folder = out / f"{name}.yaml", out / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(overlay_text(extends, name, interventions), encoding="utf-8")
        variant = load(path)
        ensembles = paired_ensembles(base.scenario, variant.scenario, runs=runs, seed=seed, keep=min(runs, REPORT_RUNS))
        command = f"materiel run {path} --runs {runs} --seed {seed} --out {folder}"
        report, page = folder / "report.html", folder / "comparison.html"
        report.write_text(html.render(ensembles[1], variant, command, tidy.kind(ensembles[1]), now), encoding="utf-8")
        page.write_text(comparison.render(*ensembles, paired_frame(*ensembles), now), encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(str(out), message=f"cannot write the variant: {exc.strerror or exc}")) from None
    return [path, report, page]

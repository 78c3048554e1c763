"""The HTML comparison page: a variant against its base, paired run by run (`materiel compare --out`).

The table of per-run differences, then for every line the variant changes: its storage, supply and
shortfall per day, base (grey) and variant (the side's colour) overlaid as P10–P90 bands, and the
paired difference variant − base. Self-contained like the run report.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from importlib import resources
from string import Template

import numpy as np
import pandas as pd

from materiel.analysis.outcomes import Ensemble, step_quantiles
from materiel.report import charts, html, series, style
from materiel.report.terminal import compact
from materiel.scenario.schema import STEPLY
from materiel.version import __version__

BASE_COLOR = "#8a93a0"
LABELS = {"runout_days": "storage runs out (days from the start)", "shortfall": "shortfall",
          "supply_demand_ratio": "supply / demand"}


def render(base: Ensemble, variant: Ensemble, rows: pd.DataFrame, created: dt.datetime) -> str:
    """The page for `variant` against `base`, `rows` being their `analysis.comparison.paired` rows."""
    sc = variant.layout.scenario
    changed = sorted({(r.side, r.line) for r in rows.itertuples() if r.diff_p10 or r.diff_p90 or r.p_worse or r.p_better},
                     key=base.layout.lines.index)
    template = Template(resources.files("materiel.report").joinpath("templates/comparison.html").read_text("utf-8"))
    return template.substitute(
        version=escape(__version__), name=escape(f"{sc.name} against {base.layout.scenario.name}"),
        title=escape(f"What if: {sc.title or sc.name}"), css=html.css(), plotly=html.plotly_js(),
        chips="".join(f"<li>{escape(c)}</li>" for c in (
            f"{sc.start:%d %b %Y} → {sc.horizon:%d %b %Y}", f"{STEPLY[sc.step]} steps", f"{base.runs:,} paired runs",
            f"seed {base.seed}", f"materiel {__version__}")),
        lede=_lede(sc.what_if, changed),
        table=_table(rows),
        sections="\n".join(_line_section(base, variant, side, line) for side, line in changed),
        created=escape(created.strftime("%Y-%m-%d %H:%M UTC")),
    )


def _lede(what_if: list[str], changed: list[tuple[str, str]]) -> str:
    changes = "; ".join(escape(c) for c in what_if) or "the variant's own scenario file"
    lines = ", ".join(escape(style.line_title(*key)) for key in changed)
    return (f"<b>Interventions</b>: {changes}. " +
            (f"Lines it changes in some run: {lines}; every other line is the same in every run." if changed
             else "No line changes in any run."))


def _table(rows: pd.DataFrame) -> str:
    head = "<tr><th>side / line</th><th>outcome</th><th>base P50</th><th>variant P50</th><th>Δ P50 [P10–P90]</th><th>P(worse)</th></tr>"
    body = "".join(
        f"<tr><td>{escape(style.line_title(r.side, r.line))}</td><td>{escape(LABELS[r.outcome])}</td>"
        f"<td>{value(r.outcome, r.base_p50)}</td><td>{value(r.outcome, r.variant_p50)}</td>"
        f"<td>{signed(r.outcome, r.diff_p50)} [{signed(r.outcome, r.diff_p10)} – {signed(r.outcome, r.diff_p90)}]</td>"
        f"<td>{r.p_worse:.0%}</td></tr>"
        for r in rows.itertuples())
    return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"


def _line_section(base: Ensemble, variant: Ensemble, side: str, line: str) -> str:
    i, j = base.layout.lines.index((side, line)), variant.layout.lines.index((side, line))
    unit = style.unit(base, side, line)
    color = style.side_color(base, side)
    items = []
    for name, label in (("storage", unit), ("supply", f"{unit} per day"), ("shortfall", f"{unit} per day")):
        if name == "storage" and not base.scalars.has_storage[i]:
            continue
        overlay = charts.fan(base, [("base", BASE_COLOR, series.band(base, name, i)),
                                    ("variant", color, series.band(variant, name, j))], label)
        k = min(base.kept, variant.kept)
        diff = series.per_run(variant, name, j)[:k] - series.per_run(base, name, i)[:k]
        difference = charts.fan(base, [("variant − base", color, step_quantiles(diff[:, :, None])[:, :, 0])], label)
        difference.add_hline(y=0, line={"color": "#999", "width": 1, "dash": "dash"})
        items += [(f"{name.capitalize()}: base and variant", f"P10–P90 and P50 across {k:,} kept runs", overlay),
                  (f"{name.capitalize()}: variant − base", "per run, paired; dashed line: no change", difference)]
    return (f'<section id="{escape(html.anchor("line", side, line))}"><h2>{escape(style.line_title(side, line))}</h2>'
            f"{html.chart_grid(items)}</section>")


def value(outcome: str, x: float) -> str:
    """Days as whole days, a ratio to 3 significant digits, amounts compactly (12.3k)."""
    if np.isnan(x):
        return "—"
    return f"{x:,.0f}" if outcome == "runout_days" else f"{x:.3g}" if outcome == "supply_demand_ratio" else compact(x)


def signed(outcome: str, x: float) -> str:
    """A paired change as `value` writes it, with its sign."""
    return "0" if x == 0 else ("+" if x > 0 else "−") + value(outcome, abs(x))

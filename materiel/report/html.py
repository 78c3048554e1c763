"""The HTML report: one self-contained page with Plotly's JavaScript and the CSS inline.

Top to bottom: the answer at a glance (a card per line and per category both sides field), the
headline table (the terminal's numbers), interactive charts per side and line, the sides
compared, the scenario's sources, and how to reproduce the run. Nothing is fetched.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from html import escape
from importlib import resources
from string import Template

import plotly.io as pio
from plotly.offline import get_plotlyjs

import materiel
from materiel.analysis.outcomes import Ensemble
from materiel.report import charts, series, style
from materiel.report.document import summary_document
from materiel.report.terminal import compact
from materiel.scenario.loading import LoadedScenario
from materiel.scenario.schema import iter_quantities

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"],
                 "toImageButtonOptions": {"format": "svg"}}


def render(ens: Ensemble, loaded: LoadedScenario, command: str, outcomes_kind: str, created: dt.datetime) -> str:
    """The report page for an ensemble of `loaded` run by `command`; `outcomes_kind` as in `tidy.kind`."""
    sc = ens.layout.scenario
    doc = summary_document(ens, sc.name)
    pairs = series.shared_lines(ens)
    sections = [_side_section(ens, side) for side in ens.layout.sides]
    if pairs:
        sections.append(_versus_section(ens, pairs))
    toc = [("glance", "At a glance"), ("table", "Headline numbers")]
    toc += [(f"side-{s}", style.name(s)) for s in ens.layout.sides]
    toc += [("versus", "Sides compared")] if pairs else []
    toc += [("sources", "Sources"), ("reproduce", "Reproduce")]
    template = Template(resources.files("materiel.report").joinpath("templates/report.html").read_text("utf-8"))
    return template.substitute(
        version=escape(materiel.__version__),
        name=escape(sc.name),
        title=escape(sc.title or sc.name),
        description=f"<p>{escape(sc.description.strip())}</p>" if sc.description.strip() else "",
        chips="".join(f"<li>{escape(c)}</li>" for c in (
            f"{_day(sc.start)} → {_day(sc.horizon)}", f"{sc.step}ly steps", f"{ens.runs:,} runs", f"seed {ens.seed}",
            f"materiel {materiel.__version__}")),
        toc="".join(f'<a href="#{escape(a)}">{escape(t)}</a>' for a, t in toc),
        lede=_lede(doc, ens),
        cards="".join([_line_card(ens, row) for row in doc["lines"]] + [_versus_card(ens, p) for p in pairs]),
        table=_table(ens, doc),
        sections="\n".join(sections),
        sources=_sources(ens),
        reproduce=_reproduce(ens, loaded, command, outcomes_kind, created),
        created=escape(created.strftime("%Y-%m-%d %H:%M UTC")),
        plotly=get_plotlyjs(),
    )


def _lede(doc: dict, ens: Ensemble) -> str:
    """One or two sentences: on how many lines supply falls short, and storage runs out, in most runs."""
    rows = doc["lines"]
    short = sum((r["supply_demand_ratio"]["p50"] or 0) < 1 for r in rows)
    text = (f"In the median run, supply falls short of demand on <b>{_count(short, len(rows))}</b> lines."
            if short else "In the median run, supply keeps up with demand on every line.")
    stored = [r["runout"]["probability"] for r in rows if r["runout"]["probability"] is not None]
    if stored:
        out = sum(p >= 0.5 for p in stored)
        text += (f" Storage runs out before {_day(ens.layout.scenario.horizon)} in most runs on "
                 f"<b>{_count(out, len(stored))}</b> lines that hold storage." if out else
                 f" Storage lasts past {_day(ens.layout.scenario.horizon)} in most runs on every line that holds it.")
    return text


def _count(k: int, n: int) -> str:
    return "both" if k == n == 2 else "all" if k == n > 2 else f"{k} of {n}"


def _line_card(ens: Ensemble, row: dict) -> str:
    side, line = row["side"], row["line"]
    unit = style.unit(ens, side, line)
    ratio, prob, runout = row["supply_demand_ratio"], row["runout"]["probability"], row["runout"]
    p50 = ratio["p50"]
    status = "" if p50 is None else "ok" if p50 >= 1 else "tight" if p50 >= 0.9 else "short"
    big = "—" if p50 is None else f"{p50:.0%}"
    spread = "" if p50 is None else f"P10–P90: {ratio['p10']:.0%}–{ratio['p90']:.0%}"
    horizon = _day(ens.layout.scenario.horizon)
    if prob is None:
        storage = "No storage to draw on."
    elif prob == 0:
        storage = f"Storage lasts past {horizon} in every run."
    else:
        dates = [f"{k.upper()} {_day(runout[k]) if runout[k] else 'after the horizon'}" for k in ("p10", "p50", "p90")]
        storage = f"Storage runs out before {horizon} in <b>{prob:.0%}</b> of runs ({', '.join(dates)})."
    short = row["shortfall"]
    return f"""
<article class="card {status}">
  <h3>{escape(style.line_title(side, line))}</h3>
  <div class="big">{big}<small>of demand supplied</small></div>
  <div class="range">{spread}</div>
  <ul>
    <li>{storage}</li>
    <li>Shortfall over the period: <b>{compact(short['p50'])}</b> {escape(unit)}
      <span class="range">({compact(short['p10'])}–{compact(short['p90'])})</span></li>
  </ul>
</article>"""


def _versus_card(ens: Ensemble, pair: series.Pair) -> str:
    q = series.total_ratio(ens, pair)
    unit = style.unit(ens, pair.a, pair.category)
    return f"""
<article class="card versus">
  <h3>{escape(style.name(pair.category))}: {escape(style.name(pair.a))} against {escape(style.name(pair.b))}</h3>
  <div class="big">{_times(q[1])}<small>as many {escape(unit)} lost or fired</small></div>
  <div class="range">P10–P90: {_times(q[0])}–{_times(q[-1])}, over the whole period</div>
  <ul><li>{escape(style.name(pair.a))}'s total over {escape(style.name(pair.b))}'s, per run, across {style.runs(ens)}.
      Over time: <a href="#versus">sides compared</a>.</li></ul>
</article>"""


def _table(ens: Ensemble, doc: dict) -> str:
    head = ("side", "line", "supply / demand", "storage runs out", "P(out)", "shortfall")
    rows = []
    for r in doc["lines"]:
        prob = r["runout"]["probability"]
        runout = "no storage" if prob is None else _cell(r["runout"], lambda d: d, missing="after horizon")
        rows.append([
            escape(style.name(r["side"])), escape(r["line"]),
            _cell(r["supply_demand_ratio"], lambda v: f"{v:.2f}"),
            runout,
            "—" if prob is None else f"{prob:.0%}",
            _cell(r["shortfall"], compact) + f'<span class="spread">{escape(style.unit(ens, r["side"], r["line"]))}</span>',
        ])
    th = "".join(f'<th class="{"num" if i >= 2 else ""}">{h}</th>' for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td class="{"num" if i >= 2 else ""}">{c}</td>' for i, c in enumerate(row))
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _cell(values: dict, fmt, missing: str = "—") -> str:
    def show(k):
        return missing if values[k] is None else escape(fmt(values[k]))

    if all(values[k] is None for k in ("p10", "p50", "p90")):
        return escape(missing)
    return f'<span class="p50">{show("p50")}</span><span class="spread">{show("p10")}–{show("p90")}</span>'


def _side_section(ens: Ensemble, side: str) -> str:
    parts = [f'<section id="side-{escape(side)}"><h2>{escape(style.name(side))}</h2>',
             f'<p class="note">Bands: P10–P90 across {style.runs(ens)}; line: P50. Stocks at the end of each '
             f'{ens.layout.scenario.step}; flows per day.</p>']
    for i, (s, line) in enumerate(ens.layout.lines):
        if s != side:
            continue
        unit = style.unit(ens, side, line)
        items = [("Front stock", f"{unit} in the field", charts.front(ens, i))]
        if ens.scalars.has_storage[i]:
            items.append(("Storage", f"{unit} left in storage, every condition class", charts.storage(ens, i)))
        items.append(("Supply against demand", "produced + refurbished + imported, against what the front "
                      "loses or consumes, per day", charts.supply(ens, i)))
        if ens.scalars.has_storage[i]:
            items.append(("When storage runs out", f"share of all {ens.runs:,} runs, by month", charts.runout(ens, i)))
        parts.append(f"<h3>{escape(style.name(line))}</h3>{_charts(items)}")
    return "\n".join(parts) + "</section>"


def _versus_section(ens: Ensemble, pairs: list[series.Pair]) -> str:
    parts = ['<section id="versus"><h2>Sides compared</h2>',
             '<p class="note">Where both sides field the same category. Ratio per run and step, then P10/P50/P90 '
             'across runs; gaps where the second side lost or fired none.</p>']
    for p in pairs:
        a, b, unit = style.name(p.a), style.name(p.b), style.unit(ens, p.a, p.category)
        parts.append(f"<h3>{escape(style.name(p.category))}</h3>" + _charts([
            ("Lost or fired per day", f"{a} and {b}, {unit} per day", charts.expended(ens, p)),
            (f"{a} ÷ {b}", "dashed line: parity", charts.ratio(ens, p)),
        ]))
    return "\n".join(parts) + "</section>"


def _charts(items) -> str:
    figures = []
    for title, caption, fig in items:
        plot = pio.to_html(fig, full_html=False, include_plotlyjs=False, include_mathjax=False,
                           config=PLOTLY_CONFIG, default_height=f"{charts.HEIGHT}px")
        figures.append(f'<figure class="chart"><figcaption><b>{escape(title)}</b><span>{escape(caption)}</span>'
                       f"</figcaption>{plot}</figure>")
    return f'<div class="charts">{"".join(figures)}</div>'


def _sources(ens: Ensemble) -> str:
    sc = ens.layout.scenario
    cited = Counter(sid for _, q in iter_quantities(sc) for sid in q.source)
    rows = []
    for sid, src in sc.sources.items():
        title = escape(src.title)
        if src.url:
            title = f'<a href="{escape(src.url)}" rel="noreferrer">{title}</a>'
        note = f'<span class="spread">{escape(src.note)}</span>' if src.note else ""
        date = src.date.isoformat() if isinstance(src.date, dt.date) else str(src.date)
        rows.append(f"<tr><td>{escape(sid)}</td><td>{title}{note}</td><td>{escape(src.author)}</td>"
                    f'<td>{escape(date)}</td><td class="num">{cited[sid]}</td></tr>')
    if not rows:
        return '<p class="note">This scenario cites no sources.</p>'
    return ('<table class="sources"><thead><tr><th>id</th><th>title</th><th>author</th><th>date</th>'
            f'<th class="num">cited by</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _reproduce(ens: Ensemble, loaded: LoadedScenario, command: str, outcomes_kind: str, created: dt.datetime) -> str:
    sc, original = ens.layout.scenario, loaded.scenario
    period = f"{sc.start} → {sc.horizon}, {sc.step}ly steps ({ens.layout.steps:,})"
    if (sc.horizon, sc.step) != (original.horizon, original.step):
        period += f"; the file says to {original.horizon}, {original.step}ly (overridden on the command line)"
    outcomes = (f"every kept run ({ens.kept:,}), per step, line and variable" if outcomes_kind == "runs" else
                f"P10/P50/P90 per step across {style.runs(ens)} (too many rows to keep every run)")
    facts = [
        ("materiel", escape(materiel.__version__)),
        ("scenario", escape(loaded.origin)),
        ("scenario SHA-256", f'<span class="mono">{loaded.sha256}</span>'),
        ("seed", str(ens.seed)),
        ("runs", f"{ens.runs:,}" + (f" ({ens.kept:,} kept for the charts)" if ens.kept < ens.runs else "")),
        ("period", escape(period)),
        ("run on", created.strftime("%Y-%m-%d %H:%M UTC")),
        ("files", "summary.json (the headline numbers, as <code>--json</code> writes them), figures/ (PNG and SVG), "
                  f"outcomes.parquet: {escape(outcomes)}"),
        ("command", f"<pre>{escape(command)}</pre>"),
    ]
    return '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"


def _day(value: dt.date | str | None) -> str:
    """'2026-03-12' → '12 Mar 2026'."""
    if value is None:
        return "—"
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.day} {d:%b %Y}"


def _times(value: float) -> str:
    return "—" if value != value else f"{value:.1f}×"

"""The HTML report: one self-contained page with Plotly's JavaScript and the CSS inline.

Plotly's JavaScript is its official "basic" bundle (scatter, bar, pie: all the report draws; 1.1 MB
where the full one is 4.8 MB), kept in vendor/ with its licence (scripts/vendor_plotly.sh).

Top to bottom: the answer at a glance (a card per line and per category both sides field), the
headline table (the terminal's numbers), interactive charts per side and line, the sides
compared, the scenario's sources, and how to reproduce the run. Nothing is fetched.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from html import escape
from importlib import resources
from string import Template
from urllib.parse import urlsplit

import plotly.io as pio

from materiel.analysis.outcomes import Ensemble
from materiel.evidence import ledger
from materiel.report import charts, series, style
from materiel.report.document import summary_document
from materiel.report.terminal import compact
from materiel.scenario.loading import LoadedScenario
from materiel.scenario.schema import STEPLY, iter_quantities
from materiel.version import __version__

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"],
                 "toImageButtonOptions": {"format": "svg"}}


def render(ens: Ensemble, loaded: LoadedScenario, command: str, outcomes_kind: str, created: dt.datetime) -> str:
    """The report page for an ensemble of `loaded` run by `command`; `outcomes_kind` as in `tidy.kind`."""
    sc = ens.layout.scenario
    doc = summary_document(ens, sc.name)
    pairs = series.shared_lines(ens)
    sections = [_side_section(ens, side) for side in ens.layout.sides]
    races = doc.get("races", [])
    compared = bool(pairs or races)  # a race is shown even where no category is on both sides
    if compared:
        sections.append(_versus_section(ens, pairs, races))
    toc = [("glance", "At a glance"), ("table", "Headline numbers")]
    toc += [(f"side-{s}", style.name(s)) for s in ens.layout.sides]
    toc += [("versus", "Sides compared")] if compared else []
    toc += [("sources", "Sources"), ("reproduce", "Reproduce")]
    template = Template(resources.files("materiel.report").joinpath("templates/report.html").read_text("utf-8"))
    return template.substitute(
        version=escape(__version__),
        name=escape(sc.name),
        title=escape(sc.title or sc.name),
        description=f"<p>{escape(sc.description.strip())}</p>" if sc.description.strip() else "",
        chips="".join(f"<li>{escape(c)}</li>" for c in (
            f"{_day(sc.start)} → {_day(sc.horizon)}", f"{STEPLY[sc.step]} steps", f"{ens.runs:,} runs", f"seed {ens.seed}",
            f"materiel {__version__}")),
        toc="".join(f'<a href="#{escape(a)}">{escape(t)}</a>' for a, t in toc),
        lede=_lede(doc, ens),
        cards="".join([_line_card(ens, row) for row in doc["lines"]] + [_versus_card(ens, p) for p in pairs]),
        table=_table(ens, doc),
        sections="\n".join(sections),
        sources=_sources(ens),
        reproduce=_reproduce(ens, loaded, command, outcomes_kind, created),
        created=escape(created.strftime("%Y-%m-%d %H:%M UTC")),
        plotly=plotly_js(), css=css(),
    )


def plotly_js() -> str:
    """Plotly's basic bundle, to inline once per page."""
    return resources.files("materiel.report").joinpath("vendor/plotly-basic.min.js").read_text("utf-8")


def css() -> str:
    """The reports' style sheet, to inline."""
    return resources.files("materiel.report").joinpath("templates/report.css").read_text("utf-8")


def _lede(doc: dict, ens: Ensemble) -> str:
    """The headline finding, a sentence per side: which line's storage runs out first, when and how
    likely; on how many lines supply falls short in the median run. A draft scenario says so first."""
    sc = ens.layout.scenario
    horizon = _day(sc.horizon)
    sentences = ['<b>Draft scenario</b>: some of its numbers cite no source (<code>draft: true</code>).'] \
        if sc.draft else []
    if sc.what_if:
        sentences.append("<b>What-if variant</b>: " + "; ".join(escape(change) for change in sc.what_if) + ".")
    for side in ens.layout.sides:
        rows = [r for r in doc["lines"] if r["side"] == side]
        stored = [r for r in rows if r["runout"]["probability"] is not None]
        likely = [r for r in stored if r["runout"]["probability"] >= 0.5]
        if likely:
            first = min(likely, key=lambda r: r["runout"]["p50"])
            out = first["runout"]
            storage = (f"{escape(style.name(first['line']))} storage runs out first: by <b>{_day(out['p50'])}</b> "
                       f"in the median run (P10 {_day(out['p10'])}, P90 "
                       f"{_day(out['p90']) if out['p90'] else 'after ' + horizon}), before {horizon} in "
                       f"<b>{out['probability']:.0%}</b> of runs")
        elif stored:
            most = max(stored, key=lambda r: r["runout"]["probability"])
            storage = f"storage lasts past {horizon} in most runs on every line that holds it" + (
                f"; {escape(style.name(most['line']))} runs out in {most['runout']['probability']:.0%} of runs"
                if most["runout"]["probability"] > 0 else "")
        else:
            storage = "no storage to draw on"
        short = sum((r["supply_demand_ratio"]["p50"] or 0) < 1 for r in rows)
        n = len(rows)
        which = (f"{short} of its {n} lines" if short < n else
                 "its one line" if n == 1 else "both its lines" if n == 2 else "all its lines")
        supply = (f"supply falls short of demand on {which} in the median run"
                  if short else "supply keeps up with demand on every line in the median run")
        sentences.append(f"<b>{escape(style.name(side))}</b>: {storage}; {supply}.")
    return " ".join(sentences)


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
    behind = f"#{anchor('q', side, line)}"
    return f"""
<article class="card {status}">
  <h3>{escape(style.line_title(side, line))}</h3>
  <div class="big"><a href="{behind}" title="the quantities and sources behind this line">{big}</a><small>of demand supplied</small></div>
  <div class="range">{spread}</div>
  <ul>
    <li>{storage}</li>
    <li>Shortfall over the period: <b>{compact(short['p50'])}</b> {escape(unit)}
      <span class="range">({compact(short['p10'])}–{compact(short['p90'])})</span></li>
    <li><a href="{behind}">The quantities and sources behind these numbers</a></li>
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
        items.append(("Supply against demand", "produced + refurbished + imported + repaired, against what the front "
                      "loses or consumes, per day", charts.supply(ens, i)))
        if ens.scalars.has_storage[i]:
            items.append(("When storage runs out", f"share of all {ens.runs:,} runs, by month", charts.runout(ens, i)))
        parts.append(f"<h3>{escape(style.name(line))}</h3>{chart_grid(items)}")
    return "\n".join(parts) + "</section>"


def _versus_section(ens: Ensemble, pairs: list[series.Pair], races: list[dict]) -> str:
    parts = ['<section id="versus"><h2>Sides compared</h2>']
    if pairs:
        parts.append('<p class="note">Where both sides field the same category. Ratio per run and step, then '
                     'P10/P50/P90 across runs; gaps where the second side lost or fired none.</p>')
    for race in races:
        c = race["crossing"]
        day = {k: _day(c[k]) if c[k] else "after the horizon" for k in ("p10", "p50", "p90")}
        when = "in no run by the horizon" if not c["probability"] else (
            f"in {c['probability']:.0%} of runs by the horizon: P10 {day['p10']}, P50 {day['p50']}, P90 {day['p90']}")
        parts.append(f'<p class="race"><b>The race of fires.</b> {escape(race["first"])} ÷ {escape(race["second"])} '
                     f"(the fires the two sides' couplings follow) first crosses 1 {escape(when)}.</p>")
    for p in pairs:
        a, b, unit = style.name(p.a), style.name(p.b), style.unit(ens, p.a, p.category)
        parts.append(f"<h3>{escape(style.name(p.category))}</h3>" + chart_grid([
            ("Lost or fired per day", f"{a} and {b}, {unit} per day", charts.expended(ens, p)),
            (f"{a} ÷ {b}", "dashed line: parity", charts.ratio(ens, p)),
        ]))
    return "\n".join(parts) + "</section>"


def chart_grid(items) -> str:
    """(title, caption, figure) items as a grid of figures."""
    figures = []
    for title, caption, fig in items:
        plot = pio.to_html(fig, full_html=False, include_plotlyjs=False, include_mathjax=False,
                           config=PLOTLY_CONFIG, default_height=f"{charts.HEIGHT}px")
        figures.append(f'<figure class="chart"><figcaption><b>{escape(title)}</b><span>{escape(caption)}</span>'
                       f"</figcaption>{plot}</figure>")
    return f'<div class="charts">{"".join(figures)}</div>'


def _sources(ens: Ensemble) -> str:
    """Each line's quantities with the sources they cite (the cards link here), then every source."""
    sc = ens.layout.scenario
    quantities = list(iter_quantities(sc))
    parts = []
    for side, line in ens.layout.lines:
        rows = []
        for path, q in quantities:
            if ledger.feeds(sc, path, side, line):
                cites = ", ".join(f'<a href="#{anchor("src", sid)}">{escape(sid)}</a>' for sid in q.source) \
                    or '<span class="spread">no source (draft)</span>'
                rows.append(f'<tr><td class="mono">{escape(path)}</td><td class="num">{escape(q.describe())}</td>'
                            f"<td>{cites}</td></tr>")
        parts.append(f'<details id="{anchor("q", side, line)}"><summary>{escape(style.line_title(side, line))}: '
                     f"{len(rows)} quantities</summary><table><thead><tr><th>quantity</th><th class=\"num\">value</th>"
                     f"<th>sources</th></tr></thead><tbody>{''.join(rows)}</tbody></table></details>")
    cited = Counter(sid for _, q in quantities for sid in q.source)
    rows = []
    for sid, src in sc.sources.items():
        title = escape(src.title)
        if _web_link(src.url):
            title = f'<a href="{escape(src.url)}" rel="noreferrer">{title}</a>'
        elif src.url:
            title += f' <span class="spread">{escape(src.url)}</span>'
        note = f'<span class="spread">{escape(src.note)}</span>' if src.note else ""
        date = src.date.isoformat() if isinstance(src.date, dt.date) else str(src.date)
        rows.append(f'<tr id="{anchor("src", sid)}"><td>{escape(sid)}</td><td>{title}{note}</td>'
                    f'<td>{escape(src.author)}</td><td>{escape(date)}</td><td class="num">{cited[sid]}</td></tr>')
    if not rows:
        return "".join(parts) + '<p class="note">This scenario cites no sources.</p>'
    return ('<h3>Behind each line</h3>' + "".join(parts) + '<h3>Every source</h3><table class="sources"><thead><tr>'
            '<th>id</th><th>title</th><th>author</th><th>date</th>'
            f'<th class="num">cited by</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def anchor(kind: str, *keys: str) -> str:
    """An element id from user-given keys: only letters, digits, '-' and '_' (each run of others is '-')."""
    return "-".join([kind, *(re.sub(r"[^A-Za-z0-9_]+", "-", k) for k in keys)])


def _web_link(url: str | None) -> bool:
    """Only http(s) addresses become links (a `javascript:` or `data:` URL would run in the page)."""
    return url is not None and urlsplit(url.strip()).scheme.lower() in ("http", "https")


def _reproduce(ens: Ensemble, loaded: LoadedScenario, command: str, outcomes_kind: str, created: dt.datetime) -> str:
    sc, original = ens.layout.scenario, loaded.scenario
    period = f"{sc.start} → {sc.horizon}, {STEPLY[sc.step]} steps ({ens.layout.steps:,})"
    if (sc.horizon, sc.step) != (original.horizon, original.step):
        period += f"; the file says to {original.horizon}, {STEPLY[original.step]} (overridden on the command line)"
    outcomes = (f"every kept run ({ens.kept:,}), per step, line and variable" if outcomes_kind == "runs" else
                f"P10/P50/P90 per step across {style.runs(ens)} (too many rows to keep every run)")
    facts = [
        ("materiel", escape(__version__)),
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

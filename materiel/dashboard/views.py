"""The dashboard's Bokeh figures for one line, made once per browser tab; `Charts.show` updates their
data in place (one assignment per source, the base's only when it changed), never re-creating them.

Per line: front, storage and supply against demand as P10–P90 bands with the P50, the variant in
its side's colour over the base drawn faintly; the month in which storage runs out (share of
runs); the paired per-run difference variant − base. Across sides: each race's fire ratio.
"""

from __future__ import annotations

from html import escape

import numpy as np
from bokeh.models import ColumnDataSource, Label, Span
from bokeh.plotting import figure

from materiel.dashboard.explorer import BANDS, Move, Run, bands, differences, runout_edges, runout_shares
from materiel.report import style
from materiel.report.comparison import signed, value

BASE_COLOR = "#9a9a9a"
HEIGHT = 230
DIFF_BINS = 40
OUTCOME_LABEL = {"runout_days": "storage runs out: variant − base (days)",
                 "shortfall": "cumulative shortfall: variant − base"}


def _figure(title: str, **kw):
    return figure(title=title, height=HEIGHT, sizing_mode="stretch_width", tools="pan,box_zoom,reset,save",
                  toolbar_location="right", **kw)


def _band_columns(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f"{name}_{q}": values[name][k].astype(np.float32) for name in BANDS for k, q in enumerate(("lo", "mid", "hi"))}


class Charts:
    """The figures for one selected line and the fire ratios, and their data sources."""

    def __init__(self, base: Run):
        lay = base.ensemble.layout
        self.x = np.array(lay.edges[:-1], dtype="datetime64[D]").astype("datetime64[ms]").astype(np.float64)
        self.edges = runout_edges(lay.scenario)
        start = np.datetime64(lay.scenario.start, "ms").astype(np.float64)
        self.edge_ms = start + self.edges * 86_400_000.0
        empty = {"x": self.x, **{f"{n}_{q}": np.zeros_like(self.x) for n in BANDS for q in ("lo", "mid", "hi")}}
        self.base_src = ColumnDataSource(dict(empty), name="base-bands")
        self.variant_src = ColumnDataSource(dict(empty), name="variant-bands")
        self.figures = {}
        for name, title in (("front", "front (in the field)"), ("storage", "storage"),
                            ("supply", "supply vs demand, per day")):
            fig = _figure(title, x_axis_type="datetime")
            fig.varea("x", f"{name}_lo", f"{name}_hi", source=self.base_src, fill_color=BASE_COLOR, fill_alpha=0.18)
            fig.line("x", f"{name}_mid", source=self.base_src, color=BASE_COLOR, line_width=1)
            fig.varea("x", f"{name}_lo", f"{name}_hi", source=self.variant_src, fill_alpha=0.3)
            fig.line("x", f"{name}_mid", source=self.variant_src, line_width=2, name=f"variant-{name}")
            if name == "supply":
                fig.line("x", "demand_mid", source=self.base_src, color=BASE_COLOR, line_dash="dashed")
                fig.line("x", "demand_mid", source=self.variant_src, color=style.DEMAND_COLOR, line_dash="dashed",
                         line_width=2, legend_label="demand (P50)")
                fig.legend.location = "top_left"
            self.figures[name] = fig
        mid = (self.edge_ms[:-1] + self.edge_ms[1:]) / 2
        self.runout_src = ColumnDataSource({"left": self.edge_ms[:-1], "right": self.edge_ms[1:], "x": mid,
                                            "base": np.zeros(len(mid)), "variant": np.zeros(len(mid))}, name="runout")
        fig = _figure("storage runs out in (share of all runs, by month)", x_axis_type="datetime")
        fig.quad(left="left", right="right", top="variant", bottom=0, source=self.runout_src, fill_alpha=0.5,
                 line_color=None, name="variant-runout")
        fig.step("x", "base", source=self.runout_src, mode="center", color=BASE_COLOR, line_width=1.5)
        self.lasts = Label(x=8, y=8, x_units="screen", y_units="screen", text="", text_font_size="11px",
                           text_color="#444")  # drawn on the canvas: updating it lays nothing out again
        fig.add_layout(self.lasts)
        self.figures["runout"] = fig
        self.diff_src = ColumnDataSource({"left": [], "right": [], "share": []}, name="difference")
        fig = _figure("paired difference per run: variant − base")
        fig.quad(left="left", right="right", top="share", bottom=0, source=self.diff_src, fill_alpha=0.6,
                 line_color=None)
        fig.add_layout(Span(location=0, dimension="height", line_color="#555", line_dash="dotted"))
        fig.yaxis.axis_label = "share of runs"
        self.figures["difference"] = fig
        self.race_srcs = []
        for race in base.races:
            src = ColumnDataSource({"x": self.x, **{k: np.zeros_like(self.x) for k in
                                                    ("base", "lo", "mid", "hi")}}, name="race")
            fig = _figure(f"fire ratio: {race.first} ÷ {race.second} (lost or fired per step)",
                          x_axis_type="datetime")
            fig.varea("x", "lo", "hi", source=src, fill_color=style.RATIO_COLOR, fill_alpha=0.25)
            fig.line("x", "base", source=src, color=BASE_COLOR, line_width=1)
            fig.line("x", "mid", source=src, color=style.RATIO_COLOR, line_width=2)
            fig.add_layout(Span(location=1, dimension="width", line_color="#555", line_dash="dotted"))
            self.race_srcs.append(src)
            self.figures[f"race-{len(self.race_srcs)}"] = fig
        self._shown: tuple[int, int] | None = None  # (id of the base run, line) the base sources show

    def show(self, move: Move, line: int) -> None:
        """Draw `line` of the move's base and variant, and the races."""
        sc = move.base.ensemble.layout.scenario
        side, name = move.base.ensemble.layout.lines[line]
        color = style.SIDE_COLORS[move.base.ensemble.layout.sides.index(side) % len(style.SIDE_COLORS)]
        unit = sc.sides[side].lines[name].unit
        if self._shown != (id(move.base), line):
            self.base_src.data = {"x": self.x, **_band_columns(bands(move.base, line))}
            for src, race in zip(self.race_srcs, move.base.races):
                src.data = {**src.data, "base": race.ratio[1]}
            for key, fig in self.figures.items():
                if key in ("front", "storage", "supply"):
                    fig.yaxis.axis_label = unit
                    for r in fig.renderers[2:4]:
                        r.glyph.update(**({"fill_color": color} if hasattr(r.glyph, "fill_color") else {"line_color": color}))
            self.figures["runout"].renderers[0].glyph.fill_color = color
            self.figures["difference"].renderers[0].glyph.fill_color = color
            self._shown = (id(move.base), line)
        self.variant_src.data = {"x": self.x, **_band_columns(bands(move.variant, line))}
        base_shares, base_lasts = runout_shares(move.base, line, self.edges)
        shares, lasts = runout_shares(move.variant, line, self.edges)
        self.runout_src.data = {**self.runout_src.data, "base": base_shares, "variant": shares}
        self.lasts.text = f"lasts past the horizon in {lasts:.0%} of runs (base {base_lasts:.0%})"
        outcome, diff = differences(move, line)
        diff = diff[np.isfinite(diff)]
        counts, edges = np.histogram(diff, DIFF_BINS if diff.size and np.ptp(diff) > 0 else 1)
        self.diff_src.data = {"left": edges[:-1], "right": edges[1:], "share": counts / max(diff.size, 1)}
        if self.figures["difference"].xaxis.axis_label != OUTCOME_LABEL[outcome]:
            self.figures["difference"].xaxis.axis_label = OUTCOME_LABEL[outcome]
        for src, race in zip(self.race_srcs, move.variant.races):
            lo, mid, hi = race.ratio.astype(np.float32)
            src.data = {"x": self.x, "base": src.data["base"], "lo": lo, "mid": mid, "hi": hi}


def headline(move: Move) -> str:
    """The headline numbers as an HTML table: per line, base and variant medians and the paired change."""
    rows = {(r.side, r.line, r.outcome): r for r in move.paired.itertuples()}
    ens = move.variant.ensemble
    start = np.datetime64(ens.layout.scenario.start, "D")
    body = []
    for i, (side, line) in enumerate(ens.layout.lines):
        cells = [escape(style.line_title(side, line))]
        run_out = rows.get((side, line, "runout_days"))
        if run_out is None:
            cells += ["—", "—"]
        else:
            day = lambda d: str(start + np.timedelta64(int(round(d)), "D"))  # noqa: E731
            d = lambda x: signed("runout_days", x)  # noqa: E731
            cells += [f"{day(run_out.variant_p50)} <small>(base {day(run_out.base_p50)})</small>",
                      f"{d(run_out.diff_p50)} d [{d(run_out.diff_p10)} – {d(run_out.diff_p90)}], "
                      f"earlier in {run_out.p_worse:.0%}"]
        for outcome, worse in (("shortfall", "more in"), ("supply_demand_ratio", "lower in")):
            r = rows.get((side, line, outcome))
            cells.append("—" if r is None else
                         f"{value(outcome, r.variant_p50)} <small>(base {value(outcome, r.base_p50)})</small>; "
                         f"Δ {signed(outcome, r.diff_p50)}, {worse} {r.p_worse:.0%}")
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("line", "storage runs out (P50)", "Δ run-out (P50 [P10 – P90])",
                                               "shortfall (P50)", "supply ÷ demand (P50)"))
    what = "; ".join(escape(iv.describe()) for iv in move.interventions) or "nothing (the base scenario)"
    return (f"<p class='what-changed'><b>What changed:</b> {what}. {ens.runs:,} paired runs, seed {ens.seed}.</p>"
            f"<table class='headline'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")

"""Interactive charts (Plotly) for the HTML report: the same views as `figures.py`, one chart each.

Each function returns a `go.Figure`; `html.py` embeds them without Plotly's JavaScript, which
the page carries once.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from materiel.analysis.outcomes import Ensemble
from materiel.report import series, style

HEIGHT = 300
COUNT = ",.4~r"   # hover format: 12,350 · 8.5 · 37,310,000
RATIO = ".2f"


def front(ens: Ensemble, i: int) -> go.Figure:
    side, line = ens.layout.lines[i]
    return fan(ens, [("front", style.side_color(ens, side), series.band(ens, "front", i))],
                style.unit(ens, side, line))


def storage(ens: Ensemble, i: int) -> go.Figure:
    side, line = ens.layout.lines[i]
    return fan(ens, [("storage", style.side_color(ens, side), series.band(ens, "storage", i))],
                style.unit(ens, side, line))


def supply(ens: Ensemble, i: int) -> go.Figure:
    side, line = ens.layout.lines[i]
    return fan(ens, [("demand", style.DEMAND_COLOR, series.band(ens, "demand", i)),
                      ("supply", style.side_color(ens, side), series.band(ens, "supply", i))],
                f"{style.unit(ens, side, line)} per day")


def runout(ens: Ensemble, i: int) -> go.Figure:
    """Share of all runs whose storage runs out in each month."""
    side, line = ens.layout.lines[i]
    hist = series.runout_histogram(ens, side, line)
    fig = go.Figure(go.Bar(x=hist.months, y=hist.shares * 100, marker_color=style.side_color(ens, side),
                           xperiod="M1", xperiodalignment="middle", name="runs out",
                           hovertemplate="%{x|%b %Y}: %{y:.2f}% of runs<extra></extra>"))
    horizon = f"{ens.layout.scenario.horizon:%d %b %Y}"
    if hist.months.size:
        fig.add_annotation(text=f"lasts past {horizon} in {hist.lasts:.0%} of runs", xref="paper", yref="paper",
                           x=0.01, y=0.98, showarrow=False, xanchor="left", font={"size": 12, "color": "#444"})
    else:
        fig.add_annotation(text=f"Storage lasts past {horizon} in every run", xref="paper", yref="paper",
                           x=0.5, y=0.5, showarrow=False, font={"size": 14, "color": "#444"})
    fig.update_xaxes(type="date")
    fig.update_yaxes(title_text="% of runs, per month", rangemode="tozero", showticklabels=bool(hist.months.size))
    return _layout(ens, fig, hovermode="closest")


def expended(ens: Ensemble, pair: series.Pair) -> go.Figure:
    """What each side loses or fires per day."""
    return fan(ens, [(style.name(side), style.side_color(ens, side), series.band(ens, "lost", i))
                      for side, i in ((pair.a, pair.i), (pair.b, pair.j))],
                f"{style.unit(ens, pair.a, pair.category)} per day")


def ratio(ens: Ensemble, pair: series.Pair) -> go.Figure:
    """Side a's losses (or fire) over side b's, per step."""
    fig = fan(ens, [("ratio", style.RATIO_COLOR, series.step_quantiles(series.step_ratio(ens, pair)))],
               f"{style.name(pair.a)} ÷ {style.name(pair.b)}", hover=RATIO)
    fig.add_hline(y=1, line={"color": "#999", "width": 1, "dash": "dash"})
    return fig


def fan(ens: Ensemble, bands: list[tuple[str, str, np.ndarray]], ytitle: str, hover: str = COUNT) -> go.Figure:
    """P10–P90 band and P50 line for each (label, colour, quantiles [3, T])."""
    x = _steps(ens)
    fig = go.Figure()
    for label, color, q in bands:
        fill = _rgba(color, 0.18)
        with np.errstate(over="ignore"):  # 7 significant digits: more than any chart shows, half the bytes;
            q = np.asarray(q, dtype=np.float32)  # a ratio past float32's range (a near-zero divisor) is inf: a gap
        fig.add_trace(go.Scatter(**x, y=q[0], mode="lines", line={"width": 0}, hoverinfo="skip",
                                 showlegend=False, legendgroup=label))
        fig.add_trace(go.Scatter(**x, y=q[-1], mode="lines", line={"width": 0}, fill="tonexty", fillcolor=fill,
                                 showlegend=False, legendgroup=label, customdata=q[0],
                                 hovertemplate=f"{label} P10–P90: %{{customdata:{hover}}}–%{{y:{hover}}}<extra></extra>"))
        fig.add_trace(go.Scatter(**x, y=q[len(q) // 2], mode="lines", line={"color": color, "width": 2},
                                 name=label, legendgroup=label,
                                 hovertemplate=f"{label} P50: %{{y:{hover}}}<extra></extra>"))
    fig.update_yaxes(title_text=ytitle, rangemode="tozero")
    return _layout(ens, fig, legend=len(bands) > 1)


def _steps(ens: Ensemble) -> dict:
    """The x of a per-step series: a start and a stride for day and week steps (no array to embed),
    else each step's date."""
    if ens.layout.scenario.step == "month":
        return {"x": [d.isoformat() for d in ens.layout.edges[:-1]]}
    days = 1 if ens.layout.scenario.step == "day" else 7
    return {"x0": ens.layout.edges[0].isoformat(), "dx": days * 86_400_000}


def _layout(ens: Ensemble, fig: go.Figure, legend: bool = False, hovermode: str = "x unified") -> go.Figure:
    """Plain white axes set directly (no template: it would be embedded in every chart)."""
    fig.update_layout(
        template=None, plot_bgcolor="white", paper_bgcolor="white", height=HEIGHT,
        margin={"l": 64, "r": 16, "t": 36 if legend else 12, "b": 36},
        font={"family": style.FONT, "size": 12, "color": "#333"}, hovermode=hovermode,
        showlegend=legend, legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        hoverlabel={"font": {"family": style.FONT}},
    )
    fig.update_xaxes(type="date", range=[ens.layout.edges[0], ens.layout.edges[-1]], showline=True,
                     linecolor="#bbb", gridcolor="#ececec", ticks="outside", tickcolor="#bbb")
    fig.update_yaxes(gridcolor="#ececec", zeroline=False)
    known = ens.layout.scenario.knowledge_horizon
    if known is not None:  # a dated vertical line: what follows it is judgement
        fig.add_shape(type="line", x0=known, x1=known, xref="x", y0=0, y1=1, yref="paper",
                      line={"color": style.KNOWLEDGE_COLOR, "width": 1, "dash": "dot"})
        fig.add_annotation(x=known, xref="x", y=1, yref="paper", text=style.KNOWLEDGE_LABEL, showarrow=False,
                           xanchor="left", yanchor="top", font={"size": 10, "color": style.KNOWLEDGE_COLOR})
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"

"""Publication figures, PNG and SVG, drawn with matplotlib's Agg backend.

Per side and line: fan charts (P10–P90 band, P50 line) of front stock, storage, and supply
against demand, and a histogram of storage run-out dates; per category both sides field: what
each side loses or fires per day, and their ratio.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from materiel.analysis.outcomes import Ensemble  # noqa: E402
from materiel.report import series, style  # noqa: E402

DPI = 150
PANEL = (4.2, 3.2)  # inches per panel; a figure of n panels is n × 4.2 by 3.2 inches
RC = {
    "font.size": 9, "axes.titlesize": 10, "axes.titleweight": "bold", "axes.titlelocation": "left",
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#888888",
    "axes.grid": True, "grid.color": "#e6e6e6", "grid.linewidth": 0.6, "axes.axisbelow": True,
    "xtick.color": "#555555", "ytick.color": "#555555", "legend.frameon": False, "legend.fontsize": 8,
    "svg.hashsalt": "materiel",
    "text.parse_math": False,  # names from the scenario are text: a `$` in one is a dollar sign
}


def size(panels: int) -> tuple[int, int]:
    """Width and height in pixels of a PNG with this many panels."""
    return round(PANEL[0] * panels * DPI), round(PANEL[1] * DPI)


def write_figures(ens: Ensemble, folder: Path) -> list[Path]:
    """Draw every figure into `folder` as PNG and SVG; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    stems: set[str] = set()

    def save(fig: Figure, *keys: str) -> None:
        written.extend(_save(fig, folder / _stem(stems, *keys)))

    with matplotlib.rc_context(RC):
        for i, (side, line) in enumerate(ens.layout.lines):
            save(line_figure(ens, i), side, line)
            if ens.scalars.has_storage[i]:
                save(runout_figure(ens, side, line), side, line, "runout")
        for pair in series.shared_lines(ens):
            save(ratio_figure(ens, pair), pair.category, pair.a, "vs", pair.b)
    return written


def _stem(taken: set[str], *keys: str) -> str:
    """A file name from scenario keys, joined by '-': only letters, digits, '_' and '.' kept (each run of
    others becomes '_'), so no name leaves the folder or breaks the file system; unique among `taken`."""
    stem = "-".join(re.sub(r"[^A-Za-z0-9_.]+", "_", k).strip("._") or "_" for k in keys)
    unique, n = stem, 1
    while unique in taken:
        n += 1
        unique = f"{stem}-{n}"
    taken.add(unique)
    return unique


def line_figure(ens: Ensemble, i: int) -> Figure:
    """Front stock, storage (if the line has any) and supply against demand, for one side's line."""
    side, line = ens.layout.lines[i]
    unit, color = style.unit(ens, side, line), style.side_color(ens, side)
    panels = ["front"] + (["storage"] if ens.scalars.has_storage[i] else []) + ["supply"]
    fig, axes = _figure(len(panels), f"{style.line_title(side, line)}: P50 and P10–P90 band of {style.runs(ens)}")
    x = _dates(ens)
    for ax, panel in zip(axes, panels):
        _date_axis(ax, ens)
        if panel == "supply":
            _fan(ax, x, series.band(ens, "demand", i), style.DEMAND_COLOR, "demand")
            _fan(ax, x, series.band(ens, "supply", i), color, "supply")
            ax.set_title("Supply against demand")
            ax.set_ylabel(f"{unit} per day")
            _legend(ax)
        else:
            _fan(ax, x, series.band(ens, panel, i), color, panel)
            ax.set_title("Front stock" if panel == "front" else "Storage")
            ax.set_ylabel(unit)
    return fig


def runout_figure(ens: Ensemble, side: str, line: str) -> Figure:
    """When storage runs out: share of all runs per month."""
    hist = series.runout_histogram(ens, side, line)
    fig, (ax,) = _figure(1, f"{style.line_title(side, line)}: storage runs out ({ens.runs:,} runs)")
    if hist.months.size:
        ax.bar(hist.months, hist.shares * 100, width=25, align="edge", color=style.side_color(ens, side))
    _date_axis(ax, ens)
    ax.set_ylabel("% of runs, per month")
    ax.text(0.02, 0.95, f"lasts past {ens.layout.scenario.horizon:%d %b %Y}\nin {hist.lasts:.0%} of runs",
            transform=ax.transAxes, va="top", fontsize=8, color="#333333")
    return fig


def ratio_figure(ens: Ensemble, pair: series.Pair) -> Figure:
    """What each side loses or fires per day, and side a's over side b's."""
    unit = style.unit(ens, pair.a, pair.category)
    fig, (left, right) = _figure(2, f"{style.name(pair.category)}: {style.name(pair.a)} against "
                                    f"{style.name(pair.b)}, P50 and P10–P90 of {style.runs(ens)}")
    x = _dates(ens)
    for ax in (left, right):
        _date_axis(ax, ens)
    for side, i in ((pair.a, pair.i), (pair.b, pair.j)):
        _fan(left, x, series.band(ens, "lost", i), style.side_color(ens, side), style.name(side))
    left.set_title("Lost or fired per day")
    left.set_ylabel(f"{unit} per day")
    _legend(left)
    _fan(right, x, series.step_quantiles(series.step_ratio(ens, pair)), style.RATIO_COLOR, "ratio")
    right.axhline(1, color="#999999", linewidth=0.8, linestyle="--")
    right.set_title(f"{style.name(pair.a)} ÷ {style.name(pair.b)}")
    right.set_ylabel("ratio")
    return fig


def _figure(panels: int, title: str):
    fig = Figure(figsize=(PANEL[0] * panels, PANEL[1]), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    fig.suptitle(title, x=0.01, ha="left", fontsize=10, color="#333333")
    for ax in axes:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: style.number(v) if v else "0"))
    return fig, axes


def _fan(ax, x, q: np.ndarray, color: str, label: str) -> None:
    ax.fill_between(x, q[0], q[-1], color=color, alpha=0.18, linewidth=0)
    ax.plot(x, q[len(q) // 2], color=color, linewidth=1.6, label=label)
    ax.set_ylim(bottom=0)


def _date_axis(ax, ens: Ensemble) -> None:
    """Dates on the x axis, the whole scenario period, so every chart lines up."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlim(ens.layout.edges[0], ens.layout.edges[-1])
    known = ens.layout.scenario.knowledge_horizon
    if known is not None:  # what follows is judgement
        ax.axvline(known, color=style.KNOWLEDGE_COLOR, linewidth=0.9, linestyle=":")
        ax.annotate(f" {style.KNOWLEDGE_LABEL}", (known, 1), xycoords=("data", "axes fraction"), va="top",
                    fontsize=7, color=style.KNOWLEDGE_COLOR)


def _legend(ax) -> None:
    """Beside the axes title, above the plot, where it hides no data."""
    ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=2, borderaxespad=0.2)


def _dates(ens: Ensemble) -> np.ndarray:
    return ens.times.to_numpy()


def _save(fig: Figure, stem: Path) -> list[Path]:
    paths = [stem.parent / f"{stem.name}.png", stem.parent / f"{stem.name}.svg"]
    fig.savefig(paths[0], dpi=DPI, metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None})
    return paths

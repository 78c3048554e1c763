"""`materiel sensitivity --out DIR` and `materiel discover --out DIR`: figures (PNG) and one
self-contained HTML page that shows them (images inline, no scripts: it works offline).

    DIR/report.html
    DIR/figures/indices-OUTCOME-SIDE-LINE.png    tornado: the top factors' indices with 95% intervals
    DIR/figures/over-time-SERIES-SIDE-LINE.png   heat map: first-order indices, factors × time
    DIR/figures/prim-tradeoff.png                PRIM's coverage–density trade-off (discover)
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from materiel.errors import InputError, Problem
from materiel.report.figures import RC, matplotlib  # noqa: F401  (the Agg backend, the house style)

TOP = 12  # factors shown per figure


def short(factor: str) -> str:
    """A factor's path without the `sides.` prefix and `.lines.`: russia.tanks.storage.ready.stock."""
    return factor.removeprefix("sides.").replace(".lines.", ".", 1)


def tornado(frame: pd.DataFrame, title: str, path: Path) -> Path:
    """Horizontal bars of the top factors' indices (S1 and ST with intervals, or PAWN beside the dummy)."""
    from matplotlib.figure import Figure

    sobol = "ST" in frame
    moved = frame[frame["ST" if sobol else "pawn"] > 0]  # a factor the outcome never moves with is left out
    top = (moved if len(moved) else frame).head(TOP).iloc[::-1]
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.5, 0.32 * len(top) + 1.2))
        ax = fig.add_subplot()
        at = np.arange(len(top))
        if sobol:
            ax.barh(at + 0.2, top["ST"], 0.4, xerr=top["ST_conf"], label="total (ST)", color="#2a62b8")
            ax.barh(at - 0.2, top["S1"], 0.4, xerr=top["S1_conf"], label="first-order (S1)", color="#9fb9e6")
        else:
            ax.barh(at, top["pawn"], 0.6, label="PAWN (median KS)", color="#2a62b8")
            ax.axvline(float(top["dummy"].iloc[0]), color="#b8322a", linestyle="--", label="dummy: no effect")
        ax.set_yticks(at, [short(f) for f in top["factor"]])
        ax.set_title(title)
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    return path


def heat_map(frame: pd.DataFrame, title: str, noise: float, path: Path) -> Path:
    """Factors (the TOP with the largest index at any time) × time, coloured by first-order index."""
    from matplotlib.figure import Figure

    table = frame.pivot_table(index="factor", columns="time", values="S1", sort=False)
    table = table.loc[table.max(axis=1).sort_values(ascending=False).index[:TOP]]
    with matplotlib.rc_context({**RC, "axes.grid": False}):
        fig = Figure(figsize=(9, 0.3 * len(table) + 1.6))
        ax = fig.add_subplot()
        times = pd.DatetimeIndex(table.columns)
        image = ax.imshow(table.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        ax.set_yticks(range(len(table)), [short(f) for f in table.index])
        ticks = np.linspace(0, len(times) - 1, min(8, len(times))).astype(int)
        ax.set_xticks(ticks, [times[k].strftime("%Y-%m") for k in ticks])
        ax.set_title(f"{title} (noise level {noise:.3f})")
        fig.colorbar(image, ax=ax, label="first-order index")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    return path


def tradeoff(trajectory: pd.DataFrame, chosen: int, path: Path) -> Path:
    """PRIM's peeling trajectory: density against coverage, the chosen box marked."""
    from matplotlib.figure import Figure

    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(5, 4))
        ax = fig.add_subplot()
        points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["restricted"], cmap="viridis", s=14)
        ax.scatter([trajectory["coverage"][chosen]], [trajectory["density"][chosen]], s=90, facecolors="none",
                   edgecolors="#b8322a", label="chosen (before pasting)")
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_title("PRIM: coverage–density trade-off")
        ax.legend(loc="lower left")
        fig.colorbar(points, ax=ax, label="factors restricted")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    return path


def write_report(out: Path, title: str, command: str, sections: list[tuple[str, pd.DataFrame | None, list[Path]]]) -> Path:
    """One HTML page: per section a heading, a table (if any) and its figures inlined."""
    parts = [f"<h1>{html.escape(title)}</h1>", f"<p><code>{html.escape(command)}</code></p>"]
    for heading, table, images in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if table is not None:
            parts.append(table.to_html(index=False, float_format=lambda v: f"{v:.3g}", border=0))
        for image in images:
            data = base64.b64encode(image.read_bytes()).decode()
            parts.append(f'<figure><img alt="{html.escape(image.stem)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{html.escape(image.name)}</figcaption></figure>")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(title) + "</title><style>"
            "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
            "table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
            "img{max-width:100%}</style></head><body>" + "\n".join(parts) + "</body></html>\n")
    report = out / "report.html"
    try:
        report.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(str(out), message=f"cannot write: {exc.strerror or exc}")) from None
    return report


def figure_name(*keys: str) -> str:
    """A file name from keys: 'indices', 'runout', 'russia', 'tanks' → indices-runout-russia-tanks.png."""
    return "-".join(k.replace("/", "-") for k in keys) + ".png"

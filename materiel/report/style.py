"""Colours, names and number formats shared by the figures and the HTML report."""

from __future__ import annotations

import re

from materiel.analysis.outcomes import Ensemble
from materiel.report.terminal import compact

SIDE_COLORS = ("#b8322a", "#2a62b8", "#2e8b57", "#8a4fb8", "#c77c0e")
DEMAND_COLOR = "#3d3d3d"
RATIO_COLOR = "#6b5b95"
KNOWLEDGE_COLOR = "#8a6d00"
KNOWLEDGE_LABEL = "knowledge horizon: judgement after"
FONT = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


def side_color(ens: Ensemble, side: str) -> str:
    return SIDE_COLORS[ens.layout.sides.index(side) % len(SIDE_COLORS)]


def name(key: str) -> str:
    """A scenario key as shown to readers: 'russia' → 'Russia', 'long_range-drones' → 'Long range drones'."""
    text = key.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def line_title(side: str, line: str) -> str:
    return f"{name(side)} · {line.replace('_', ' ')}"


def unit(ens: Ensemble, side: str, line: str) -> str:
    return ens.layout.scenario.sides[side].lines[line].unit


def number(value: float) -> str:
    """A readable number: 37.3M, 12.1k, 12k, 845, 3.5, 0.25."""
    if abs(value) >= 1000:
        return re.sub(r"\.0(?=[kMG]$)", "", compact(value))
    return f"{value:.3g}"


def runs(ens: Ensemble) -> str:
    """The runs per-step bands are drawn from: '10,000 runs' or '300 kept runs of 20,000'."""
    return f"{ens.runs:,} runs" if ens.kept == ens.runs else f"{ens.kept:,} kept runs of {ens.runs:,}"

"""Rich tables for the terminal."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text


def summary_table(doc: dict) -> Table:
    """The headline table of a run from its summary document: P50 with [P10–P90] beneath. Names from
    the scenario are shown as written, never read as Rich markup."""
    runs = f"{doc['runs']:,} run" + ("s" if doc["runs"] != 1 else "")
    table = Table(title=Text(f"{doc['scenario']}: {runs}, seed {doc['seed']}, to {doc['horizon']}"),
                  caption=Text("P50 [P10–P90] across runs. Supply = produced + refurbished + imported + repaired, over demand. "
                               "Storage runs out: when a line's drawable storage is gone; P(out): the share of runs "
                               "in which that happens by the horizon. Shortfall: demand the front could not meet "
                               "(losses not replaced, shells not fired), summed over the period, in the line's unit."))
    table.add_column("side")
    table.add_column("line")
    table.add_column("supply / demand", justify="right")
    table.add_column("storage runs out", justify="right")
    table.add_column("P(out)", justify="right")
    table.add_column("shortfall", justify="right")
    for row in doc["lines"]:
        prob = row["runout"]["probability"]
        table.add_row(
            Text(row["side"]), Text(row["line"]),
            _spread(row["supply_demand_ratio"], lambda v: f"{v:.2f}"),
            _spread(row["runout"], lambda d: d, missing="after horizon") if prob is not None else "no storage",
            f"{prob:.0%}" if prob is not None else "—",
            _spread(row["shortfall"], compact, unit=row.get("unit")),
        )
    return table


def race_text(doc: dict) -> Text:
    """The race of the sides' fires from a summary document, a sentence per race (empty: no couplings)."""
    out = Text()
    for race in doc.get("races", []):
        c, ratio = race["crossing"], race["ratio"]
        when = "never by the horizon" if c["probability"] == 0 else (
            f"in {c['probability']:.0%} of runs by the horizon (P10 {c['p10'] or 'after horizon'}, "
            f"P50 {c['p50'] or 'after horizon'}, P90 {c['p90'] or 'after horizon'})")
        last = next((k for k in range(len(ratio["p50"]) - 1, -1, -1) if ratio["p50"][k] is not None), None)
        at_end = "" if last is None else (f"; at {ratio['dates'][last]} it is {ratio['p50'][last]:.2f} "
                                          f"[{ratio['p10'][last]:.2f}–{ratio['p90'][last]:.2f}] over {ratio['kept_runs']:,} runs")
        ahead = race["first_ahead_at_start"]
        start = "" if ahead is None else f"the first fires more at the start in {ahead:.0%} of runs; "
        out.append(f"Race of fires, {race['first']} ÷ {race['second']}: {start}the ratio crosses 1 {when}{at_end}.\n")
    return out


def compact(value: float) -> str:
    """12,345 → '12.3k'; 37,314,820 → '37.3M'."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:.0f}"


#: `analysis.comparison` outcomes as the paired table heads them: (label, what "worse" means).
PAIRED_OUTCOMES = {"runout_days": ("storage runs out (days)", "earlier"), "shortfall": ("shortfall", "more"),
                   "supply_demand_ratio": ("supply / demand", "lower")}


def paired_table(rows, base_name: str, variant_name: str, what_changed: str, runs: int) -> Table:
    """One variant's paired differences (`analysis.comparison.paired` rows): per line, each outcome's
    median change [P10–P90] and P(worse)."""
    table = Table(title=Text(f"{variant_name} − {base_name}: per-run differences over {runs:,} paired runs"),
                  caption=Text(f"What changed: {what_changed}. Median change [P10–P90]; P(worse) is the share of runs "
                               "in which the variant is worse for that side. A run in which storage never runs out "
                               "counts as the horizon's end."), caption_justify="left")
    table.add_column("side/line")
    for label, worse in PAIRED_OUTCOMES.values():
        table.add_column(f"{label} Δ", justify="right")
        table.add_column(f"P({worse})", justify="right")
    by_line: dict[str, dict] = {}
    for row in rows.to_dict("records"):
        by_line.setdefault(f"{row['side']}/{row['line']}", {})[row["outcome"]] = row
    for line, outcomes in by_line.items():
        cells = [Text(line)]
        for name in PAIRED_OUTCOMES:
            row = outcomes.get(name)
            cells += ["—", "—"] if row is None else [
                f"{_signed(row['diff_p50'])} [{_signed(row['diff_p10'])}–{_signed(row['diff_p90'])}]",
                f"{row['p_worse']:.0%}"]
        table.add_row(*cells)
    return table


def _signed(x: float) -> str:
    return f"{x:+,.0f}" if abs(x) >= 100 else f"{x:+.3g}" if x else "0"


def _spread(values: dict, fmt, missing: str = "—", unit: str | None = None) -> Text | str:
    """P50 (with the unit, if given) over [P10–P90]."""
    if all(values[k] is None for k in ("p10", "p50", "p90")):
        return missing

    def show(k):
        return missing if values[k] is None else fmt(values[k])

    return Text(f"{show('p50')}{' ' + unit if unit else ''}\n[{show('p10')}–{show('p90')}]")

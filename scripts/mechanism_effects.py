"""What each of the built-in scenario's mechanisms changes: the scenario as built, then with one
mechanism taken out at a time, paired run by run (same seed and runs). Prints a Markdown table for
docs/scenarios/russia-ukraine-2022.md.

    python scripts/mechanism_effects.py [RUNS]
"""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np

import materiel as mt
from materiel.scenario.quantity import Quantity
from materiel.scenario.schema import Scenario, StorageClass


def without(sc: Scenario, field: str) -> Scenario:
    """The scenario with `field` (repair or coupling) removed from every line."""
    sides = {s: side.model_copy(update={"lines": {n: ln.model_copy(update={field: None}) for n, ln in side.lines.items()}})
             for s, side in sc.sides.items()}
    return sc.model_copy(update={"sides": sides})


def one_afv_class(sc: Scenario) -> Scenario:
    """Russia's AFV storage as the one class it was before the condition split (15,152 at a yield of 0.6-0.9)."""
    afv = sc.sides["russia"].lines["afv"]
    stored = StorageClass(stock=Quantity(value=15152), yield_=Quantity(low=0.6, high=0.9))
    lines = {**sc.sides["russia"].lines, "afv": afv.model_copy(update={"storage": {"stored": stored}})}
    return sc.model_copy(update={"sides": {**sc.sides, "russia": sc.sides["russia"].model_copy(update={"lines": lines})}})


def in_year(ens, name: str, line: int, year: int) -> np.ndarray:
    """Each kept run's total of a series over a calendar year (steps starting in it)."""
    starts = np.array([d.year for d in ens.layout.edges[:-1]])
    return ens.kept_series(name)[:, starts == year, line].sum(axis=1)


def at(ens, name: str, line: int, day: dt.date) -> np.ndarray:
    k = max(t for t, d in enumerate(ens.layout.edges[:-1]) if d <= day)
    return ens.kept_series(name)[:, k, line]


def spread(values: np.ndarray, fmt="{:,.0f}") -> str:
    p10, p50, p90 = np.nanquantile(values, [0.1, 0.5, 0.9])
    return f"{fmt.format(p50)} [{fmt.format(p10)}–{fmt.format(p90)}]"


def runout(ens, side: str, line: str) -> str:
    r = ens.depletion(side, line)
    return f"{r.quantiles[0.5] or 'after horizon'} ({r.probability:.0%})"


def row(name: str, ens) -> str:
    tanks, afv, shells = (ens.line_index("russia", x) for x in ("tanks", "afv", "shells"))
    ua_shells = ens.line_index("ukraine", "shells")
    ratio = lambda day: spread(at(ens, "lost", shells, day) / at(ens, "lost", ua_shells, day), "{:.1f}")  # noqa: E731
    races = ens.races()
    race = (f"{races[0].probability:.0%}, P50 {races[0].quantiles[0.5] or 'after horizon'}" if races else "—")
    return " | ".join([
        name, runout(ens, "russia", "tanks"), spread(in_year(ens, "supply", tanks, 2024)),
        spread(at(ens, "front", tanks, dt.date(2024, 2, 1))),
        runout(ens, "russia", "afv"), spread(in_year(ens, "supply", afv, 2024)),
        ratio(dt.date(2024, 3, 1)), ratio(dt.date(2024, 12, 1)), race])


def main(runs: int = 10_000) -> None:
    sc = mt.load_scenario("russia-ukraine-2022")
    variants = [("built-in (every mechanism)", sc), ("without repair", without(sc, "repair")),
                ("without coupling", without(sc, "coupling")), ("AFV storage as one class", one_afv_class(sc))]
    print("| variant | tank storage runs out, P50 (P) | tank supply 2024 | tanks fielded 1 Feb 2024 "
          "| AFV storage runs out, P50 (P) | AFV supply 2024 | shell ratio Mar 2024 | shell ratio Dec 2024 "
          "| race: ratio crosses 1 |")
    print("|" + "---|" * 9)
    for name, variant in variants:
        print("| " + row(name, mt.simulate(variant, runs=runs, seed=0, keep=runs)) + " |")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))

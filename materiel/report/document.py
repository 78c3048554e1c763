"""The run's headline numbers as a JSON-ready document (`--json`, summary.json)."""

from __future__ import annotations

import datetime as dt

from materiel.analysis.outcomes import QUANTILES, Ensemble


def summary_document(ens: Ensemble, scenario_name: str) -> dict:
    """Scenario, seed, runs, horizon and per line: run-out, shortfall and supply/demand quantiles; per race
    of the sides' fires (a scenario with couplings): when their ratio crosses 1, and the ratio over time
    (over the kept runs)."""
    table = ens.summary(QUANTILES)
    keys = [f"p{round(q * 100)}" for q in QUANTILES]
    lines = []
    for row in table.to_dict("records"):
        lines.append({
            "side": row["side"],
            "line": row["line"],
            "unit": ens.layout.scenario.sides[row["side"]].lines[row["line"]].unit,
            "runout": {**{k: _iso(row[f"runout_{k}"]) for k in keys}, "probability": _num(row["runout_probability"])},
            "shortfall": {k: _num(row[f"shortfall_{k}"]) for k in keys},
            "supply_demand_ratio": {k: _num(row[f"supply_demand_ratio_{k}"]) for k in keys},
        })
    return {
        "scenario": scenario_name,
        "seed": ens.seed,
        "runs": ens.runs,
        "horizon": ens.layout.scenario.horizon.isoformat(),
        "step": ens.layout.scenario.step,
        **({"what_if": ens.layout.scenario.what_if} if ens.layout.scenario.what_if else {}),
        "lines": lines,
        **({"races": [_race(ens, race, keys) for race in ens.races(QUANTILES)]} if ens.layout.races else {}),
    }


def _race(ens: Ensemble, race, keys: list[str]) -> dict:
    """One race of fires: who leads at first, when the lead changes hands, the ratio per step."""
    return {
        "first": race.first, "second": race.second,
        "first_ahead_at_start": _num(race.ahead),
        "crossing": {**{k: _iso(race.quantiles[q]) for k, q in zip(keys, QUANTILES)},
                     "probability": _num(race.probability)},
        "ratio": {"kept_runs": ens.kept, "dates": [d.isoformat() for d in ens.layout.edges[:-1]],
                  **{k: [_num(v) for v in race.ratio[j]] for j, k in enumerate(keys)}},
    }


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else None


def _num(value) -> float | None:
    return None if value is None or value != value else round(float(value), 6)

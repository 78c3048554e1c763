"""A plain, per-run reference implementation of the model, written for reading, not speed.

It re-derives every per-step input from the scenario day by day (no weight matrices) and
steps one run with scalar Python. The engine must match it to float tolerance.
"""

from __future__ import annotations

import datetime as dt

from materiel.engine.sampling import draw
from materiel.scenario.quantity import DAYS_PER

import numpy as np

YEAR = 365.25


def value(q, path, seed, run):
    return float(draw(q, path, seed, np.array([run]))[0])


def schedule_on_day(schedule, day: dt.date, values: list[float]) -> float:
    """Rate per day of a schedule on one day."""
    dates = list(schedule.values)
    if day <= dates[0]:
        v = values[0]
    elif day >= dates[-1]:
        v = values[-1]
    else:
        k = max(i for i, d in enumerate(dates) if d <= day)
        if schedule.interpolation == "hold":
            v = values[k]
        else:
            span = (dates[k + 1] - dates[k]).days
            frac = (day - dates[k]).days / span
            v = values[k] * (1 - frac) + values[k + 1] * frac
    for scaling in schedule.scale:
        if (scaling.start is None or day >= scaling.start) and (scaling.until is None or day < scaling.until):
            v *= scaling.by
    return v / DAYS_PER[schedule.per]


def step_amount(schedule, values, first: dt.date, last_exclusive: dt.date) -> float:
    total, day = 0.0, first
    while day < last_exclusive:
        total += schedule_on_day(schedule, day, values)
        day += dt.timedelta(days=1)
    return total


def delivery_keys(deliveries) -> list[str]:
    """Each delivery's draw key: its id, else START..END, the n-th repeat of a key suffixed #n."""
    keys = []
    for d in deliveries:
        key = d.id or f"{d.start}..{d.end}"
        repeats = sum(1 for k in keys if k == key or k.startswith(key + "#"))
        keys.append(key if repeats == 0 else f"{key}#{repeats + 1}")
    return keys


def ramp_integral(x: float, r: float) -> float:
    """∫_0^x clip(u / r, 0, 1) du."""
    r = max(r, 1e-9)
    if x <= 0:
        return 0.0
    if x <= r:
        return x * x / (2 * r)
    return x - r / 2


def reference_run(scenario, edges: list[dt.date], seed: int, run: int) -> dict:
    """Trajectories of one run: {(side, line): {variable: [per step]}} and workforce per side."""
    step_len = DAYS_PER[scenario.step]
    lines = [(s, l) for s, side in scenario.sides.items() for l in side.lines]
    T = len(edges) - 1
    q = lambda quantity, path: value(quantity, path, seed, run)  # noqa: E731

    state, params = {}, {}
    for s, name in lines:
        line, path = scenario.sides[s].lines[name], f"sides.{s}.lines.{name}"
        classes = [(q(c.stock, f"{path}.storage.{cn}.stock"), q(c.yield_, f"{path}.storage.{cn}.yield"))
                   for cn, c in line.storage.items()]
        p = {
            "demand": [q(v, f"{path}.demand.values.{d.isoformat()}") for d, v in line.demand.values.items()]
            if line.demand else None,
            "refurb": [q(v, f"{path}.refurbish.values.{d.isoformat()}") for d, v in line.refurbish.values.items()]
            if line.refurbish else None,
            "delay": int(round(q(line.transit_days, f"{path}.transit_days") / step_len)),
            "yields": [y for _, y in classes],
        }
        if line.production:
            pr, pp = line.production, f"{path}.production"
            p["base"] = q(pr.base, f"{pp}.base") / DAYS_PER[pr.per]
            p["mult"] = q(pr.multiplier, f"{pp}.multiplier")
            p["ramp_days"] = q(pr.ramp_years, f"{pp}.ramp_years") * YEAR
            p["ramp_start"] = ((pr.ramp_start or scenario.start) - scenario.start).days
            p["wpu"] = q(pr.workers_per_unit, f"{pp}.workers_per_unit")
            p["priority"] = pr.priority
            p["capacity"] = ([q(v, f"{pp}.capacity.values.{d.isoformat()}") for d, v in pr.capacity.values.items()]
                             if pr.capacity else None)
        else:
            p["priority"] = 0
        p["attrition"] = ([q(v, f"{path}.attrition.values.{d.isoformat()}") for d, v in line.attrition.values.items()]
                          if line.attrition else None)
        p["repair"] = ((q(line.repair.fraction, f"{path}.repair.fraction"),
                        max(1, int(round(q(line.repair.delay_days, f"{path}.repair.delay_days") / step_len))))
                       if line.repair else (0.0, 1))
        p["coupling"] = ((line.coupling.side, line.coupling.line), q(line.coupling.elasticity, f"{path}.coupling.elasticity")) \
            if line.coupling else None
        params[(s, name)] = p
        state[(s, name)] = {"front": q(line.front, f"{path}.front"), "stock": [c for c, _ in classes],
                            "arrivals": {}, "returns": {}, "fired": 1.0}

    supplier_params = []
    for s, side in scenario.sides.items():
        for pn, sup in side.suppliers.items():
            path = f"sides.{s}.suppliers.{pn}"
            supplier_params.append({
                "line": (s, sup.line),
                "delay": int(round(q(sup.transit_days, f"{path}.transit_days") / step_len)),
                "deliveries": [(d.start, d.end, q(d.quantity, f"{path}.deliveries.{key}.quantity"))
                               for d, key in zip(sup.deliveries, delivery_keys(sup.deliveries))],
                "active": (sup.active.start if sup.active else None, sup.active.until if sup.active else None),
            })

    workforce = {}
    for s, side in scenario.sides.items():
        wf = side.workforce
        if wf is None:
            workforce[s] = None
        else:
            path = f"sides.{s}.workforce"
            workforce[s] = {"workers": q(wf.initial, f"{path}.initial"), "pool": q(wf.pool, f"{path}.pool"),
                            "hiring": q(wf.hiring, f"{path}.hiring")}

    out = {key: {v: [] for v in ("front", "pipeline", "storage", "workshop", "demand", "lost", "shortfall", "produced",
                                 "refurbished", "drawn", "imported", "arrived", "repaired", "coverage")} for key in lines}
    workers_out = {s: [] for s in scenario.sides}

    for t in range(T):
        a, b = edges[t], edges[t + 1]
        days = (b - a).days
        x0, x1 = (a - scenario.start).days, (b - scenario.start).days

        # production capacity and workers needed, per line
        capacity, needed = {}, {}
        for key in lines:
            p = params[key]
            if "base" in p:
                frac = (ramp_integral(x1 - p["ramp_start"], p["ramp_days"])
                        - ramp_integral(x0 - p["ramp_start"], p["ramp_days"])) / days
                per_day = p["base"] * (1 + (p["mult"] - 1) * frac)
                if p["capacity"] is not None:
                    per_day += step_amount(scenario.sides[key[0]].lines[key[1]].production.capacity, p["capacity"], a, b) / days
                capacity[key] = per_day * days
                needed[key] = per_day * YEAR * p["wpu"]
            else:
                capacity[key], needed[key] = 0.0, 0.0

        # workforce coverage in priority order, then hiring
        cover = {}
        for s in scenario.sides:
            keys = [k for k in lines if k[0] == s]
            wf = workforce[s]
            if wf is None:
                cover.update({k: 1.0 for k in keys})
                continue
            left = wf["workers"]
            for prio in sorted({params[k]["priority"] for k in keys}):
                group = [k for k in keys if params[k]["priority"] == prio]
                need = sum(needed[k] for k in group)
                share = left / need if need > left else 1.0
                cover.update({k: share for k in group})
                left = 0.0 if need > left else left - need
            target = min(sum(needed[k] for k in keys), wf["pool"])
            wf["workers"] += min(max(target - wf["workers"], 0.0), wf["hiring"] * days / YEAR)
            workers_out[s].append(wf["workers"])
        for s in scenario.sides:
            if workforce[s] is None:
                workers_out[s].append(float("nan"))

        imported = {k: 0.0 for k in lines}
        for sp in supplier_params:
            amount = 0.0
            on, off = sp["active"]
            for start, end, quantity in sp["deliveries"]:
                days_delivering = sum(1 for k in range((b - a).days) if start <= a + dt.timedelta(days=k) < end
                                      and (on is None or a + dt.timedelta(days=k) >= on)
                                      and (off is None or a + dt.timedelta(days=k) < off))
                amount += quantity * days_delivering / (end - start).days
            imported[sp["line"]] += amount
            arr = state[sp["line"]]["arrivals"]
            arr[t + sp["delay"]] = arr.get(t + sp["delay"], 0.0) + amount

        fired_before = {key: state[key]["fired"] for key in lines}  # couplings read the previous step
        for key in lines:
            s, name = key
            line, p, st = scenario.sides[s].lines[name], params[key], state[key]
            produced = capacity[key] * cover[key]
            room = step_amount(line.refurbish, p["refurb"], a, b) if line.refurbish else 0.0
            drawn = refurbished = 0.0
            for c, y in enumerate(p["yields"]):
                if y <= 0:
                    continue
                take = min(st["stock"][c], room)
                st["stock"][c] -= take
                room -= take
                drawn += take
                refurbished += take * y
            st["arrivals"][t + p["delay"]] = st["arrivals"].get(t + p["delay"], 0.0) + produced + refurbished
            arrived = st["arrivals"].pop(t, 0.0)
            repaired = st["returns"].pop(t, 0.0)
            available = st["front"] + repaired + arrived
            share = min(1.0, step_amount(line.attrition, p["attrition"], a, b)) if p["attrition"] is not None else 1.0
            # without a demand schedule, losses are the attrition share of what is fielded
            demand = step_amount(line.demand, p["demand"], a, b) if line.demand else share * available
            if p["coupling"] is not None:
                other, elasticity = p["coupling"]
                demand *= fired_before[other] ** elasticity
            lost = min(demand, available, share * available)
            st["front"] = available - lost
            st["fired"] = lost / demand if demand > 0 else 1.0
            fraction, delay = p["repair"]
            if fraction > 0:
                st["returns"][t + delay] = st["returns"].get(t + delay, 0.0) + fraction * lost
            record = {"front": st["front"], "pipeline": sum(st["arrivals"].values()), "storage": sum(st["stock"]),
                      "workshop": sum(st["returns"].values()),
                      "demand": demand, "lost": lost, "shortfall": demand - lost, "produced": produced,
                      "refurbished": refurbished, "drawn": drawn, "imported": imported[key], "arrived": arrived,
                      "repaired": repaired, "coverage": cover[key]}
            for v, x in record.items():
                out[key][v].append(x)
    return {"lines": out, "workforce": workers_out}

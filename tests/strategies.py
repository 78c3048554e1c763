"""Hypothesis strategies: random but valid scenarios exercising every part of the model."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

START = dt.date(2022, 1, 1)


@st.composite
def quantity(draw, low=0.0, high=100.0, bounded=False):
    """A quantity of every form; normal and lognormal ones (unbounded: their draws are clipped to
    the field's domain) where the field allows: a field `bounded` above (a fraction, days of transit)
    takes no lognormal, whose support has no upper end."""
    a = draw(st.floats(low, high, allow_nan=False))
    kinds = ["number", "point", "uniform", "triangular", "pert", "normal"] + ([] if bounded else ["lognormal"])
    kind = draw(st.sampled_from(kinds))
    if kind == "number":
        return a
    if kind == "point":
        return {"value": a}
    if kind == "normal":
        return {"mean": a, "sd": draw(st.floats(0, max(high - low, 1e-3) / 2, allow_nan=False))}
    if kind == "lognormal":
        return {"median": max(a, 1e-3), "sigma": draw(st.floats(0, 1.5, allow_nan=False))}
    b = draw(st.floats(a, high, allow_nan=False))
    if kind == "uniform":
        return {"low": a, "high": b}
    return {"low": a, "likely": draw(st.floats(a, b, allow_nan=False)), "high": b, "dist": kind}


@st.composite
def schedule(draw, horizon_days: int, high: float):
    n = draw(st.integers(1, 4))
    offsets = sorted(draw(st.sets(st.integers(-10, horizon_days + 10), min_size=n, max_size=n)))
    doc = {
        "per": draw(st.sampled_from(["day", "week", "month", "year"])),
        "interpolation": draw(st.sampled_from(["hold", "linear"])),
        "values": {START + dt.timedelta(days=o): draw(quantity(0, high)) for o in offsets},
    }
    if draw(st.integers(0, 3)) == 0:  # what-if factors over dated windows
        doc["scale"] = [{"by": draw(st.floats(0, 3)), **draw(window(horizon_days))} for _ in range(draw(st.integers(1, 2)))]
    return doc


@st.composite
def window(draw, horizon_days: int) -> dict:
    """Days from/until, either end open, as a what-if change has them (hypotheses)."""
    a = draw(st.none() | st.integers(-10, horizon_days))
    b = draw(st.none() | st.integers((a if a is not None else -10) + 1, horizon_days + 20))
    return {"hypothesis": True, **({"from": START + dt.timedelta(days=a)} if a is not None else {}),
            **({"until": START + dt.timedelta(days=b)} if b is not None else {})}


@st.composite
def line(draw, horizon_days: int):
    doc = {
        "front": draw(quantity(0, 500)),
        "transit_days": draw(quantity(0, 40, bounded=True)),
        "demand": draw(schedule(horizon_days, 200)),
    }
    n_classes = draw(st.integers(0, 3))
    if n_classes:
        doc["storage"] = {f"c{i}": {"stock": draw(quantity(0, 2000)), "yield": draw(quantity(0, 1, bounded=True))}
                          for i in range(n_classes)}
        doc["refurbish"] = draw(schedule(horizon_days, 300))
    if draw(st.booleans()):
        doc["production"] = {
            "per": draw(st.sampled_from(["day", "month", "year"])),
            "base": draw(quantity(0, 300)),
            "multiplier": draw(quantity(0.5, 6)),
            "ramp_start": START + dt.timedelta(days=draw(st.integers(-30, horizon_days))),
            "ramp_years": draw(quantity(0, 2)),
            "workers_per_unit": draw(quantity(0, 50)),
            "priority": draw(st.integers(0, 2)),
        }
        if draw(st.integers(0, 2)) == 0:  # a licensed line starting on a date, a plant lost
            doc["production"]["capacity"] = draw(schedule(horizon_days, 100))
    if draw(st.integers(0, 2)) == 0:
        doc["attrition"] = draw(schedule(horizon_days, 0.3))
        if draw(st.integers(0, 2)) == 0:  # losses a share of what is fielded, no demand schedule
            del doc["demand"]
    if draw(st.integers(0, 2)) == 0:
        doc["repair"] = {"fraction": draw(quantity(0, 1, bounded=True)), "delay_days": draw(quantity(0, 60, bounded=True))}
    return doc


@st.composite
def scenario_doc(draw, race=False):
    """A scenario; with `race`, of two sides whose first lines each follow a line of the other side
    (so there is a race of fires), the second side's lines named apart from the first's or not."""
    step = draw(st.sampled_from(["day", "week", "month"]))
    horizon_days = {"day": draw(st.integers(1, 60)), "week": draw(st.integers(7, 300)),
                    "month": draw(st.integers(28, 900))}[step]
    sides = {}
    for s in range(2 if race else draw(st.integers(1, 2))):
        prefix = "m" if race and s == 1 and draw(st.booleans()) else "l"
        lines = {f"{prefix}{i}": draw(line(horizon_days)) for i in range(draw(st.integers(1, 3)))}
        side = {"lines": lines}
        if draw(st.booleans()):
            side["workforce"] = {"initial": draw(quantity(0, 5000)), "pool": draw(quantity(0, 20000)),
                                 "hiring": draw(quantity(0, 50000))}
        suppliers = {}
        for p in range(draw(st.integers(0, 2))):
            deliveries = []
            for _ in range(draw(st.integers(1, 3))):
                a = draw(st.integers(-20, horizon_days))
                b = draw(st.integers(a + 1, horizon_days + 30))
                deliveries.append({"start": START + dt.timedelta(days=a), "end": START + dt.timedelta(days=b),
                                   "quantity": draw(quantity(0, 5000)),
                                   **({"id": draw(st.sampled_from(["x", "y"]))} if draw(st.booleans()) else {})})
            suppliers[f"p{p}"] = {"line": draw(st.sampled_from(sorted(lines))),
                                  "transit_days": draw(quantity(0, 60, bounded=True)), "deliveries": deliveries}
            if draw(st.integers(0, 3)) == 0:
                suppliers[f"p{p}"]["active"] = draw(window(horizon_days))
        side["suppliers"] = suppliers
        sides[f"s{s}"] = side
    if len(sides) == 2:  # couplings: a line's demand follows a line of the other side
        for own, other in (("s0", "s1"), ("s1", "s0")):
            for k, doc in enumerate(sides[own]["lines"].values()):
                if (race and k == 0) or draw(st.integers(0, 2)) == 0:
                    doc["coupling"] = {"side": other, "line": draw(st.sampled_from(sorted(sides[other]["lines"]))),
                                       "elasticity": draw(quantity(0, 2, bounded=True))}
    return {"name": "random", "draft": True, "start": START, "horizon": START + dt.timedelta(days=horizon_days),
            "step": step, "sides": sides}

"""A scenario's deterministic variant as a neutral stock-and-flow model that steps exactly like the engine.

Time is the step index: step t runs from time t to t + 1, and the model runs with Euler and
DT = 1, so a stock at time t + 1 is the engine's stock at the end of step t and a flow at
time t is the engine's total over step t. Every per-step input (demand, capacity, workers
needed, refurbishment capacity, deliveries, hiring) is the very amount the engine uses,
given per step, so unequal months, ramps and mid-step schedule changes are exact.

Names are `{side}_{line}_{variable}` for a line and `{side}_{variable}` for a side's workforce
(any character other than a letter, digit or underscore becomes `_`):

    stocks   front, storage_{class}, pipeline_{k} (k steps from the front), workforce
    flows    demand, lost, shortfall, produced, refurbished, drawn, drawn_{class},
             imported, imported_{supplier}, arrived, transit_{k} (out of pipeline_k), hired
    auxes    capacity, workers_needed, coverage, refurbish_capacity, yield_{class},
             room_{class} (refurbishment capacity left for that class), storage and pipeline
             (totals); per side workers_pool, hiring_limit, workers_needed, workers_target and,
             per production priority p, workers_for_p{p}, workers_need_p{p}, coverage_p{p}
"""

from __future__ import annotations

import re

import numpy as np

from materiel.engine.inputs import Inputs, Layout, layout, sample_inputs
from materiel.interop.model import Aux, Expr, Flow, Model, Ref, Stock, Variable, call, per_step, total
from materiel.scenario.schema import Scenario
from materiel.scenario.variants import deterministic

TIME_UNITS = {"day": "days", "week": "weeks", "month": "months"}


def build_model(scenario: Scenario, quantile: float = 0.5) -> Model:
    """The neutral model of `scenario` with every quantity at `quantile` (0.5: the median)."""
    sc = deterministic(scenario, quantile)
    lay = layout(sc)
    runs = np.zeros(1, dtype=np.int64)
    inp = sample_inputs(lay, 0, runs)
    variables: list[Variable] = []
    for k, side in enumerate(lay.sides):
        variables += _workforce(lay, inp, k, side)
    for i in range(len(lay.lines)):
        variables += _line(lay, inp, i)
    model = Model(name=sc.name, steps=lay.steps, time_units=TIME_UNITS[sc.step], variables=variables,
                  title=sc.title,
                  doc=(f"materiel scenario {sc.name!r}, every quantity at its {quantile:g} quantile. "
                       f"Time t is the start of step t: {sc.step}s from {sc.start} (step 0) to {sc.horizon}; "
                       "run with Euler and DT = 1."))
    model.check()
    return model


def ident(*parts: str | int) -> str:
    """A variable name from its parts: `{side}_{line}_{variable}`."""
    name = "_".join(re.sub(r"\W+", "_", str(p)).strip("_") for p in parts)
    return name if name[:1].isalpha() else "n" + name


def _workforce(lay: Layout, inp: Inputs, k: int, side: str) -> list[Variable]:
    """The side's workforce stock, hiring, and each line's coverage in priority order."""
    mine = [i for i in range(len(lay.lines)) if lay.side_of_line[i] == k]
    coverage = {i: ident(*lay.lines[i], "coverage") for i in mine}
    if lay.scenario.sides[side].workforce is None:
        return [Aux(coverage[i], 1.0, "Share of full-capacity workers the line gets (no workforce limit)")
                for i in mine]
    needing = [i for i in mine if inp.workers_needed[0, :, i].any()]
    needed = {i: ident(*lay.lines[i], "workers_needed") for i in needing}
    w = lambda name: ident(side, name)  # noqa: E731
    out: list[Variable] = [
        Stock(w("workforce"), float(inp.workers[0, k]), inflows=(w("hired"),),
              doc="Defense-industry workers (people)"),
        Aux(w("workers_pool"), float(inp.pool[0, k]), "Most workers the industry can employ"),
        Aux(w("hiring_limit"), per_step(inp.hiring[0, :, k]), "Most net hires in the step"),
        Aux(w("workers_needed"), total([needed[i] for i in needing]), "Workers full capacity needs, all lines"),
        Aux(w("workers_target"), call("min", w("workers_needed"), w("workers_pool")), "What hiring aims at"),
        Flow(w("hired"), call("min", call("max", call("-", w("workers_target"), w("workforce")), 0.0),
                              w("hiring_limit")), "Net hires in the step (nobody is laid off)"),
    ]
    available: Expr = Ref(w("workforce"))
    for p in sorted({int(lay.priority[i]) for i in mine}):
        group = [i for i in mine if lay.priority[i] == p]
        left, need, share = w(f"workers_for_p{p}"), w(f"workers_need_p{p}"), w(f"coverage_p{p}")
        out += [
            Aux(left, available, f"Workers left for lines of priority {p}"),
            Aux(need, total([needed[i] for i in group if i in needed]), f"Workers lines of priority {p} need"),
            Aux(share, call("if", call(">", need, 0.0), call("min", 1.0, call("/", left, need)), 1.0),
                f"Share of their need that lines of priority {p} get"),
        ]
        out += [Aux(coverage[i], Ref(share), "Share of full-capacity workers the line gets") for i in group]
        available = call("max", call("-", left, call("*", share, need)), 0.0)
    return out


def _line(lay: Layout, inp: Inputs, i: int) -> list[Variable]:
    """One line's stocks (front, storage classes, pipeline chain) and flows."""
    side, name = lay.lines[i]
    line = lay.scenario.sides[side].lines[name]
    v = lambda *parts: ident(side, name, *parts)  # noqa: E731
    unit = line.unit
    out: list[Variable] = [Flow(v("demand"), per_step(inp.demand[0, :, i]),
                                f"Losses or consumption the front incurs ({unit})")]

    if line.production is not None:
        out.append(Aux(v("capacity"), per_step(inp.capacity[0, :, i]), f"Production at full workforce ({unit})"))
        produced = call("*", v("capacity"), v("coverage"))
        if inp.workers_needed[0, :, i].any():
            out.append(Aux(v("workers_needed"), per_step(inp.workers_needed[0, :, i]), "Workers full capacity needs"))
    else:
        produced = 0.0
    out.append(Flow(v("produced"), produced, f"New production ({unit})"))

    classes = lay.classes[i]
    if classes:
        out.append(Aux(v("refurbish_capacity"), per_step(inp.refurb_capacity[0, :, i]),
                       f"Most units drawn from storage ({unit})"))
    room = v("refurbish_capacity")
    for c, cname in enumerate(classes):
        stock, drawn, y = v("storage", cname), v("drawn", cname), v("yield", cname)
        if c > 0:
            out.append(Aux(v("room", cname), call("-", room, v("drawn", classes[c - 1])),
                           f"Refurbishment capacity left when class {cname} is reached ({unit})"))
            room = v("room", cname)
        out += [
            Stock(stock, float(inp.stock[0, i, c]), outflows=(drawn,), doc=f"Units in storage class {cname} ({unit})"),
            Aux(y, float(inp.yields[0, i, c]), f"Serviceable fraction of class {cname} units drawn"),
            Flow(drawn, call("if", call(">", y, 0.0), call("min", stock, room), 0.0),
                 f"Units drawn from class {cname}, best class first ({unit})"),
        ]
    out += [
        Flow(v("drawn"), total([v("drawn", c) for c in classes]), f"Units drawn from storage ({unit})"),
        Flow(v("refurbished"), _sum_products([(v("drawn", c), v("yield", c)) for c in classes]),
             f"Serviceable units out of refurbishment ({unit})"),
        Aux(v("storage"), total([v("storage", c) for c in classes]), f"Units in storage, all classes ({unit})"),
    ]

    # What enters the pipeline, by steps until arrival; 0 steps go straight to the front.
    entering: dict[int, list[str]] = {}
    if line.production is not None or classes:
        entering.setdefault(int(inp.delay[0, i]), []).extend([v("produced"), v("refurbished")])
    suppliers = [p for p in range(len(lay.suppliers)) if lay.supplier_line[p] == i]
    for p in suppliers:
        flow = v("imported", lay.suppliers[p][1])
        out.append(Flow(flow, per_step(inp.imports[0, :, p]), f"Delivered by {lay.suppliers[p][1]} ({unit})"))
        entering.setdefault(int(inp.import_delay[0, p]), []).append(flow)
    out.append(Flow(v("imported"), total([v("imported", lay.suppliers[p][1]) for p in suppliers]),
                    f"Delivered by suppliers ({unit})"))
    longest = max(entering, default=0)
    for k in range(longest, 0, -1):
        onward = (v("transit", k + 1),) if k < longest else ()
        out += [
            Stock(v("pipeline", k), 0.0, inflows=onward + tuple(entering.get(k, ())), outflows=(v("transit", k),),
                  doc=f"In transit, {k} step{'s' if k > 1 else ''} from the front ({unit})"),
            Flow(v("transit", k), Ref(v("pipeline", k)),
                 f"Moving on from pipeline_{k} ({'to the front' if k == 1 else f'to pipeline_{k - 1}'}) ({unit})"),
        ]
    arriving = ([v("transit", 1)] if longest else []) + entering.get(0, [])
    out += [
        Aux(v("pipeline"), total([v("pipeline", k) for k in range(1, longest + 1)]), f"In transit, all steps ({unit})"),
        Flow(v("arrived"), total(arriving), f"Arriving at the front ({unit})"),
        Stock(v("front"), float(inp.front[0, i]), inflows=tuple(arriving), outflows=(v("lost"),),
              doc=f"In the field ({unit})"),
        Flow(v("lost"), call("min", v("demand"), call("+", v("front"), v("arrived"))),
             f"Demand met: lost or consumed ({unit})"),
        Flow(v("shortfall"), call("-", v("demand"), v("lost")), f"Demand that could not be met ({unit})"),
    ]
    return out


def _sum_products(pairs: list[tuple[str, str]]) -> Expr:
    products = [call("*", a, b) for a, b in pairs]
    if not products:
        return 0.0
    return products[0] if len(products) == 1 else call("+", *products)

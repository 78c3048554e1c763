"""A scenario's deterministic variant as a neutral stock-and-flow model that steps exactly like the engine.

Time is the step index: step t runs from time t to t + 1, and the model runs with Euler and
DT = 1, so a stock at time t + 1 is the engine's stock at the end of step t and a flow at
time t is the engine's total over step t. Every per-step input (demand, capacity, workers
needed, refurbishment capacity, deliveries, hiring) is the very amount the engine uses,
given per step, so unequal months, ramps and mid-step schedule changes are exact.

Each mechanism of engine/mechanisms/ contributes its part (`stock_flow`). Names are
`{side}_{line}_{variable}` for a line and `{side}_{variable}` for a side's workforce (any character
other than a letter, digit or underscore becomes `_`):

    stocks   front, storage_{class}, pipeline_{k} (k steps from the front), workshop_{k} (k steps
             from return), workforce
    flows    demand, lost, shortfall, produced, refurbished, drawn, drawn_{class},
             imported, imported_{supplier}, arrived, transit_{k} (out of pipeline_k), damaged,
             mending_{k}, repaired, hired
    auxes    capacity, workers_needed, coverage, planned, attrition, fired, fired_before (DELAY by one
             step), refurbish_capacity, yield_{class},
             room_{class} (refurbishment capacity left for that class), storage and pipeline
             (totals); per side workers_pool, hiring_limit, workers_needed, workers_target and,
             per production priority p, workers_for_p{p}, workers_need_p{p}, coverage_p{p}
"""

from __future__ import annotations

import numpy as np

from materiel.engine.draws import sample_draws
from materiel.engine.kernel import by_chunk
from materiel.engine.layout import layout
from materiel.engine.mechanisms import engagement, imports, production, refurbishment, repair, transit, workforce
from materiel.engine.stockflow import Model, Variable
from materiel.scenario.schema import Scenario
from materiel.scenario.variants import deterministic

TIME_UNITS = {"day": "days", "week": "weeks", "month": "months"}
#: What each line is made of, in the order its variables are written.
LINE_MECHANISMS = (engagement, production, refurbishment, imports, transit, repair)


def build_model(scenario: Scenario, quantile: float = 0.5) -> Model:
    """The neutral model of `scenario` with every quantity at `quantile` (0.5: the median)."""
    sc = deterministic(scenario, quantile)
    lay = layout(sc)
    d = by_chunk(sample_draws(lay, 0, np.zeros(1, dtype=np.int64)))
    variables: list[Variable] = []
    for k in range(len(lay.sides)):
        variables += workforce.stock_flow(lay, d, k)
    for i in range(len(lay.lines)):
        for mechanism in LINE_MECHANISMS:
            variables += mechanism.stock_flow(lay, d, i)
    model = Model(name=sc.name, steps=lay.steps, time_units=TIME_UNITS[sc.step], variables=variables,
                  title=sc.title,
                  doc=(f"materiel scenario {sc.name!r}, every quantity at its {quantile:g} quantile. "
                       f"Time t is the start of step t: {sc.step}s from {sc.start} (step 0) to {sc.horizon}; "
                       "run with Euler and DT = 1."))
    model.check()
    return model

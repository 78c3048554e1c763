"""From a scenario to the arrays the engine steps through.

`Layout` is what a scenario fixes once (time grid, lines, storage classes, weights);
`sample_inputs` draws one block of runs and returns `Inputs`, every array with runs first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from materiel.engine.sampling import draw
from materiel.engine.timegrid import day_offsets, delivery_weights, ramp_fraction, schedule_weights, step_edges
from materiel.scenario.quantity import DAYS_PER, Quantity
from materiel.scenario.schema import Scenario

YEAR = DAYS_PER["year"]


@dataclass(frozen=True)
class Layout:
    """The fixed shape of a scenario's runs: steps, lines, classes, suppliers."""

    scenario: Scenario
    edges: list[dt.date]
    sides: list[str]
    lines: list[tuple[str, str]]
    side_of_line: np.ndarray          # [L] index into sides
    priority: np.ndarray              # [L] lower gets workers first
    classes: list[list[str]]          # per line, storage class names in draw order
    suppliers: list[tuple[str, str]]  # (side, supplier name)
    supplier_line: np.ndarray         # [P] index into lines

    @property
    def steps(self) -> int:
        return len(self.edges) - 1

    @property
    def step_days(self) -> np.ndarray:
        """Length of each step in days [T]."""
        return np.diff(day_offsets(self.edges)).astype(np.float64)

    @property
    def max_classes(self) -> int:
        return max((len(c) for c in self.classes), default=0)

    def line_labels(self) -> list[str]:
        return [f"{s}/{l}" for s, l in self.lines]


def layout(scenario: Scenario) -> Layout:
    """Fix the time grid and the order of sides, lines, classes and suppliers."""
    sides = list(scenario.sides)
    lines = scenario.line_keys()
    suppliers = [(s, p) for s, side in scenario.sides.items() for p in side.suppliers]
    return Layout(
        scenario=scenario,
        edges=step_edges(scenario.start, scenario.horizon, scenario.step),
        sides=sides,
        lines=lines,
        side_of_line=np.array([sides.index(s) for s, _ in lines], dtype=np.int64),
        priority=np.array([_line(scenario, s, l).production.priority if _line(scenario, s, l).production else 0
                           for s, l in lines], dtype=np.int64),
        classes=[list(_line(scenario, s, l).storage) for s, l in lines],
        suppliers=suppliers,
        supplier_line=np.array([lines.index((s, scenario.sides[s].suppliers[p].line)) for s, p in suppliers],
                               dtype=np.int64),
    )


def _line(scenario: Scenario, side: str, line: str):
    return scenario.sides[side].lines[line]


@dataclass
class Inputs:
    """One block of runs, ready to step. Shapes: R runs, T steps, L lines, C classes, P suppliers, S sides."""

    demand: np.ndarray          # [R, T, L] units demanded per step
    capacity: np.ndarray        # [R, T, L] production per step at full workforce
    workers_needed: np.ndarray  # [R, T, L] workers that full capacity needs
    refurb_capacity: np.ndarray # [R, T, L] most units drawn from storage per step
    stock: np.ndarray           # [R, L, C] storage at the start
    yields: np.ndarray          # [R, L, C] serviceable fraction of units drawn
    front: np.ndarray           # [R, L] in the field at the start
    delay: np.ndarray           # [R, L] transit, whole steps
    imports: np.ndarray         # [R, T, P] delivered by each supplier per step
    import_delay: np.ndarray    # [R, P] supplier transit, whole steps
    workers: np.ndarray         # [R, S] workforce at the start (inf: no limit)
    pool: np.ndarray            # [R, S] most workers
    hiring: np.ndarray          # [R, T, S] most net hires per step


def sample_inputs(lay: Layout, seed: int, runs: np.ndarray) -> Inputs:
    """Draw every uncertain quantity for the given run indices and build the block's arrays."""
    sc = lay.scenario
    R, T, L, C, P, S = len(runs), lay.steps, len(lay.lines), lay.max_classes, len(lay.suppliers), len(lay.sides)
    step_days = lay.step_days
    edges_days = day_offsets(lay.edges)

    def q(quantity: Quantity, path: str) -> np.ndarray:
        return draw(quantity, path, seed, runs)

    def scheduled(schedule, path: str) -> np.ndarray:
        values = np.stack([q(v, f"{path}.values.{d.isoformat()}") for d, v in schedule.values.items()], axis=1)
        return weighted(values, schedule_weights(schedule, lay.edges))

    def in_steps(days: np.ndarray) -> np.ndarray:
        return np.rint(days / DAYS_PER[sc.step]).astype(np.int64)

    inp = Inputs(
        demand=np.zeros((R, T, L)), capacity=np.zeros((R, T, L)), workers_needed=np.zeros((R, T, L)),
        refurb_capacity=np.zeros((R, T, L)), stock=np.zeros((R, L, C)), yields=np.zeros((R, L, C)),
        front=np.zeros((R, L)), delay=np.zeros((R, L), dtype=np.int64), imports=np.zeros((R, T, P)),
        import_delay=np.zeros((R, P), dtype=np.int64), workers=np.full((R, S), np.inf),
        pool=np.full((R, S), np.inf), hiring=np.zeros((R, T, S)))

    for i, (s, name) in enumerate(lay.lines):
        line, path = _line(sc, s, name), f"sides.{s}.lines.{name}"
        inp.demand[:, :, i] = scheduled(line.demand, f"{path}.demand")
        inp.front[:, i] = q(line.front, f"{path}.front")
        inp.delay[:, i] = in_steps(q(line.transit_days, f"{path}.transit_days"))
        for c, (cname, cls) in enumerate(line.storage.items()):
            inp.stock[:, i, c] = q(cls.stock, f"{path}.storage.{cname}.stock")
            inp.yields[:, i, c] = q(cls.yield_, f"{path}.storage.{cname}.yield")
        if line.refurbish is not None:
            inp.refurb_capacity[:, :, i] = scheduled(line.refurbish, f"{path}.refurbish")
        if line.production is not None:
            prod, ppath = line.production, f"{path}.production"
            base = q(prod.base, f"{ppath}.base") / DAYS_PER[prod.per]
            multiplier = q(prod.multiplier, f"{ppath}.multiplier")
            ramp_days = q(prod.ramp_years, f"{ppath}.ramp_years") * YEAR
            ramp_start = ((prod.ramp_start or sc.start) - sc.start).days
            level = 1.0 + (multiplier[:, None] - 1.0) * ramp_fraction(edges_days, ramp_start, ramp_days)
            per_day = base[:, None] * level
            inp.capacity[:, :, i] = per_day * step_days
            inp.workers_needed[:, :, i] = per_day * YEAR * q(prod.workers_per_unit, f"{ppath}.workers_per_unit")[:, None]

    for p, (s, name) in enumerate(lay.suppliers):
        sup, path = sc.sides[s].suppliers[name], f"sides.{s}.suppliers.{name}"
        amounts = np.stack([q(d.quantity, f"{path}.deliveries.{j}.quantity") for j, d in enumerate(sup.deliveries)], axis=1)
        inp.imports[:, :, p] = weighted(amounts, delivery_weights(sup.deliveries, lay.edges))
        inp.import_delay[:, p] = in_steps(q(sup.transit_days, f"{path}.transit_days"))

    for k, s in enumerate(lay.sides):
        wf, path = sc.sides[s].workforce, f"sides.{s}.workforce"
        if wf is not None:
            inp.workers[:, k] = q(wf.initial, f"{path}.initial")
            inp.pool[:, k] = q(wf.pool, f"{path}.pool")
            inp.hiring[:, :, k] = q(wf.hiring, f"{path}.hiring")[:, None] * step_days[None, :] / YEAR
    return inp


def weighted(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """values [R, K] · weights [T, K] → [R, T], summed the same way whatever R (unlike BLAS)."""
    return (values[:, None, :] * weights[None, :, :]).sum(axis=2)

"""From a scenario to what the engine steps through.

`Layout` is what a scenario fixes once (time grid, lines, storage classes, schedule weights);
`sample_draws` draws one block of runs as per-run numbers (`Draws`), and `expand` spreads them
over the steps as `Inputs`, every array with runs first. The compiled kernel reads `Draws`
and the weights directly, so it never builds the [runs, steps, lines] arrays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from materiel.engine.sampling import draw
from materiel.engine.timegrid import day_offsets, delivery_weights, ramp_fraction, schedule_weights, step_edges
from materiel.scenario.limits import MAX_TRANSIT_DAYS
from materiel.scenario.quantity import DAYS_PER, Quantity
from materiel.scenario.schema import Scenario

YEAR = DAYS_PER["year"]


@dataclass(frozen=True)
class Spread:
    """Schedules of several owners (lines or suppliers) as one weight matrix.

    Owner k's amount in step t is Σ_j weights[t, j] · values[j] over its columns j
    (`owner[j] == k`), summed in column order.
    """

    weights: np.ndarray  # [T, J]
    owner: np.ndarray    # [J]
    owners: int

    def amounts(self, values: np.ndarray) -> np.ndarray:
        """values [R, J] → amounts [R, T, owners], each a sum in column order (as the kernel takes it)."""
        out = np.zeros((values.shape[0], self.weights.shape[0], self.owners))
        for j, k in enumerate(self.owner):
            out[:, :, k] += values[:, j, None] * self.weights[None, :, j]
        return out

    @cached_property
    def sparse(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The non-zero weights by (owner, step): (start [owners·T + 1], column, weight)."""
        T = self.weights.shape[0]
        t, j = np.nonzero(self.weights)               # ordered by step, then column
        order = np.argsort(self.owner[j] * T + t, kind="stable")
        t, j = t[order], j[order]
        start = np.zeros(self.owners * T + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.owner[j] * T + t, minlength=self.owners * T), out=start[1:])
        return start, j.astype(np.int64), self.weights[t, j]


@dataclass(frozen=True)
class Layout:
    """The fixed shape of a scenario's runs: steps, lines, classes, suppliers, schedule weights."""

    scenario: Scenario
    edges: list[dt.date]
    sides: list[str]
    lines: list[tuple[str, str]]
    side_of_line: np.ndarray          # [L] index into sides
    priority: np.ndarray              # [L] lower gets workers first
    classes: list[list[str]]          # per line, storage class names in draw order
    suppliers: list[tuple[str, str]]  # (side, supplier name)
    supplier_line: np.ndarray         # [P] index into lines
    demand: Spread                    # per line, rates → units per step
    refurbish: Spread                 # per line (no columns where a line has no refurbishment)
    deliveries: Spread                # per supplier, quantities → units per step
    ramp_start: np.ndarray            # [L] day the production ramp starts, since the scenario's start

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
    """Fix the time grid, the order of sides, lines, classes and suppliers, and the schedule weights."""
    sides = list(scenario.sides)
    lines = scenario.line_keys()
    suppliers = [(s, p) for s, side in scenario.sides.items() for p in side.suppliers]
    edges = step_edges(scenario.start, scenario.horizon, scenario.step)
    found = [_line(scenario, s, l) for s, l in lines]
    sups = [scenario.sides[s].suppliers[p] for s, p in suppliers]
    return Layout(
        scenario=scenario,
        edges=edges,
        sides=sides,
        lines=lines,
        side_of_line=np.array([sides.index(s) for s, _ in lines], dtype=np.int64),
        priority=np.array([ln.production.priority if ln.production else 0 for ln in found], dtype=np.int64),
        classes=[list(ln.storage) for ln in found],
        suppliers=suppliers,
        supplier_line=np.array([lines.index((s, sup.line)) for (s, _), sup in zip(suppliers, sups)], dtype=np.int64),
        demand=_spread([schedule_weights(ln.demand, edges) for ln in found], len(edges) - 1),
        refurbish=_spread([schedule_weights(ln.refurbish, edges) if ln.refurbish else None for ln in found],
                          len(edges) - 1),
        deliveries=_spread([delivery_weights(sup.deliveries, edges) for sup in sups], len(edges) - 1),
        ramp_start=np.array([((ln.production.ramp_start or scenario.start) - scenario.start).days
                             if ln.production else 0 for ln in found], dtype=np.float64),
    )


def _spread(weights: list[np.ndarray | None], steps: int) -> Spread:
    present = [(k, w) for k, w in enumerate(weights) if w is not None]
    return Spread(np.concatenate([w for _, w in present], axis=1) if present else np.zeros((steps, 0)),
                  np.array([k for k, w in present for _ in range(w.shape[1])], dtype=np.int64), len(weights))


def _line(scenario: Scenario, side: str, line: str):
    return scenario.sides[side].lines[line]


@dataclass
class Draws:
    """One block's draws, a number per run and quantity. Shapes: R runs, L lines, C classes, P suppliers, S sides.

    Schedules are their values, in the column order of the layout's `Spread`s.
    """

    demand: np.ndarray          # [R, Jd] rates of every line's demand schedule
    refurbish: np.ndarray       # [R, Jr] rates of every refurbishment schedule
    deliveries: np.ndarray      # [R, Jp] quantity of every supplier's deliveries
    base: np.ndarray            # [R, L] production per day before the ramp (0: no production)
    multiplier: np.ndarray      # [R, L] capacity after the ramp ÷ before
    ramp_days: np.ndarray       # [R, L]
    workers_per_unit: np.ndarray  # [R, L] workers per unit a year
    stock: np.ndarray           # [R, L, C] storage at the start
    yields: np.ndarray          # [R, L, C] serviceable fraction of units drawn
    front: np.ndarray           # [R, L] in the field at the start
    delay: np.ndarray           # [R, L] transit, whole steps
    import_delay: np.ndarray    # [R, P] supplier transit, whole steps
    workers: np.ndarray         # [R, S] workforce at the start (inf: no limit)
    pool: np.ndarray            # [R, S] most workers
    hiring: np.ndarray          # [R, S] most net hires a year


@dataclass
class Inputs:
    """One block of runs, spread over steps. Shapes: R runs, T steps, L lines, C classes, P suppliers, S sides."""

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


def draw_bytes(lay: Layout) -> int:
    """Bytes of one run's `Draws`, from the shapes `sample_draws` fills (8 bytes a number)."""
    L, C, P, S = len(lay.lines), lay.max_classes, len(lay.suppliers), len(lay.sides)
    columns = sum(spread.weights.shape[1] for spread in (lay.demand, lay.refurbish, lay.deliveries))
    return 8 * (columns + 6 * L + 2 * L * C + P + 3 * S)


def sample_draws(lay: Layout, seed: int, runs: np.ndarray) -> Draws:
    """Draw every uncertain quantity for the given run indices."""
    sc = lay.scenario
    R, L, C, P, S = len(runs), len(lay.lines), lay.max_classes, len(lay.suppliers), len(lay.sides)

    def q(quantity: Quantity, path: str) -> np.ndarray:
        return draw(quantity, path, seed, runs)

    def values(schedule, path: str) -> list[np.ndarray]:
        return [q(v, f"{path}.values.{d.isoformat()}") for d, v in schedule.values.items()]

    def in_steps(days: np.ndarray) -> np.ndarray:
        """Whole steps of a transit, within the schema's bound: it sizes and indexes the kernel's conveyor."""
        return np.rint(np.clip(days, 0.0, MAX_TRANSIT_DAYS) / DAYS_PER[sc.step]).astype(np.int64)

    d = Draws(
        demand=np.empty((R, 0)), refurbish=np.empty((R, 0)), deliveries=np.empty((R, 0)),
        base=np.zeros((R, L)), multiplier=np.ones((R, L)), ramp_days=np.ones((R, L)),
        workers_per_unit=np.zeros((R, L)), stock=np.zeros((R, L, C)), yields=np.zeros((R, L, C)),
        front=np.zeros((R, L)), delay=np.zeros((R, L), dtype=np.int64),
        import_delay=np.zeros((R, P), dtype=np.int64), workers=np.full((R, S), np.inf),
        pool=np.full((R, S), np.inf), hiring=np.zeros((R, S)))
    demand, refurbish, deliveries = [], [], []
    for i, (s, name) in enumerate(lay.lines):
        line, path = _line(sc, s, name), f"sides.{s}.lines.{name}"
        demand += values(line.demand, f"{path}.demand")
        d.front[:, i] = q(line.front, f"{path}.front")
        d.delay[:, i] = in_steps(q(line.transit_days, f"{path}.transit_days"))
        for c, (cname, cls) in enumerate(line.storage.items()):
            d.stock[:, i, c] = q(cls.stock, f"{path}.storage.{cname}.stock")
            d.yields[:, i, c] = q(cls.yield_, f"{path}.storage.{cname}.yield")
        if line.refurbish is not None:
            refurbish += values(line.refurbish, f"{path}.refurbish")
        if line.production is not None:
            prod, ppath = line.production, f"{path}.production"
            d.base[:, i] = q(prod.base, f"{ppath}.base") / DAYS_PER[prod.per]
            d.multiplier[:, i] = q(prod.multiplier, f"{ppath}.multiplier")
            d.ramp_days[:, i] = q(prod.ramp_years, f"{ppath}.ramp_years") * YEAR
            d.workers_per_unit[:, i] = q(prod.workers_per_unit, f"{ppath}.workers_per_unit")

    for p, (s, name) in enumerate(lay.suppliers):
        sup, path = sc.sides[s].suppliers[name], f"sides.{s}.suppliers.{name}"
        deliveries += [q(dl.quantity, f"{path}.deliveries.{j}.quantity") for j, dl in enumerate(sup.deliveries)]
        d.import_delay[:, p] = in_steps(q(sup.transit_days, f"{path}.transit_days"))

    for k, s in enumerate(lay.sides):
        wf, path = sc.sides[s].workforce, f"sides.{s}.workforce"
        if wf is not None:
            d.workers[:, k] = q(wf.initial, f"{path}.initial")
            d.pool[:, k] = q(wf.pool, f"{path}.pool")
            d.hiring[:, k] = q(wf.hiring, f"{path}.hiring")
    for name, columns in (("demand", demand), ("refurbish", refurbish), ("deliveries", deliveries)):
        if columns:
            setattr(d, name, np.stack(columns, axis=1))
    return d


def expand(lay: Layout, d: Draws) -> Inputs:
    """Spread a block's draws over the steps."""
    step_days = lay.step_days
    edges_days = day_offsets(lay.edges)
    L = d.base.shape[1]
    ramp = np.stack([ramp_fraction(edges_days, lay.ramp_start[i], d.ramp_days[:, i]) for i in range(L)], axis=2)
    level = 1.0 + (d.multiplier[:, None, :] - 1.0) * ramp
    per_day = d.base[:, None, :] * level
    return Inputs(
        demand=lay.demand.amounts(d.demand),
        capacity=per_day * step_days[None, :, None],
        workers_needed=per_day * YEAR * d.workers_per_unit[:, None, :],
        refurb_capacity=lay.refurbish.amounts(d.refurbish),
        stock=d.stock, yields=d.yields, front=d.front, delay=d.delay,
        imports=lay.deliveries.amounts(d.deliveries),
        import_delay=d.import_delay, workers=d.workers, pool=d.pool,
        hiring=d.hiring[:, None, :] * step_days[None, :, None] / YEAR,
    )


def sample_inputs(lay: Layout, seed: int, runs: np.ndarray) -> Inputs:
    """Draw every uncertain quantity for the given run indices and spread them over the steps."""
    return expand(lay, sample_draws(lay, seed, runs))

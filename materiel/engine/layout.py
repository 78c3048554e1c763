"""What a scenario fixes once for all its runs: the time grid, the order of sides, lines, classes
and suppliers, and the weights that turn schedules into amounts per step.

`Layout` keeps them for Python; `Layout.grid` is the same as plain arrays (`Grid`), which is what
the compiled flows read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from materiel.engine.timegrid import day_offsets, delivery_weights, schedule_weights, step_edges
from materiel.scenario.quantity import DAYS_PER
from materiel.scenario.schema import Scenario

YEAR = DAYS_PER["year"]


class Sparse(NamedTuple):
    """A `Spread`'s non-zero weights by (owner, step): row owner·T + t holds entries start[row]:start[row + 1]."""

    start: np.ndarray   # [owners·T + 1]
    column: np.ndarray  # column of each entry, ascending within a row
    weight: np.ndarray


@dataclass(frozen=True)
class Spread:
    """Schedules of several owners (lines or suppliers) as one weight matrix.

    Owner k's amount in step t is Σ_j weights[t, j] · values[j] over its columns j
    (`owner[j] == k`), summed in column order.
    """

    weights: np.ndarray  # [T, J]
    owner: np.ndarray    # [J]
    owners: int

    @cached_property
    def sparse(self) -> Sparse:
        """The non-zero weights by (owner, step): (start [owners·T + 1], column, weight)."""
        T = self.weights.shape[0]
        t, j = np.nonzero(self.weights)               # ordered by step, then column
        order = np.argsort(self.owner[j] * T + t, kind="stable")
        t, j = t[order], j[order]
        start = np.zeros(self.owners * T + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.owner[j] * T + t, minlength=self.owners * T), out=start[1:])
        return Sparse(start, j.astype(np.int64), self.weights[t, j])


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
    demand: Spread                    # per line, rates → units per step (no columns: losses a share of the field)
    refurbish: Spread                 # per line (no columns where a line has no refurbishment)
    deliveries: Spread                # per supplier, quantities → units per step
    capacity: Spread                  # per line, dated production capacity → units per step
    attrition: Spread                 # per line, share of the field lost per step at most
    ramp_start: np.ndarray            # [L] day the production ramp starts, since the scenario's start
    coupled_to: np.ndarray            # [L] the line whose fire drives this line's demand, or -1
    races: list[tuple[int, int]]      # pairs of lines (on two sides) whose fires couplings read: fired a ÷ fired b

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

    @cached_property
    def grid(self) -> Grid:
        """The layout as plain arrays, for the compiled flows."""
        keys = sorted({(int(s), int(p)) for s, p in zip(self.side_of_line, self.priority)})
        order = np.argsort(self.supplier_line, kind="stable")
        return Grid(
            edges=day_offsets(self.edges).astype(np.float64),
            classes=np.array([len(c) for c in self.classes], dtype=np.int64),
            ships=np.array([bool(c) or self.scenario.sides[s].lines[ln].production is not None
                            for c, (s, ln) in zip(self.classes, self.lines)]),
            side_of_line=self.side_of_line,
            group_of_line=np.array([keys.index((int(s), int(p))) for s, p in zip(self.side_of_line, self.priority)],
                                   dtype=np.int64),
            group_side=np.array([s for s, _ in keys], dtype=np.int64),
            supplier_start=np.searchsorted(self.supplier_line[order], np.arange(len(self.lines) + 1)).astype(np.int64),
            supplier=order.astype(np.int64),
            ramp_start=self.ramp_start,
            coupled_to=self.coupled_to,
            read=np.isin(np.arange(len(self.lines)), self.coupled_to),
            capped=np.array([self.scenario.sides[s].lines[ln].attrition is not None for s, ln in self.lines], dtype=np.bool_),
            rated=np.array([self.scenario.sides[s].lines[ln].rated for s, ln in self.lines], dtype=np.bool_),
            repairs=np.array([self.scenario.sides[s].lines[ln].repair is not None for s, ln in self.lines], dtype=np.bool_),
            scheduled=np.isin(np.arange(len(self.lines)), self.capacity.owner),
            races=np.array(self.races, dtype=np.int64).reshape(-1, 2),
            demand=self.demand.sparse, refurbish=self.refurbish.sparse, deliveries=self.deliveries.sparse,
            capacity=self.capacity.sparse, attrition=self.attrition.sparse)


class Grid(NamedTuple):
    """A layout as plain arrays (L lines, G production priority groups, P suppliers)."""

    edges: np.ndarray           # [T + 1] days since the start
    classes: np.ndarray         # [L] storage classes of each line
    ships: np.ndarray           # [L] whether the line produces or refurbishes anything to ship
    side_of_line: np.ndarray    # [L]
    group_of_line: np.ndarray   # [L] priority group, numbered by side then priority
    group_side: np.ndarray      # [G]
    supplier_start: np.ndarray  # [L + 1] line i's suppliers are supplier[supplier_start[i]:supplier_start[i + 1]]
    supplier: np.ndarray        # [P] supplier indices, by line
    ramp_start: np.ndarray      # [L] day each line's production ramp starts
    coupled_to: np.ndarray      # [L] line whose fire drives the line's demand, or -1
    read: np.ndarray            # [L] whether a coupling reads the line's fire
    capped: np.ndarray          # [L] whether the line's losses are capped by an attrition schedule
    rated: np.ndarray           # [L] whether they are that share of the field (no demand schedule)
    repairs: np.ndarray         # [L] whether the line repairs battle damage
    scheduled: np.ndarray       # [L] whether its production capacity has a dated schedule
    races: np.ndarray           # [K, 2] lines whose fire ratio is an outcome
    demand: Sparse              # per line
    refurbish: Sparse           # per line
    deliveries: Sparse          # per supplier
    capacity: Sparse            # per line
    attrition: Sparse           # per line


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
        demand=_spread([schedule_weights(ln.demand, edges) if ln.demand else None for ln in found], len(edges) - 1),
        refurbish=_spread([schedule_weights(ln.refurbish, edges) if ln.refurbish else None for ln in found],
                          len(edges) - 1),
        deliveries=_spread([delivery_weights(sup.deliveries, edges, sup.active) for sup in sups], len(edges) - 1),
        capacity=_spread([schedule_weights(ln.production.capacity, edges) if ln.production and ln.production.capacity
                          else None for ln in found], len(edges) - 1),
        attrition=_spread([schedule_weights(ln.attrition, edges) if ln.attrition else None for ln in found],
                          len(edges) - 1),
        ramp_start=np.array([((ln.production.ramp_start or scenario.start) - scenario.start).days
                             if ln.production else 0 for ln in found], dtype=np.float64),
        coupled_to=np.array([lines.index((ln.coupling.side, ln.coupling.line)) if ln.coupling else -1 for ln in found],
                            dtype=np.int64),
        races=races(scenario),
    )


def races(scenario: Scenario) -> list[tuple[int, int]]:
    """Pairs of lines on two sides that couplings read (each side's fire), in line order: the race
    between the sides is the ratio of their fires."""
    lines = scenario.line_keys()
    read = sorted({lines.index((ln.coupling.side, ln.coupling.line))
                   for side in scenario.sides.values() for ln in side.lines.values() if ln.coupling})
    return [(a, b) for k, a in enumerate(read) for b in read[k + 1:] if lines[a][0] != lines[b][0]]


def _spread(weights: list[np.ndarray | None], steps: int) -> Spread:
    present = [(k, w) for k, w in enumerate(weights) if w is not None]
    return Spread(np.concatenate([w for _, w in present], axis=1) if present else np.zeros((steps, 0)),
                  np.array([k for k, w in present for _ in range(w.shape[1])], dtype=np.int64), len(weights))


def _line(scenario: Scenario, side: str, line: str):
    return scenario.sides[side].lines[line]

"""A neutral stock-and-flow model: stocks, flows and auxiliaries whose equations are small trees.

Each mechanism (engine/mechanisms/) contributes its stocks, flows and auxiliaries; `interop.build`
gathers them into a `Model` and `interop.xmile` writes it out; this module knows neither. Equations use what every system-dynamics tool has: numbers, references to other
variables, + − × ÷, ^ (power) and >, MIN, MAX, IF THEN ELSE, PREVIOUS(x, initial) (x's value one step
before; `initial` at the first step: a fixed delay of one step) — and `PerStep`, a value for each
time step (a graphical function of time), which may only be a variable's whole equation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Union

INFIX = ("+", "-", "*", "/", ">", "^")
CALLS = {"min": 2, "max": 2, "if": 3, "previous": 2}


@dataclass(frozen=True)
class Ref:
    """The value of another variable."""

    name: str


@dataclass(frozen=True)
class Op:
    """An operation: one of INFIX over two or more arguments, or MIN(a, b), MAX(a, b), IF(c, a, b),
    PREVIOUS(x, initial)."""

    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class PerStep:
    """One value per time step: `values[t]` holds from time t to t + 1."""

    values: tuple[float, ...]


Expr = Union[float, Ref, Op, PerStep]


def call(op: str, *args: Expr | str) -> Op:
    """An operation; a string argument is a reference to the variable of that name."""
    return Op(op, tuple(Ref(a) if isinstance(a, str) else a for a in args))


def total(names: list[str]) -> Expr:
    """The sum of some variables (0 if none)."""
    if not names:
        return 0.0
    return Ref(names[0]) if len(names) == 1 else call("+", *names)


def per_step(values) -> Expr:
    """`values` per step, or a plain number if it never changes."""
    values = tuple(float(v) for v in values)
    return values[0] if len(set(values)) == 1 else PerStep(values)


@dataclass(frozen=True)
class Stock:
    """A level: `initial` at time 0, then + inflows − outflows every step."""

    name: str
    initial: float
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Flow:
    """An amount per step, into or out of stocks (or reported beside them)."""

    name: str
    equation: Expr
    doc: str = ""


@dataclass(frozen=True)
class Aux:
    """An auxiliary (or constant) computed from other variables."""

    name: str
    equation: Expr
    doc: str = ""


Variable = Union[Stock, Flow, Aux]


@dataclass
class Model:
    """A whole model, run from time 0 to `steps` in steps of 1 (Euler)."""

    name: str
    steps: int
    time_units: str
    variables: list[Variable] = field(default_factory=list)
    title: str = ""
    doc: str = ""

    def check(self) -> None:
        """Raise ValueError unless names are distinct identifiers and every reference is defined."""
        seen: dict[str, str] = {}
        for v in self.variables:
            if not re.fullmatch(r"[^\W\d_]\w*", v.name):
                raise ValueError(f"{v.name!r} is not a plain identifier")
            key = canonical(v.name)
            if key in seen:
                raise ValueError(f"two variables would be named {v.name!r}" if seen[key] == v.name else
                                 f"{seen[key]!r} and {v.name!r} are one name in XMILE (case, _ and space alike)")
            seen[key] = v.name
        kinds = {v.name: type(v) for v in self.variables}
        for v in self.variables:
            if isinstance(v, Stock):
                if not math.isfinite(v.initial):
                    raise ValueError(f"{v.name}: initial value {v.initial} is not finite")
                for f in v.inflows + v.outflows:
                    if kinds.get(f) is not Flow:
                        raise ValueError(f"{v.name}: {f!r} is not a flow of this model")
            else:
                self._check_expr(v.name, v.equation, kinds, top=True)

    def _check_expr(self, where: str, e: Expr, kinds: dict, top: bool = False) -> None:
        if isinstance(e, Ref):
            if e.name not in kinds:
                raise ValueError(f"{where}: refers to undefined {e.name!r}")
        elif isinstance(e, PerStep):
            if not top or len(e.values) != self.steps:
                raise ValueError(f"{where}: a per-step table must be the whole equation, one value per step")
            if not all(math.isfinite(x) for x in e.values):
                raise ValueError(f"{where}: per-step values must be finite")
        elif isinstance(e, Op):
            arity = CALLS.get(e.op)
            if (e.op in INFIX and len(e.args) < 2) or (e.op not in INFIX and arity != len(e.args)):
                raise ValueError(f"{where}: bad operation {e.op!r} with {len(e.args)} arguments")
            for a in e.args:
                self._check_expr(where, a, kinds)
        elif not (isinstance(e, float) and math.isfinite(e)):
            raise ValueError(f"{where}: {e!r} is not a finite number or an expression")


def ident(*parts: str | int) -> str:
    """A variable name from its parts: `{side}_{line}_{variable}` (any character other than a letter,
    digit or underscore becomes `_`)."""
    name = "_".join(re.sub(r"\W+", "_", str(p)).strip("_") for p in parts)
    return name if name[:1].isalpha() else "n" + name


def canonical(name: str) -> str:
    """A name as XMILE compares names: case-insensitive, spaces and underscores alike."""
    return re.sub(r"[\s_]+", "_", name).lower()

"""What-if interventions: small edits of a scenario document, each citing a source or marked a hypothesis.

The vocabulary, as a YAML overlay's `interventions:` items and as command-line flags:

    {set: PATH, to: QUANTITY}                        --set PATH=QUANTITY
    {scale: demand, of: russia/*, by: 0.67,          --scale "demand of russia/* by 0.67 from 2025-07-01"
     from: 2025-07-01, until: DATE}                  (demand or refurbish: a dated factor on the schedule —
                                                      on a line whose losses are a share of its field, on
                                                      that share; production or multiplier: the quantity
                                                      scaled)
    {stop: russia/north-korea, from: 2025-01-01}     --stop "russia/north-korea from 2025-01-01"
    {start: ukraine/czech-initiative, from: DATE}    --start "ukraine/czech-initiative from DATE"

Each item carries `source: ID` (ids under the scenario's `sources`) or `hypothesis: true`; flags are
hypotheses unless `--source ID` is given. `apply` edits the plain document (as read from YAML), so
the result is validated like any scenario file and every problem names its path.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import fnmatch
import re
from dataclasses import dataclass

import yaml

from materiel.errors import InputError, Problem

SCHEDULES = ("demand", "refurbish")                                        # scaled by a dated factor
QUANTITIES = {"production": "production.base", "multiplier": "production.multiplier"}  # scaled as a whole
KINDS = ("set", "scale", "stop", "start")
QUANTITY_FIELDS = ("value", "low", "likely", "high", "mean", "sd", "median")  # what scaling multiplies


@dataclass(frozen=True)
class Intervention:
    """One edit: `kind` is set, scale, stop or start (see the module's docstring)."""

    kind: str
    target: str                   # set: a document path; scale: SIDE/LINE (wildcards allowed); stop, start: SIDE/SUPPLIER
    what: str | None = None       # scale: demand, refurbish, production or multiplier
    value: object = None          # set: the new quantity (YAML data); scale: the factor
    start: dt.date | None = None  # from this day
    until: dt.date | None = None  # up to (not including) this day
    source: tuple[str, ...] = ()
    hypothesis: bool = False

    def describe(self) -> str:
        """One line for reports: what changes, and on whose word."""
        when = "".join(f" {w} {d}" for w, d in (("from", self.start), ("until", self.until)) if d)
        if self.kind == "set":
            what = f"set {self.target} to {_flow(self.value)}"
        elif self.kind == "scale":
            what = f"scale {self.what} of {self.target} by {self.value:g}{when}"
        else:
            what = f"{self.kind} {self.target}{when}"
        return f"{what} ({'source: ' + ', '.join(self.source) if self.source else 'hypothesis'})"


def from_flag(kind: str, text: str, source: tuple[str, ...] = ()) -> Intervention:
    """An intervention from a command-line flag's text (InputError saying the expected form)."""
    option, hypothesis = f"--{kind} {text!r}", not source
    if kind == "set":
        path, eq, value = text.partition("=")
        if not eq or not path.strip():
            raise InputError(Problem(option, message="expected PATH=QUANTITY, e.g. "
                                     "sides.russia.lines.tanks.front={low: 2000, high: 2600}"))
        try:
            quantity = yaml.safe_load(value)
        except yaml.YAMLError:
            raise InputError(Problem(option, message="the quantity is not YAML: expected a number or "
                                                     "{low: …, high: …}")) from None
        return Intervention("set", path.strip(), value=quantity, source=source, hypothesis=hypothesis)
    if kind == "scale":
        m = re.fullmatch(r"\s*(\w+)\s+of\s+(\S+)\s+by\s+(\S+)(.*)", text)
        if m is None:
            raise InputError(Problem(option, message="expected 'WHAT of SIDE/LINE by FACTOR [from DATE] [until DATE]', "
                                                     "e.g. 'demand of russia/* by 0.67 from 2025-07-01'"))
        start, until = _dates(m[4], option)
        return Intervention("scale", m[2], m[1], _factor(m[3], option), start, until, source, hypothesis)
    m = re.fullmatch(r"\s*(\S+)(.*)", text)
    if m is None:
        raise InputError(Problem(option, message="expected 'SIDE/SUPPLIER [from DATE] [until DATE]'"))
    start, until = _dates(m[2], option)
    return Intervention(kind, m[1], start=start, until=until, source=source, hypothesis=hypothesis)


def from_items(items: object, origin: str, at: str = "interventions") -> list[Intervention]:
    """A list of interventions as YAML items, found at path `at` of the document (InputError naming
    each bad item's path)."""
    if not isinstance(items, list):
        raise InputError(Problem(origin, at, message="expected a list of interventions"))
    found, problems = [], []
    for k, item in enumerate(items):
        where = f"{at}.{k}"
        kinds = [kind for kind in KINDS if isinstance(item, dict) and kind in item]
        if len(kinds) != 1:
            problems.append(Problem(origin, where, message=f"expected exactly one of {', '.join(KINDS)}"))
            continue
        kind = kinds[0]
        known = {kind, "to", "of", "by", "from", "until", "source", "hypothesis", "note"}
        if unknown := sorted(set(item) - known):
            problems.append(Problem(origin, f"{where}.{unknown[0]}", message="unknown field (check the spelling)"))
            continue
        source = item.get("source", [])
        source = tuple([source] if isinstance(source, str) else source)
        if not source and item.get("hypothesis") is not True:
            problems.append(Problem(origin, where, message="cites no source; expected `source: ID` or `hypothesis: true`"))
            continue
        try:
            start, until = (_date(item.get(w), f"{where}.{w}", origin) for w in ("from", "until"))
            if kind == "scale":
                if not isinstance(item.get("of"), str) or "by" not in item:
                    raise InputError(Problem(origin, where, message="expected `of: SIDE/LINE` and `by: FACTOR`"))
                found.append(Intervention("scale", item["of"], str(item["scale"]), _factor(item["by"], f"{origin}: {where}.by"),
                                          start, until, source, not source))
            elif kind == "set":
                if "to" not in item:
                    raise InputError(Problem(origin, where, message="expected `to: QUANTITY`"))
                found.append(Intervention("set", str(item["set"]), value=item["to"], source=source, hypothesis=not source))
            else:
                found.append(Intervention(kind, str(item[kind]), start=start, until=until, source=source,
                                          hypothesis=not source))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return found


def to_item(iv: Intervention) -> dict:
    """An intervention as an overlay's `interventions:` item (what `from_items` reads back)."""
    if iv.kind == "set":
        found = {"set": iv.target, "to": iv.value}
    elif iv.kind == "scale":
        found = {"scale": iv.what, "of": iv.target, "by": iv.value}
    else:
        found = {iv.kind: iv.target}
    found.update({k: d for k, d in (("from", iv.start), ("until", iv.until)) if d})
    found.update({"source": list(iv.source)} if iv.source else {"hypothesis": True})
    return found


def apply(document: dict, interventions: list[Intervention], origin: str) -> dict:
    """A copy of a scenario document with the interventions made, in order, and listed under `what_if`."""
    doc = copy.deepcopy(document)
    problems = []
    for iv in interventions:
        try:
            {"set": _set, "scale": _scale, "stop": _window, "start": _window}[iv.kind](doc, iv, origin)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    doc["what_if"] = list(doc.get("what_if") or []) + [iv.describe() for iv in interventions]
    return doc


def _set(doc: dict, iv: Intervention, origin: str) -> None:
    parent, key = _locate(doc, iv.target, origin)
    parent[key] = _cited(iv.value, iv)


def _scale(doc: dict, iv: Intervention, origin: str) -> None:
    if iv.what not in SCHEDULES and iv.what not in QUANTITIES:
        raise InputError(Problem(origin, message=f"cannot scale {iv.what!r}; expected one of "
                                                 f"{', '.join(SCHEDULES + tuple(QUANTITIES))}"))
    lines = [(s, name, line) for s, side in (doc.get("sides") or {}).items()
             for name, line in (side.get("lines") or {}).items() if fnmatch.fnmatchcase(f"{s}/{name}", iv.target)]
    if not lines:
        raise InputError(Problem(origin, message=f"{iv.target!r} matches no SIDE/LINE of the scenario"))
    for s, name, line in lines:
        if iv.what in SCHEDULES:
            field = iv.what
            if field == "demand" and line.get("demand") is None:
                field = "attrition"  # losses a share of the field: that share is their intensity
            if line.get(field) is None:
                continue  # e.g. a line without refurbishment: nothing to scale
            scaling = {"by": iv.value, **({"from": iv.start} if iv.start else {}), **({"until": iv.until} if iv.until else {})}
            line[field].setdefault("scale", []).append(_cited(scaling, iv))
        else:
            if iv.start or iv.until:
                raise InputError(Problem(origin, message=f"{iv.what} is not a dated schedule: 'from' and 'until' "
                                                         f"apply to {' and '.join(SCHEDULES)}"))
            if line.get("production") is None:
                continue
            parent, key = _locate(doc, f"sides.{s}.lines.{name}.{QUANTITIES[iv.what]}", origin)
            parent[key] = _scaled(parent[key], iv)


def _window(doc: dict, iv: Intervention, origin: str) -> None:
    side, _, name = iv.target.partition("/")
    suppliers = ((doc.get("sides") or {}).get(side) or {}).get("suppliers") or {}
    if name not in suppliers:
        known = [f"{s}/{p}" for s, sd in (doc.get("sides") or {}).items() for p in (sd.get("suppliers") or {})]
        raise InputError(Problem(origin, message=f"no supplier {iv.target!r}; suppliers: {', '.join(known) or 'none'}"))
    if iv.start is None or (iv.kind == "stop" and iv.until is not None):
        raise InputError(Problem(origin, message=f"{iv.kind} {iv.target}: expected 'from DATE'"
                                                 f"{'' if iv.kind == 'stop' else ' [until DATE]'}"))
    window = dict(suppliers[name].get("active") or {})
    if iv.kind == "stop":  # deliveries end on that day (or earlier, if they already did)
        window["until"] = min(d for d in (window.get("until"), iv.start) if d)
    else:  # deliveries begin on that day, and end `until` if given
        window["from"] = max(d for d in (window.get("from"), iv.start) if d)
        if iv.until:
            window["until"] = iv.until
    suppliers[name]["active"] = _cited(window, iv)


def _cited(value, iv: Intervention):
    """The value with the intervention's source (or hypothesis) where the schema looks for one."""
    if not isinstance(value, dict):
        value = {"value": value}
    value = dict(value)
    if iv.source:
        value["source"] = list(iv.source)
    elif not value.get("source"):
        value["hypothesis"] = True
    return value


def _scaled(quantity, iv: Intervention):
    q = dict(quantity) if isinstance(quantity, dict) else {"value": quantity}
    for field in QUANTITY_FIELDS:
        if isinstance(q.get(field), (int, float)):
            q[field] = q[field] * iv.value
    q["note"] = f"{q['note']}; " if q.get("note") else ""
    q["note"] += f"× {iv.value:g} ({'source: ' + ', '.join(iv.source) if iv.source else 'what-if hypothesis'})"
    if iv.source:
        q["source"] = list(dict.fromkeys([*q.get("source", []), *iv.source]))
    return q


def _locate(doc: dict, path: str, origin: str) -> tuple[object, object]:
    """The container holding `path` and its key there (InputError with the closest paths if none)."""
    node, parts = doc, path.split(".")
    for depth, part in enumerate(parts):
        key = _key(node, part)
        if key is None:
            raise InputError(Problem(origin, path, message=f"no such quantity in the scenario{_closest(doc, path)}"))
        if depth == len(parts) - 1:
            return node, key
        node = node[key]
    raise AssertionError("unreachable")


def _key(node, part: str):
    if isinstance(node, dict):
        return next((k for k in node if str(k) == part or (isinstance(k, dt.date) and k.isoformat() == part)), None)
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return int(part)
    return None


def _closest(doc: dict, path: str) -> str:
    paths = list(_paths(doc, ""))
    near = difflib.get_close_matches(path, paths, n=3, cutoff=0.6)
    return f"; closest: {', '.join(near)}" if near else ""


def _paths(node, prefix: str):
    if isinstance(node, dict):
        for k, v in node.items():
            key = k.isoformat() if isinstance(k, dt.date) else str(k)
            yield f"{prefix}{key}"
            yield from _paths(v, f"{prefix}{key}.")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, f"{prefix}{i}.")


def _dates(text: str, option: str) -> tuple[dt.date | None, dt.date | None]:
    found = dict(re.findall(r"\b(from|until)\s+(\S+)", text))
    if re.sub(r"\b(from|until)\s+\S+", "", text).strip():
        raise InputError(Problem(option, message="expected only 'from DATE' and 'until DATE' after the target"))
    return tuple(_date(found.get(w), w, option) for w in ("from", "until"))  # type: ignore[return-value]


def _date(value, where: str, origin: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(Problem(origin, where, message=f"expected a date YYYY-MM-DD, got {value!r}")) from None


def _factor(value, where: str) -> float:
    try:
        factor = float(value)
    except (TypeError, ValueError):
        factor = -1.0
    if not 0.0 <= factor < 1e6:
        raise InputError(Problem(where, message=f"expected a factor of 0 or more, got {value!r}"))
    return factor


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6).strip().removesuffix("...").strip()

"""Writing a neutral model as OASIS XMILE 1.0, and `export_xmile` from a scenario.

Stocks, flows and auxiliaries become `<stock>`, `<flow>` and `<aux>`; a per-step table becomes a
discrete graphical function of TIME (its last point repeated at time `steps`, as XMILE asks of
discrete functions); `sim_specs` run from 0 to `steps` with Euler and DT = 1.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from materiel.version import __version__
from materiel.interop.build import build_model
from materiel.engine.stockflow import CALLS, INFIX, Aux, Expr, Flow, Model, Op, PerStep, Ref, Stock
from materiel.scenario.schema import Scenario

NS = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
_CALL_NAMES = {"min": "MIN", "max": "MAX"}


def export_xmile(scenario: Scenario, path: str | Path, quantile: float = 0.5) -> Model:
    """Write `scenario`'s deterministic variant (each quantity at `quantile`) to `path` as XMILE; return its model."""
    model = build_model(scenario, quantile)
    write_xmile(model, path)
    return model


def write_xmile(model: Model, path: str | Path) -> None:
    """Write a neutral model to `path` as an XMILE 1.0 document."""
    tree = ET.ElementTree(to_xml(model))
    ET.indent(tree, space="  ")
    tree.write(path, encoding="utf-8", xml_declaration=True)


def to_xml(model: Model) -> ET.Element:
    """The XMILE document of a neutral model, as an element tree."""
    ET.register_namespace("", NS)
    root = _el(None, "xmile", version="1.0")
    if model.doc:
        root.append(ET.Comment(f" {_comment(model.doc)} "))
    header = _el(root, "header")
    _el(header, "vendor", text="materiel")
    _el(header, "product", text="materiel", version=__version__, lang="en")
    _el(header, "name", text=model.name)
    if model.title:
        _el(header, "caption", text=model.title)
    specs = _el(root, "sim_specs", method="Euler", time_units=model.time_units)
    _el(specs, "start", text="0")
    _el(specs, "stop", text=str(model.steps))
    _el(specs, "dt", text="1")
    variables = _el(_el(root, "model"), "variables")
    for v in model.variables:
        _variable(variables, v, model.steps)
    return root


def _variable(parent: ET.Element, v, steps: int) -> None:
    tag = {Stock: "stock", Flow: "flow", Aux: "aux"}[type(v)]
    node = _el(parent, tag, name=v.name)
    if isinstance(v, Stock):
        _el(node, "eqn", text=_number(v.initial))
        for f in v.inflows:
            _el(node, "inflow", text=f)
        for f in v.outflows:
            _el(node, "outflow", text=f)
    elif isinstance(v.equation, PerStep):
        _el(node, "eqn", text="TIME")
        gf = _el(node, "gf", type="discrete")
        _el(gf, "xscale", min="0", max=str(steps))
        values = v.equation.values
        _el(gf, "ypts", text=",".join(_number(y) for y in values + values[-1:]))
    else:
        _el(node, "eqn", text=render(v.equation))
    if v.doc:
        _el(node, "doc", text=v.doc)


def render(e: Expr, nested: bool = False) -> str:
    """An expression in XMILE's equation syntax (operands that are operations are parenthesized)."""
    if isinstance(e, Ref):
        return e.name
    if isinstance(e, float):
        return _number(e)
    if not isinstance(e, Op) or (e.op not in INFIX and e.op not in CALLS):
        raise ValueError(f"cannot write {e!r} inside an equation")
    if e.op == "previous":  # a fixed delay of one step (DT = 1): exactly the value of the step before
        return f"DELAY({render(e.args[0])}, 1, {render(e.args[1])})"
    if e.op in _CALL_NAMES:
        return f"{_CALL_NAMES[e.op]}({', '.join(render(a) for a in e.args)})"
    if e.op == "if":
        text = "IF {} THEN {} ELSE {}".format(*(render(a, nested=True) for a in e.args))
    else:
        text = f" {e.op} ".join(render(a, nested=True) for a in e.args)
    return f"({text})" if nested else text


def _number(x: float) -> str:
    return repr(float(x))


def _el(parent: ET.Element | None, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    name = f"{{{NS}}}{tag}"
    attrib = {k: _chars(v) for k, v in attrib.items()}
    node = ET.Element(name, attrib) if parent is None else ET.SubElement(parent, name, attrib)
    node.text = None if text is None else _chars(text)
    return node


# Characters XML 1.0 allows (ElementTree escapes & < > but writes any other character as it is).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _chars(text: str) -> str:
    """Text from a scenario, with characters XML cannot hold (control characters) as U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _comment(text: str) -> str:
    """Text for an XML comment, which may hold no `--` and not end in `-`: a name cannot close it."""
    return re.sub("-(?=-)", "- ", _chars(text)).rstrip("-")

"""The package's layers: imports between subpackages go one way only (no cycles), downwards.

Every import counts, those inside functions too (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "materiel"

# Lowest first: a unit may import from units at its own level or below, never above.
LAYERS = [
    {"errors", "version"},
    {"scenario"},
    {"evidence", "observe", "engine", "ingest"},
    {"analysis"},
    {"simulation"},
    {"report", "store", "interop", "explore"},
    {"bench", "dashboard"},
    {"cli"},
    {"__init__", "__main__"},
]


def unit(module: str) -> str:
    """The subpackage (or top-level module) a dotted module name belongs to; the package itself is
    `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports() -> dict[str, set[str]]:
    """Unit → the units its modules import."""
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts)
        me = "__init__" if rel.parts == ("materiel", "__init__") else unit(module)
        package = module if rel.name == "__init__" else module.rpartition(".")[0]
        targets = graph.setdefault(me, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                names = [base] if base != "materiel" else [
                    f"materiel.{a.name}" if (ROOT / a.name).is_dir() or (ROOT / f"{a.name}.py").exists() else "materiel"
                    for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("materiel.") and unit(name) != me:
                    targets.add(unit(name))
    return graph


def test_no_import_cycle_between_subpackages():
    graph = imports()
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " → ".join(trail[trail.index(nxt):] + [nxt]) if nxt in trail
                                     else f"import cycle through {nxt}")
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])


def test_imports_go_down_the_layers():
    level = {u: i for i, layer in enumerate(LAYERS) for u in layer}
    graph = imports()
    assert set(graph) <= set(level), f"units not in LAYERS: {set(graph) - set(level)}"
    upward = sorted(f"{a} → {b}" for a, targets in graph.items() for b in targets if level[b] > level[a])
    assert upward == []

"""The source ledger: every quantity written in a scenario, its value and the sources it cites.

`ledger` lists the rows (path as in the YAML document, `Quantity.describe()`, cited ids with
their titles, note); `check` finds the quantities that cite no source or an id that `sources`
does not define; `document` is the JSON form. `read` loads a scenario for the ledger: like
`load_scenario`, except that missing and unknown source ids are left for `check` to report instead of
failing the load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from materiel.scenario.loading import parse, resolve
from materiel.scenario.schema import Scenario, iter_quantities


@dataclass(frozen=True)
class Citation:
    """One cited source id and its title (None when `sources` does not define the id)."""

    id: str
    title: str | None
    url: str | None = None


@dataclass(frozen=True)
class Row:
    """One written quantity: where it is, what it says, and what it cites."""

    path: str
    value: str
    dist: str
    citations: tuple[Citation, ...]
    note: str | None


@dataclass(frozen=True)
class Finding:
    """A quantity whose sourcing is missing or broken."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def read(name_or_path: str | Path) -> tuple[Scenario, str]:
    """Load a built-in scenario or YAML file for the ledger; return (scenario, origin).

    Every problem `load_scenario` would raise is raised here too (InputError), except missing and
    unknown source ids: those are findings of `check`.
    """
    origin, text = resolve(name_or_path)
    return parse(text, origin, check_sources=False).scenario, origin


def ledger(scenario: Scenario) -> list[Row]:
    """One row per quantity written in the scenario, in document order."""
    rows = []
    for path, q in iter_quantities(scenario):
        cites = tuple(Citation(sid, scenario.sources[sid].title, scenario.sources[sid].url)
                      if sid in scenario.sources else Citation(sid, None) for sid in q.source)
        rows.append(Row(path, q.describe(), q.dist, cites, q.note))
    return rows


def feeds(scenario: Scenario, path: str, side: str, line: str | None = None) -> bool:
    """Whether the quantity at `path` is `side`'s and, if `line` is given, feeds that line: the line's
    own quantities, those of the side's suppliers to it, and the side's workforce."""
    if line is None:
        return path.startswith(f"sides.{side}.")
    return path.startswith((f"sides.{side}.lines.{line}.", f"sides.{side}.workforce.")) or any(
        path.startswith(f"sides.{side}.suppliers.{name}.") for name, supplier in scenario.sides[side].suppliers.items()
        if supplier.line == line)


def check(scenario: Scenario) -> list[Finding]:
    """Quantities that cite no source, and citations of ids `sources` does not define."""
    found = []
    for row in ledger(scenario):
        if not row.citations:
            found.append(Finding(row.path, f"{row.value} cites no source"))
        for c in row.citations:
            if c.title is None:
                found.append(Finding(row.path, f"cites unknown source id {c.id!r}"))
    return found


def unused(scenario: Scenario) -> list[str]:
    """Ids defined under `sources` that no quantity cites."""
    cited = {sid for _, q in iter_quantities(scenario) for sid in q.source}
    return [sid for sid in scenario.sources if sid not in cited]


def document(scenario: Scenario, origin: str) -> dict:
    """The ledger as a JSON-ready document: quantities, sources, findings and unused sources."""
    return {
        "scenario": scenario.name,
        "origin": origin,
        "quantities": [{"path": r.path, "value": r.value, "dist": r.dist, "sources": [c.id for c in r.citations],
                        "note": r.note} for r in ledger(scenario)],
        "sources": {sid: {"title": s.title, "author": s.author, "date": str(s.date), "url": s.url}
                    for sid, s in scenario.sources.items()},
        "problems": [{"path": f.path, "message": f.message} for f in check(scenario)],
        "unused_sources": unused(scenario),
    }

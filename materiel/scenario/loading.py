"""Reading scenarios: YAML (safe loading, line numbers kept) → validated `Scenario`, or problems.

Every problem names the file, the path inside the document, the YAML line and what was
expected; `load_scenario` raises them together as one `InputError`.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from materiel.errors import InputError, Problem
from materiel.scenario import limits
from materiel.scenario.quantity import DAYS_PER
from materiel.scenario.schema import STEPLY, Scenario, iter_quantities, iter_what_ifs

BUILTIN_PACKAGE = "materiel.scenario.builtin"


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the text it came from (for hashing and the run registry)."""

    scenario: Scenario
    text: str
    origin: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def builtin_names() -> list[str]:
    """Names of the scenarios that ship with materiel."""
    folder = resources.files(BUILTIN_PACKAGE)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def resolve(name_or_path: str | Path) -> tuple[str, str]:
    """Return (origin shown in messages, text) for a built-in name or a file path."""
    name = str(name_or_path)
    if name in builtin_names():
        return f"{name} (built-in)", resources.files(BUILTIN_PACKAGE).joinpath(f"{name}.yaml").read_text()
    path = Path(name_or_path)
    if not path.exists():
        hint = f"; built-in scenarios: {', '.join(builtin_names())}" if not path.suffix else ""
        raise InputError(Problem(str(path), message=f"no such file or built-in scenario{hint}"))
    if path.is_dir():
        raise InputError(Problem(str(path), message="is a directory; expected a scenario YAML file"))
    return str(path), read_text(path, limits.MAX_FILE_BYTES, "a scenario YAML file")


def read_text(path: Path, max_bytes: int, what: str) -> str:
    """The UTF-8 text of a regular file of at most `max_bytes`, or InputError saying why not
    (a device, a FIFO, too large, unreadable, not UTF-8) without reading more than the bound."""
    try:
        if not path.is_file():
            raise InputError(Problem(str(path), message=f"is not a regular file; expected {what}"))
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(Problem(str(path), message=f"cannot be read: {exc.strerror or exc}")) from None
    if len(data) > max_bytes:
        raise InputError(Problem(str(path), message=f"is larger than {max_bytes // 2**20} MiB, the most {what} "
                                                    "may be (docs/limits.md)"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(str(path), message=f"cannot be read as UTF-8 text: {exc}")) from None


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a built-in scenario (by name) or a YAML file; raise InputError if bad."""
    return load(name_or_path).scenario


def load(name_or_path: str | Path) -> LoadedScenario:
    """Like `load_scenario`, keeping the source text and where it came from. `SCENARIO@NAME` is the
    scenario's variant NAME (its `variants:`), the interventions made."""
    base, at, variant = str(name_or_path).rpartition("@")
    if at and variant and (base in builtin_names() or Path(base).is_file()):
        return _variant(load(base), variant)
    origin, text = resolve(name_or_path)
    folder = None if name_or_path in builtin_names() else Path(name_or_path).parent
    return parse(text, origin, folder=folder)


def _variant(loaded: LoadedScenario, name: str) -> LoadedScenario:
    """The named variant of a loaded scenario."""
    from materiel.scenario import interventions as what_if

    variants = loaded.scenario.variants
    if name not in variants:
        raise InputError(Problem(loaded.origin, "variants", message=f"no variant {name!r}; "
                                 f"variants: {', '.join(variants) or 'none'}"))
    found = what_if.from_items(variants[name], loaded.origin, f"variants.{name}")
    varied = vary(loaded, found, name=f"{loaded.scenario.name}@{name}")
    data, _ = _read_yaml(varied.text, varied.origin)
    data.pop("variants", None)
    return validate(data, dump(data), loaded.origin, {})


def parse(text: str, origin: str = "<text>", *, check_sources: bool = True, folder: Path | None = None) -> LoadedScenario:
    """Validate scenario YAML text; `origin` names it in problems.

    An overlay (a document with `extends: SCENARIO` and `interventions:`, docs/whatif.md) is the
    scenario it extends, `SCENARIO` a built-in name or a file relative to `folder`, with its
    interventions made. With `check_sources=False`, unsourced quantities and citations of undefined
    source ids are let through (the source ledger reports them itself).
    """
    data, lines = _read_yaml(text, origin)
    if "extends" in data:
        data, lines = _overlaid(data, origin, folder), {}
        text = dump(data)
    return validate(data, text, origin, lines, check_sources=check_sources)


def document(loaded: LoadedScenario) -> dict:
    """The plain document (as read from YAML) of a loaded scenario, an overlay's made whole."""
    data, _ = _read_yaml(loaded.text, loaded.origin)
    return _overlaid(data, loaded.origin, None) if "extends" in data else data


def vary(loaded: LoadedScenario, interventions: list, name: str | None = None) -> LoadedScenario:
    """The scenario with `interventions` (scenario/interventions.py) made, validated again."""
    from materiel.scenario import interventions as what_if

    if not interventions:
        return loaded
    data = what_if.apply(document(loaded), interventions, loaded.origin)
    data["name"] = name or f"{data.get('name')}+what-if"
    return validate(data, dump(data), loaded.origin, {})


def dump(data: dict) -> str:
    """A scenario document as YAML text: libyaml's emitter where there (the same text, six times
    sooner than PyYAML's pure-Python one)."""
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, allow_unicode=True)


OVERLAY_FIELDS = {"extends", "name", "title", "description", "interventions", "note"}
MAX_OVERLAYS = 8  # overlays extending overlays, at most this deep


def _overlaid(data: dict, origin: str, folder: Path | None, depth: int = 0) -> dict:
    """The document an overlay stands for: its base with its interventions made."""
    from materiel.scenario import interventions as what_if

    if unknown := sorted(set(data) - OVERLAY_FIELDS):
        raise InputError(Problem(origin, unknown[0], message=f"an overlay has only {', '.join(sorted(OVERLAY_FIELDS))}"))
    if depth >= MAX_OVERLAYS:
        raise InputError(Problem(origin, "extends", message=f"overlays extend each other more than {MAX_OVERLAYS} deep"))
    base = data["extends"]
    if not isinstance(base, str):
        raise InputError(Problem(origin, "extends", message="expected a built-in scenario name or a file"))
    where = base if base in builtin_names() or folder is None else folder / base
    base_origin, base_text = resolve(where)
    base_data, _ = _read_yaml(base_text, base_origin)
    if "extends" in base_data:
        base_data = _overlaid(base_data, base_origin, None if base in builtin_names() else Path(where).parent, depth + 1)
    doc = what_if.apply(base_data, what_if.from_items(data.get("interventions", []), origin), origin)
    doc["name"] = str(data.get("name") or f"{base_data.get('name')}+{Path(origin).stem}")
    for field in ("title", "description"):
        if field in data:
            doc[field] = data[field]
    return doc


def validate(data: dict, text: str, origin: str, lines: dict[str, int], *, check_sources: bool = True) -> LoadedScenario:
    """A scenario document (as read from YAML) → LoadedScenario, or InputError naming each problem."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError([_problem(origin, lines, err) for err in exc.errors()]) from None
    problems = [Problem(origin, path, _line(lines, path), msg)
                for path, msg in check_references(scenario, sources=check_sources)]
    if problems:
        raise InputError(problems)
    return LoadedScenario(scenario, text, origin)


def _unknown_sources(scenario: Scenario, path: str, ids: list[str]) -> list[tuple[str, str]]:
    return [(f"{path}.source", f"unknown source id {sid!r}; expected one of the ids under `sources`")
            for sid in ids if sid not in scenario.sources]


def check_references(scenario: Scenario, *, sources: bool = True) -> list[tuple[str, str]]:
    """Checks across fields: time frame, cited sources (every quantity cites one unless the scenario
    is a draft), suppliers' lines. Returns (path, message)."""
    found: list[tuple[str, str]] = []
    if scenario.horizon <= scenario.start:
        found.append(("horizon", f"expected a date after start ({scenario.start}), got {scenario.horizon}"))
    steps = (scenario.horizon - scenario.start).days / DAYS_PER[scenario.step]
    if steps > limits.MAX_STEPS:
        found.append(("horizon", f"{scenario.start} to {scenario.horizon} is {steps:,.0f} {STEPLY[scenario.step]} steps; "
                                 f"at most {limits.MAX_STEPS:,} are allowed: a longer step or a nearer horizon"))
    lines = sum(len(side.lines) for side in scenario.sides.values())
    if lines > limits.MAX_LINES:
        found.append(("sides", f"{lines} lines in all; at most {limits.MAX_LINES} are allowed"))
    if scenario.knowledge_horizon is not None and scenario.knowledge_horizon < scenario.start:
        found.append(("knowledge_horizon", f"expected a date on or after start ({scenario.start}), "
                                           f"got {scenario.knowledge_horizon}"))
    for path, q in iter_quantities(scenario) if sources else ():
        if not q.source and not q.hypothesis and not scenario.draft:
            found.append((path, f"{q.describe()} cites no source; expected `source: ID` (an id under `sources`), "
                                "`hypothesis: true` for a what-if value, or `draft: true` at the top of a scenario "
                                "not yet sourced"))
        found += _unknown_sources(scenario, path, q.source)
    for path, change in iter_what_ifs(scenario) if sources else ():
        if not change.source and not change.hypothesis:
            found.append((path, "cites no source; expected `source: ID` or `hypothesis: true`"))
        found += _unknown_sources(scenario, path, change.source)
    for sname, side in scenario.sides.items():
        for lname, line in side.lines.items():
            if line.coupling is not None:
                found += _check_coupling(scenario, sname, f"sides.{sname}.lines.{lname}.coupling", line.coupling)
        for pname, supplier in side.suppliers.items():
            if supplier.line not in side.lines:
                found.append((f"sides.{sname}.suppliers.{pname}.line",
                              f"no line {supplier.line!r} on side {sname!r}; expected one of: {', '.join(side.lines)}"))
    return found


def _check_coupling(scenario: Scenario, own: str, path: str, coupling) -> list[tuple[str, str]]:
    others = [s for s in scenario.sides if s != own]
    if coupling.side not in others:
        return [(f"{path}.side", f"{coupling.side!r} is not an opposing side; expected one of: {', '.join(others) or '(none)'}")]
    lines = scenario.sides[coupling.side].lines
    if coupling.line not in lines:
        return [(f"{path}.line", f"no line {coupling.line!r} on side {coupling.side!r}; expected one of: {', '.join(lines)}")]
    return []


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader (libyaml's when there) that rejects duplicate keys and remembers the node it is
    constructing (for the line of a value that cannot be read)."""

    current = None

    def construct_object(self, node, deep=False):
        self.current = node
        return super().construct_object(node, deep)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, collections.abc.Hashable):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain value (text, a number or a date)", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


# YAML 1.1 (PyYAML) reads `1e6` as text; YAML 1.2, JSON and every user read it as a number.
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def _read_yaml(text: str, origin: str) -> tuple[object, dict[str, int]]:
    if not text.strip():
        raise InputError(Problem(origin, message="is empty; expected a scenario (a YAML mapping)"))
    if len(text) > limits.MAX_FILE_BYTES:
        raise InputError(Problem(origin, message=f"is longer than {limits.MAX_FILE_BYTES // 2**20} MiB, the most a "
                                                 "scenario may be (docs/limits.md)"))
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_size(node, origin)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        what = getattr(exc, "problem", None) or str(exc)
        raise InputError(Problem(origin, line=line, message=f"malformed YAML: {what}")) from None
    except RecursionError:  # PyYAML's pure-Python composer, where libyaml is missing, on deep nesting
        raise InputError(Problem(origin, message=f"nested deeper than {limits.MAX_DEPTH} levels")) from None
    except (ValueError, TypeError, OverflowError, AttributeError, KeyError) as exc:
        # PyYAML's constructors raise these for values they cannot build: an impossible date or time
        # zone, `!!float x`, `!!timestamp x`, an empty `!!bool`
        node = loader.current
        what = (f"cannot read {node.value[:40]!r} as {node.tag.rpartition(':')[2]}"
                if isinstance(node, yaml.ScalarNode) else f"cannot read this value ({exc})")
        raise InputError(Problem(origin, line=node.start_mark.line + 1 if node is not None else None,
                                 message=f"malformed YAML: {what}")) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise InputError(Problem(origin, line=1, message=f"expected a mapping at the top, got {type(data).__name__}"))
    lines: dict[str, int] = {}
    _index_lines(node, "", lines)
    return data, lines


def _check_size(root, origin: str) -> None:
    """Refuse a document that aliases itself, nests deeper than MAX_DEPTH or, aliases expanded (as
    validation would walk it), holds more than MAX_NODES values: a few lines of YAML can otherwise
    ask for billions."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        line = node.start_mark.line + 1
        if key in open_nodes:
            raise InputError(Problem(origin, line=line, message="malformed YAML: an alias refers to a value that "
                                                                "contains it"))
        if depth > limits.MAX_DEPTH:
            raise InputError(Problem(origin, line=line, message=f"nested deeper than {limits.MAX_DEPTH} levels"))
        open_nodes.add(key)
        children = (node.value if isinstance(node, yaml.SequenceNode) else
                    [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else [])
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > limits.MAX_NODES:
                raise InputError(Problem(origin, line=line, message=f"holds more than {limits.MAX_NODES:,} values "
                                         "(aliases expanded), the most a scenario may (docs/limits.md)"))
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


def _index_lines(node, path: str, lines: dict[str, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}" if path else str(key_node.value)
            lines[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, f"{path}.{i}" if path else str(i), lines)


def _line(lines: dict[str, int], path: str) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path.rpartition(".")[0]
    return lines.get("")


def _problem(origin: str, lines: dict[str, int], err: dict) -> Problem:
    loc = [_loc_part(p) for p in err["loc"] if not str(p).startswith(("function-after", "function-before"))]
    path = ".".join(loc)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] == "extra_forbidden":
        msg = "unknown field (check the spelling)"
    elif "input" in err and err["type"] not in ("value_error", "assertion_error"):
        msg = f"{msg}, got {_short(err['input'])}"
    return Problem(origin, path, _line(lines, path), msg)


def _loc_part(part) -> str:
    """A location step as written in YAML (dates as YYYY-MM-DD, whatever form pydantic gives)."""
    if isinstance(part, dt.date):
        return part.isoformat()
    match = re.fullmatch(r"datetime\.date\((\d+), (\d+), (\d+)\)", str(part))
    return dt.date(*map(int, match.groups())).isoformat() if match else str(part)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

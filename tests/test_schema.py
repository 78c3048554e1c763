"""The published JSON Schema (`materiel scenarios schema`) accepts what the loader accepts."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from materiel.scenario.loading import BUILTIN_PACKAGE, builtin_names, parse
from materiel.scenario.schema import Scenario
from strategies import scenario_doc

VALIDATOR = jsonschema.Draft202012Validator(Scenario.model_json_schema(by_alias=True))

MINIMAL = """\
name: minimal
start: 2024-01-01
horizon: 2024-06-30
sources:
  a: {title: A report, author: Someone, date: 2024-01-01}
sides:
  x:
    lines:
      shells:
        front: {value: 1000, source: a}
        demand: {values: {2024-01-01: {low: 10, high: 20, source: [a]}}}
"""


def as_json(value):
    """A YAML document as JSON sees it: dates (values and keys) become ISO strings."""
    if isinstance(value, dict):
        return {(k.isoformat() if isinstance(k, dt.date) else k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def schema_problems(doc) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(as_json(doc))]


@pytest.mark.parametrize("name", builtin_names())
def test_schema_accepts_every_builtin_scenario(name):
    from importlib import resources

    text = resources.files(BUILTIN_PACKAGE).joinpath(f"{name}.yaml").read_text()
    parse(text)  # the loader accepts it …
    assert schema_problems(yaml.safe_load(text)) == []  # … and so does the schema


def test_schema_accepts_a_hand_written_minimal_scenario_with_single_source_ids_and_bare_numbers():
    text = MINIMAL + "draft: true\n"
    text = text.replace("front: {value: 1000, source: a}", "front: 1000")
    for t in (MINIMAL, text):
        parse(t)
        assert schema_problems(yaml.safe_load(t)) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_doc())
def test_schema_accepts_random_scenarios_the_loader_accepts(doc):
    parse(json.dumps(as_json(doc)))  # JSON is YAML: the loader's own path
    assert schema_problems(doc) == []


@pytest.mark.parametrize("old, new", [
    ("front: {value: 1000", "frnt: {value: 1000"),     # an unknown key
    ("{low: 10, high: 20", "{low: ten, high: 20"),     # a word for a number
    ("source: [a]", "source: [1]"),                    # an id that is not text
])
def test_schema_rejects_what_the_loader_rejects(old, new):
    from materiel.errors import InputError

    text = MINIMAL.replace(old, new)
    with pytest.raises(InputError):
        parse(text)
    assert schema_problems(yaml.safe_load(text)) != []

"""`materiel validate`: every kind of bad input gets exit 2, its field path, line and expectation."""

from __future__ import annotations

import re

import pytest

GOOD = """\
name: tiny
start: 2024-01-01
horizon: 2024-12-31
step: week
sources:
  src: {title: A report, author: Someone, date: 2024-01-01}
sides:
  a:
    lines:
      tanks:
        front: {value: 100, source: src}
        storage:
          repairable: {stock: 50, yield: 0.5}
        refurbish:
          per: month
          values:
            2024-01-01: 10
            2024-06-01: 5
        demand:
          per: day
          values:
            2024-01-01: {low: 1, high: 2, source: src}
    suppliers:
      ally:
        line: tanks
        deliveries:
          - {start: 2024-02-01, end: 2024-03-01, quantity: 30}
draft: true  # stock, yield, refurbish and the delivery cite no source
"""


def write(tmp_path, text, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_valid_file_exits_zero(cli, tmp_path):
    result = cli("validate", str(write(tmp_path, GOOD)))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_builtin_scenarios_are_valid(cli):
    result = cli("validate", "russia-ukraine-2022")
    assert result.returncode == 0, result.stderr


# (replacement applied to GOOD, expected field path, expected line, words expected in the message)
CASES = {
    "wrong type": (("front: {value: 100, source: src}", "front: lots"), "sides.a.lines.tanks.front", 11, "number"),
    "negative stock": (("stock: 50,", "stock: -5,"), "sides.a.lines.tanks.storage.repairable.stock", 13, ">= 0"),
    "yield above 1": (("yield: 0.5", "yield: 1.5"), "sides.a.lines.tanks.storage.repairable.yield", 13, "between 0 and 1"),
    "low above high": (("{low: 1, high: 2, source: src}", "{low: 3, high: 2, source: src}"),
                       "sides.a.lines.tanks.demand.values.2024-01-01", 22, "must not exceed"),
    "unknown source": (("{value: 100, source: src}", "{value: 100, source: nope}"),
                       "sides.a.lines.tanks.front.source", 11, "unknown source id 'nope'"),
    "dates out of order": (("2024-06-01: 5", "2023-06-01: 5"), "sides.a.lines.tanks.refurbish.values", 16, "dates must increase"),
    "supplier to a missing line": (("line: tanks", "line: shells"), "sides.a.suppliers.ally.line", 25, "no line 'shells'"),
    "unknown key": (("front: {value: 100", "frnt: {value: 100"), "sides.a.lines.tanks.frnt", 11, "unknown field"),
    "no losses": (("        demand:\n          per: day\n          values:\n            2024-01-01: {low: 1, high: 2, source: src}\n", ""),
                  "sides.a.lines.tanks", 10, "needs `demand`"),
    "missing field": ((", quantity: 30}", "}"), "sides.a.suppliers.ally.deliveries.0.quantity", 27, "required"),
    "delivery ends before it starts": (("end: 2024-03-01", "end: 2024-01-01"), "sides.a.suppliers.ally.deliveries.0", 27, "must come after"),
    "horizon before start": (("horizon: 2024-12-31", "horizon: 2023-12-31"), "horizon", 3, "after start"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_field_reports_path_line_and_expectation(cli, tmp_path, case):
    (old, new), path, line, words = CASES[case]
    assert old in GOOD
    file = write(tmp_path, GOOD.replace(old, new, 1))
    result = cli("validate", str(file))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    expected = f"{file}:{line}: {path}:"
    assert any(l.startswith(f"error: {expected}") and words in l for l in result.stderr.splitlines()), result.stderr


def test_exponent_numbers_without_a_dot_are_numbers(cli, tmp_path):
    """PyYAML's YAML 1.1 reads `1e3` as text; materiel reads it as YAML 1.2 and JSON do."""
    result = cli("validate", str(write(tmp_path, GOOD.replace("stock: 50,", "stock: 5e1,"))))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", ["validate", "run"])
def test_an_unsourced_quantity_is_an_error_unless_the_scenario_is_a_draft(cli, tmp_path, command):
    file = write(tmp_path, GOOD.replace("draft: true", "draft: false"))
    result = cli(command, str(file), "--runs", "10", "--no-store") if command == "run" else cli(command, str(file))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    assert f"error: {file}:13: sides.a.lines.tanks.storage.repairable.stock: 50 cites no source" in result.stderr
    assert any("refurbish.values.2024-06-01:" in e and "draft: true" in e for e in errors), result.stderr
    assert not any(".front:" in e or "demand.values" in e for e in errors)  # these cite `src`
    assert cli("validate", str(write(tmp_path, GOOD))).returncode == 0


@pytest.mark.parametrize("make, words", [
    (lambda tmp: tmp / "absent.yaml", "no such file"),
    (lambda tmp: tmp, "is a directory"),
    (lambda tmp: write(tmp, ""), "is empty"),
    (lambda tmp: write(tmp, "name: [unclosed\nstart: 2024"), "malformed YAML"),
    (lambda tmp: write(tmp, "- just\n- a list\n"), "expected a mapping"),
    (lambda tmp: write(tmp, "name: a\nname: b\n"), "duplicate key"),
    (lambda tmp: write(tmp, b"\xff\xfe\x00bad".decode("latin-1"), "binary.yaml"), ""),
])
def test_bad_files_get_a_clear_message(cli, tmp_path, make, words):
    target = make(tmp_path)
    result = cli("validate", str(target))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {target}")
    assert words in result.stderr


def test_every_problem_is_reported_not_just_the_first(cli, tmp_path):
    text = GOOD.replace("stock: 50,", "stock: -5,").replace("yield: 0.5", "yield: 2")
    result = cli("validate", str(write(tmp_path, text)))
    assert result.returncode == 2
    assert len(re.findall(r"^error:", result.stderr, flags=re.M)) == 2

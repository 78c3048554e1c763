"""Seeded mutators of the files materiel reads — scenario YAML, observed series (General Staff
JSON), calibration weights — and a worker that feeds the mutants to the commands that read them.

Run as a script (`python tests/fuzz.py KIND SEED CASES`, KIND one of scenario, observed, weights)
it prints one JSON line per case that broke the contract — exit status other than 0 or 2, or any
exception escaping the command line — and a last line with the counts. tests/test_hostile.py runs it in a subprocess with a memory limit and
a timeout, so a hang or a runaway allocation fails the test instead of the machine.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import random
import re
import sys
import tempfile
import traceback
from pathlib import Path

HOSTILE_VALUES = [
    "1e20", "-1", "9223372036854775808", "1e15", ".nan", ".inf", "-.inf", "0", "1e-320", "''", "[]", "{}",
    "[/]", "'\\x00'", "\"a\\0b\"", "2023-02-30", "2023-13-01", "0000-01-01", "9999-12-31", "1600-01-01",
    "2023-01-01T25:00:00", "2023-01-01T00:00:00+25:00", "!!float x", "!!timestamp x", "!!bool", "!!int 1e3",
    "!!python/object:os.system ls", "*undefined", "&a [*a]", "{? [1, 2] : 3}", "'--><evil/><!--'",
    "javascript:alert(1)", "9" * 5000, "~", "true", "\"\\u202e\"",
]
BOMBS = [
    "x0: &a0 [1,1,1,1,1,1,1,1,1]\n" + "".join(f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)),
    "big: {" + ", ".join(f"k{i}: {i}" for i in range(110_000)) + "}\n",  # 220k values: past MAX_NODES
    "deep: " + "[" * 500 + "]" * 500 + "\n",
]
NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.-])")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def mutate(text: str, rng: random.Random) -> str:
    """One to three random edits: a number, a date or a value made hostile; lines deleted, doubled,
    swapped or cut; bytes inserted; an alias bomb or a huge mapping appended."""
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        kind = rng.randrange(9)
        if kind == 0 and NUMBER.search(text):
            spots = list(NUMBER.finditer(text))
            m = rng.choice(spots)
            text = text[:m.start()] + rng.choice(HOSTILE_VALUES) + text[m.end():]
        elif kind == 1 and DATE.search(text):
            m = rng.choice(list(DATE.finditer(text)))
            text = text[:m.start()] + rng.choice(["2023-02-30", "2023-13-01", "1899-12-31", "9999-12-31", "2201-01-01",
                                                  "2024-01-01", "2030-01-01"]) + text[m.end():]
        elif kind == 2:
            i = rng.randrange(len(lines))
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {rng.choice(HOSTILE_VALUES)}" if ":" in lines[i] else lines[i]
            text = "\n".join(lines)
        elif kind == 3:
            del lines[rng.randrange(len(lines))]
            text = "\n".join(lines)
        elif kind == 4:
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == 5:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif kind == 6:
            text = text[: rng.randrange(len(text) + 1)]
        elif kind == 7:
            at = rng.randrange(len(text) + 1)
            junk = "".join(chr(rng.choice([0, 7, 9, 10, 27, 34, 35, 38, 39, 42, 58, 60, 62, 91, 93, 123, 125, 0xFEFF,
                                          0x202E, rng.randrange(32, 0x3000)])) for _ in range(rng.randint(1, 8)))
            text = text[:at] + junk + text[at:]
        else:  # the huge mapping is slow to parse even when refused: rarely
            text += "\n" + rng.choices(BOMBS, weights=(10, 1, 10))[0]
    return text


def run_case(args: list[str]) -> tuple[int | None, str | None]:
    """materiel's command line in this process: (exit status, None) or (None, the escaped traceback)."""
    from materiel.cli import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
        return code, None if "Traceback" not in err.getvalue() else err.getvalue()[-2000:]
    except BaseException:  # noqa: BLE001 - anything escaping the command line breaks its contract
        return None, traceback.format_exc()[-2000:]
    return 0, None


HOSTILE_JSON = [None, True, -1, 0.5, 1e308, float("nan"), float("inf"), 10**30, "", "x", "1600-01-01", "2300-01-01",
                "2024-02-30", [], {}, [[[]]], {"date": None}]


def mutate_json(doc, rng: random.Random) -> str:
    """One to three edits of a JSON document: a value somewhere replaced by a hostile one, a key
    dropped, a list cut or doubled; then, now and again, the text cut, junk inserted, a number of
    5,000 digits or nesting 100,000 deep."""
    doc = json.loads(json.dumps(doc))
    for _ in range(rng.randint(1, 3)):
        parent, key = _pick(doc, rng)
        hostile = copy.deepcopy(rng.choice(HOSTILE_JSON))  # never one object in two places
        if parent is None:
            doc = hostile
            continue
        action = rng.randrange(4)
        if action == 0 or not isinstance(parent[key], (list, dict)):
            parent[key] = hostile
        elif action == 1 and isinstance(parent, dict):
            del parent[key]
        elif isinstance(parent[key], list) and parent[key]:
            items = parent[key]
            parent[key] = items[: rng.randrange(len(items))] if action == 2 else items + copy.deepcopy(items[:1])
    text = json.dumps(doc)
    kind = rng.randrange(8)
    if kind == 0:
        text = text[: rng.randrange(len(text) + 1)]
    elif kind == 1:
        at = rng.randrange(len(text) + 1)
        text = text[:at] + rng.choice(["\x00", "]", "}", ",", "\"", "9" * 5000, "\ud800"]) + text[at:]
    elif kind == 2:
        text = "[" * 100_000 + "]" * 100_000
    return text


def _pick(doc, rng: random.Random):
    """A random (container, key) inside `doc`, or (None, None) for the document itself."""
    parent, key, node = None, None, doc
    while isinstance(node, (list, dict)) and node and rng.random() < 0.7:
        keys = list(node) if isinstance(node, dict) else range(len(node))
        parent, key = node, rng.choice(list(keys))
        node = node[key]
    return parent, key


def observed_base() -> list[dict]:
    """Three months of the built-in General Staff series as the published JSON records."""
    from materiel.observe import load_builtin

    frame = load_builtin("general_staff").loc["2023-11-01":"2024-01-31", ["tank", "apc", "field_artillery", "mrl",
                                                                           "personnel"]]
    return [{"date": day.date().isoformat(), **{k: int(v) for k, v in row.items()}} for day, row in frame.iterrows()]


def fuzz(kind: str, seed: int, cases: int) -> dict:
    """Make `cases` mutants of one kind of file and feed each to the commands that read it; report
    every breakage and return the counts."""
    from materiel.scenario.loading import resolve

    rng = random.Random(seed)
    counts = {"cases": 0, "valid": 0, "refused": 0, "broken": 0}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        weights = Path(tmp) / "weights.json"
        if kind == "weights":
            code, trace = run_case(["calibrate", "--until", "2023-06-30", "--runs", "40", "--save", str(weights),
                                    "--quiet"])
            assert code == 0 and trace is None, trace
        base = {"scenario": lambda: resolve("russia-ukraine-2022")[1], "observed": observed_base,
                "weights": lambda: json.loads(weights.read_text())}[kind]()
        for k in range(cases):
            text = mutate(base, rng) if kind == "scenario" else mutate_json(base, rng)
            path = Path(tmp) / f"case-{k}.{'yaml' if kind == 'scenario' else 'json'}"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            if kind == "scenario":  # valid: it validates and then runs
                code, trace = run_case(["validate", str(path)])
                if code == 0 and trace is None:
                    code, trace = run_case(["run", str(path), "--runs", "8", "--quiet", "--home", str(home),
                                            "--seed", str(k)])
            elif kind == "observed":
                code, trace = run_case(["calibrate", "--observed", str(path), "--until", "2024-01-15", "--runs", "8",
                                        "--quiet"])
            else:
                code, trace = run_case(["run", "--calibrated", str(path), "--quiet", "--no-store"])
            if code == 0 and trace is None:
                counts["valid"] += 1
            elif code == 2:
                counts["refused"] += 1
            counts["cases"] += 1
            if trace is not None or code not in (0, 2):
                counts["broken"] += 1
                print(json.dumps({"case": k, "exit": code, "trace": trace, "input": text[:3000]}), flush=True)
    return counts


if __name__ == "__main__":
    kind, seed, cases = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(fuzz(kind, seed, cases)), flush=True)

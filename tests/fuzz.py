"""A seeded mutator of scenario YAML and a worker that feeds the mutants to materiel's commands.

Run as a script (`python tests/fuzz.py SEED CASES`) it prints one JSON line per case that broke
the contract — exit status other than 0 or 2, or any exception escaping the command line — and
a last line with the counts. tests/test_hostile.py runs it in a subprocess with a memory limit and
a timeout, so a hang or a runaway allocation fails the test instead of the machine.
"""

from __future__ import annotations

import contextlib
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


def fuzz(seed: int, cases: int, base: str) -> dict:
    """Mutate `base` `cases` times; validate each mutant, run the valid ones briefly; report breakages."""
    rng = random.Random(seed)
    counts = {"cases": 0, "valid": 0, "refused": 0, "broken": 0}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        for k in range(cases):
            text = mutate(base, rng)
            path = Path(tmp) / f"case-{k}.yaml"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            code, trace = run_case(["validate", str(path)])
            if code == 0 and trace is None:
                counts["valid"] += 1
                code, trace = run_case(["run", str(path), "--runs", "8", "--quiet", "--home", str(home),
                                        "--seed", str(k)])
            elif code == 2:
                counts["refused"] += 1
            counts["cases"] += 1
            if trace is not None or code not in (0, 2):
                counts["broken"] += 1
                print(json.dumps({"case": k, "exit": code, "trace": trace, "yaml": text[:3000]}), flush=True)
    return counts


if __name__ == "__main__":
    from materiel.scenario.loading import resolve

    seed, cases = int(sys.argv[1]), int(sys.argv[2])
    print(json.dumps(fuzz(seed, cases, resolve("russia-ukraine-2022")[1])), flush=True)

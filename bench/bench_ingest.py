"""Accuracy and speed of `materiel ingest`.

Accuracy: extracted claims against labelled ones (matched by value and unit, see
materiel/ingest/score.py) on the two seed articles (the shared folder's corpus/) and on the labelled texts in
tests/data/ingest, the held-out ones (labelled before any rule was tuned) reported apart.
Speed: one article of ~2,000 words after start-up, and a folder of 100 articles through the command
line (a whole process, start-up included). Usage:
python bench/bench_ingest.py [--shared DIR] [--speed] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "ingest"
# Never looked at while tuning (see the README there): labelled before the rules were written, and after.
HELD_OUT = {"held-out, early": ("011", "012", "013"), "held-out, late": ("014", "015", "016", "017")}


def sets(shared: Path) -> dict[str, list[tuple[Path, Path]]]:
    """Name → (article, labels) pairs: the seeds, our own texts for tuning, the held-out ones."""
    own = sorted(p for p in LABELLED.glob("[0-9][0-9][0-9].txt"))
    seeds = sorted((shared / "corpus").glob("seed-*.txt"))
    held = {stem for stems in HELD_OUT.values() for stem in stems}
    return {"seeds": [(p, p.with_suffix(".json")) for p in seeds],
            "own, tuning": [(p, p.with_suffix(".json")) for p in own if p.stem not in held]} | {
        name: [(p, p.with_suffix(".json")) for p in own if p.stem in stems] for name, stems in HELD_OUT.items()}


def accuracy(shared: Path) -> dict:
    from materiel.ingest.score import SCORED_FIELDS, Tally, evaluate

    tallies: dict[str, tuple[Tally, int]] = {}
    for name, pairs in sets(shared).items():
        tally = Tally()
        for article, labels in pairs:
            tally.add(evaluate(article, labels))
        tallies[name] = tally, len(pairs)
    for total, parts in (("own, all", [n for n in tallies if n != "seeds"]), ("all", list(tallies))):
        tally = Tally()
        for n in parts:
            tally.add(tallies[n][0])
        tallies[total] = tally, sum(tallies[n][1] for n in parts)
    results = {name: t.document() | {"documents": n} for name, (t, n) in tallies.items()}
    print(f"{'set':16} {'docs':>4} {'labels':>6} {'found':>5} {'P':>5} {'R':>5} {'P(value)':>8}  "
          + "  ".join(f"{f + ' P/R':>15}" for f in SCORED_FIELDS))
    for name, r in results.items():
        fields = "  ".join(f"{_pct(r['fields'][f]['precision']):>7}/{_pct(r['fields'][f]['recall']):<7}"
                           for f in SCORED_FIELDS)
        print(f"{name:16} {r['documents']:>4} {r['labelled']:>6} {r['extracted']:>5} {_pct(r['precision']):>5} "
              f"{_pct(r['recall']):>5} {_pct(r['value_precision']):>8}  {fields}")
    return results


def baseline(shared: Path) -> dict:
    """quantulum3's parser alone on the same texts: every quantity it finds is a claim (its value; units are
    its own names, so only value precision and recall mean anything)."""
    from materiel.ingest.numbers import _parser
    from materiel.ingest.score import Tally, load_labels, score
    from materiel.ingest.text import read
    from materiel.ingest import Claim

    tally = Tally()
    for pairs in sets(shared).values():
        for article, labels in pairs:
            text = read(article).text
            found = [Claim(text[a:b], q.value, q.unit.name) for q in _parser().parse(text) for a, b in [q.span]]
            tally.add(score(found, load_labels(labels), text))
    print(f"quantulum3 alone, all sets: value precision {_pct(tally.value_precision)} "
          f"({tally.value_matched} of {tally.extracted} found, {tally.labelled} labelled)")
    return {"value_precision": tally.value_precision, "found": tally.extracted, "value_matched": tally.value_matched}


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def speed() -> dict:
    """Seconds for one ~2,000-word article after start-up (median of 5), and for `materiel ingest DIR --json -`
    on 100 articles as a whole process."""
    from materiel.ingest import extract

    texts = [p.read_text(encoding="utf-8").split("\n---\n", 1)[-1] for p in sorted(LABELLED.glob("*.txt"))]
    article, i = "", 0
    while len(article.split()) < 2000:  # whole texts, one after another, to just over 2,000 words
        article += texts[i % len(texts)] + "\n"
        i += 1
    words = len(article.split())
    extract(texts[0])  # start-up: the libraries' tables load once
    times = []
    for _ in range(5):
        began = time.perf_counter()
        extract(article)
        times.append(time.perf_counter() - began)
    one = sorted(times)[2]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(100):
            Path(tmp, f"{i:03d}.txt").write_text(texts[i % len(texts)], encoding="utf-8")
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "materiel", "ingest", tmp, "--json", "-"], check=True,
                       capture_output=True, cwd=ROOT)
        folder = time.perf_counter() - began
    print(f"one article of {words} words: {one:.3f} s after start-up; 100 articles (whole process): {folder:.2f} s")
    return {"article_words": words, "article_seconds": one, "folder_articles": 100, "folder_seconds": folder}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("MATERIEL_SHARED", ROOT.parent / "shared")),
                        help="the shared folder holding corpus/ (default: $MATERIEL_SHARED or ../shared)")
    parser.add_argument("--speed", action="store_true", help="also time extraction")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    out = {"accuracy": accuracy(args.shared), "quantulum3_alone": baseline(args.shared)}
    if args.speed:
        out["speed"] = speed()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

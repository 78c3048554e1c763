"""Scoring extracted claims against labelled ones: precision and recall, overall and per field.

An extracted claim matches a labelled one of the same document with the same value (a number, or
both ends of a range) and unit, one to one, preferring a label whose quote overlaps its own. Among
matched pairs each field (qualifier, per, speaker, date) is scored too: precision over the pairs
where the extractor gave the field, recall over those where the label has it; a speaker matches
when the names agree ("Havryliuk" is "Ivan Havryliuk (Ukraine's First Deputy Minister of Defense)").
`value_precision` counts a match on value alone, as the published baselines do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from materiel.errors import InputError, Problem
from materiel.ingest.claims import FIELDS, Claim

SCORED_FIELDS = ("qualifier", "per", "speaker", "date")


@dataclass
class Tally:
    """Counts over one or more documents; ratios are None when there is nothing to divide by."""

    extracted: int = 0
    labelled: int = 0
    matched: int = 0
    value_matched: int = 0
    fields: dict[str, list[int]] = field(default_factory=lambda: {f: [0, 0, 0] for f in SCORED_FIELDS})
    # per field: [correct and given, given by the extractor, given by the label] over matched pairs

    def add(self, other: "Tally") -> None:
        self.extracted += other.extracted
        self.labelled += other.labelled
        self.matched += other.matched
        self.value_matched += other.value_matched
        for f, counts in other.fields.items():
            self.fields[f] = [a + b for a, b in zip(self.fields[f], counts)]

    @property
    def precision(self) -> float | None:
        return _ratio(self.matched, self.extracted)

    @property
    def recall(self) -> float | None:
        return _ratio(self.matched, self.labelled)

    @property
    def value_precision(self) -> float | None:
        return _ratio(self.value_matched, self.extracted)

    def field_scores(self, name: str) -> tuple[float | None, float | None]:
        correct, given, labelled = self.fields[name]
        return _ratio(correct, given), _ratio(correct, labelled)

    def document(self) -> dict:
        return {"extracted": self.extracted, "labelled": self.labelled, "matched": self.matched,
                "precision": self.precision, "recall": self.recall, "value_precision": self.value_precision,
                "fields": {f: dict(zip(("precision", "recall"), self.field_scores(f))) for f in SCORED_FIELDS}}


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def load_labels(path: str | Path) -> list[Claim]:
    """A labels file (a JSON list of claims, as the seed labels) → claims (InputError if not)."""
    path = Path(path)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(Problem(str(path), message=f"cannot read labels: {exc}; expected a JSON list of claims"))
    if not isinstance(rows, list) or not all(isinstance(r, dict) and {"quote", "value", "unit"} <= set(r)
                                             for r in rows):
        raise InputError(Problem(str(path), message=f"expected a JSON list of claims with fields {', '.join(FIELDS)}"))
    return [Claim.from_dict(r) for r in rows]


def score(extracted: list[Claim], labelled: list[Claim], text: str = "") -> Tally:
    """Match one document's extracted claims to its labels (see the module's docstring)."""
    tally = Tally(extracted=len(extracted), labelled=len(labelled))
    free = list(range(len(labelled)))
    value_free = list(range(len(labelled)))
    for claim in extracted:
        same_value = [i for i in value_free if same(claim.value, labelled[i].value)]
        if same_value:
            value_free.remove(_best(claim, same_value, labelled, text))
            tally.value_matched += 1
        candidates = [i for i in free if same(claim.value, labelled[i].value) and claim.unit == labelled[i].unit]
        if not candidates:
            continue
        i = _best(claim, candidates, labelled, text)
        free.remove(i)
        tally.matched += 1
        for f in SCORED_FIELDS:
            mine, theirs = getattr(claim, f), getattr(labelled[i], f)
            counts = tally.fields[f]
            counts[0] += mine is not None and theirs is not None and agree(f, mine, theirs)
            counts[1] += mine is not None
            counts[2] += theirs is not None
    return tally


def _best(claim: Claim, candidates: list[int], labelled: list[Claim], text: str) -> int:
    """The candidate label whose quote overlaps the claim's in the text, else the first."""
    a = text.find(claim.quote)
    for i in candidates:
        b = text.find(labelled[i].quote)
        if a >= 0 and b >= 0 and a < b + len(labelled[i].quote) and b < a + len(claim.quote):
            return i
    return candidates[0]


def same(a, b) -> bool:
    """Equal values: numbers within a relative 1e-9, ranges end by end."""
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    try:
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    except (TypeError, ValueError):
        return False


def agree(name: str, mine: str, theirs: str) -> bool:
    """Whether an extracted field agrees with the label's (speakers by name, others as written)."""
    if name != "speaker":
        return mine.strip().lower() == theirs.strip().lower()
    a, b = _name_words(mine), _name_words(theirs)
    return bool(a) and bool(b) and (a <= b or b <= a)


def _name_words(who: str) -> set[str]:
    """The words of a speaker's name, without the role in parentheses, articles or possessives."""
    name = re.sub(r"\(.*?\)", "", who).lower()
    words = re.findall(r"[\w-]+", re.sub(r"['’]s\b", "", name))
    return {w for w in words if w not in ("the", "a", "an", "of")}


def evaluate(article: str | Path, labels: str | Path) -> Tally:
    """Read an article, extract its claims and score them against its labels file."""
    from materiel.ingest.claims import extract
    from materiel.ingest.text import read

    doc = read(article)
    return score(extract(doc.text, doc.date), load_labels(labels), doc.text)

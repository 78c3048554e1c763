"""Claims: one per number per mention, in the format of the seed articles' labels."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

from materiel.ingest import context
from materiel.ingest.numbers import find_numbers

FIELDS = ("quote", "value", "unit", "per", "qualifier", "subject", "speaker", "date")


@dataclass(frozen=True)
class Claim:
    """A quantitative claim: `quote` is an exact substring of the text it came from; `value` a number or
    [low, high]; `per` the time basis of a rate; `date` ISO as far as the text fixes it."""

    quote: str
    value: float | int | list
    unit: str
    per: str | None = None
    qualifier: str | None = None
    subject: str | None = None
    speaker: str | None = None
    date: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Claim":
        return cls(**{k: d.get(k) for k in FIELDS})


def extract(text: str, document_date: dt.date | None = None) -> list[Claim]:
    """Every in-scope quantitative claim of a text, in order. `document_date` (the article's date, if
    known) resolves relative dates such as "last year"; without it they stay None."""
    plain = context.masked(text)
    spans = context.sentences(plain)
    who = context.speakers(plain, spans)
    claims: list[Claim] = []
    previous_unit: tuple[int, str] | None = None  # (paragraph, unit) of the last claim
    for s, speaker in zip(spans, who):
        sentence = plain[s.start:s.end]
        numbers = find_numbers(sentence)
        times = context.time_expressions(sentence)
        dates = _dates(sentence, numbers, times, document_date)
        for n, date in zip(numbers, dates):
            unit = n.unit or (previous_unit[1] if previous_unit and previous_unit[0] == s.paragraph else None)
            if unit is None:
                continue
            claims.append(Claim(quote=text[s.start:s.end], value=n.value, unit=unit, per=n.per,
                                qualifier=n.qualifier, subject=_subject(sentence, n) or unit, speaker=speaker,
                                date=date))
            previous_unit = (s.paragraph, unit)
    return claims


def _subject(sentence: str, n) -> str | None:
    """The words that name what is counted, as written ("defense industry facilities")."""
    if n.unit_end is None or n.unit_end <= n.end:
        return None
    words = re.sub(r"^(?:of\s+)?(?:(?:its|their|the|his|her)\b)?\s*", "", " ".join(sentence[n.end:n.unit_end].split()))
    return words or None


def _dates(sentence: str, numbers, times, document_date) -> list[str | None]:
    """The date of each number: the first time expression after it and before the next number (or after
    the next one too, if that one is joined by "and"/"or": "10,000 … and 1,000 drones in 2024"); else the
    nearest one before it that no other number has taken."""
    ends = [len(sentence)] * len(numbers)
    for i in range(len(numbers) - 2, -1, -1):
        a, b = numbers[i], numbers[i + 1]
        joined = re.fullmatch(r"[\w\s-]*\b(?:and|or)\b[\w\s-]*", sentence[a.end:b.start])
        ends[i] = ends[i + 1] if joined else b.start
    owned = [[t for t in times if n.end <= t[0] < end] for n, end in zip(numbers, ends)]
    taken = {t for own in owned for t in own}
    out = []
    for n, own in zip(numbers, owned):
        free = [t for t in times if t[1] <= n.start and t not in taken]
        chosen = own[0] if own else (free[-1] if free else None)
        out.append(None if chosen is None else context.resolve(sentence[chosen[0]:chosen[1]], chosen[2], document_date))
    return out

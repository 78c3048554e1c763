"""Claims against a scenario: which quantity each claim speaks of, and whether the scenario agrees.

A claim maps to a side (the one its sentence or paragraph names), a line (by unit: shells → the
line counted in shells; soldiers → the personnel line; a multiplier → the line its sentence names,
else the one whose notes share most words with it) and a quantity by what the sentence says:
losses or fire → `demand` at the claim's date (the article's date if the claim has none; the
whole schedule if neither; nothing for a line whose losses are a share of its field),
production → the capacity `production` ramps to at that date, "increased N times" →
`production.multiplier`, workers at the start → `workforce.initial`, later → `workforce.pool`. Rates are converted to the quantity's own `per`. A claim's qualifier
widens it ("over 1,300" is [1,300, ∞), "about" ±10 %, "nearly" the 10 % below). The verdict
compares that interval with the quantity's range: `contains` (the scenario's range holds the
claim), `narrower` (the scenario's range lies inside the claim's), `overlaps`, or `contradicts`
(no overlap). A claim that maps to nothing is listed with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass

from materiel.ingest.claims import Claim
from materiel.ingest.numbers import UNIT_RE, UNITS
from materiel.scenario.quantity import Quantity, Schedule
from materiel.scenario.schema import Line, Scenario, Side

DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}
LOSS = re.compile(r"\b(?:lost|los(?:s|ses|es|ing)|killed|wounded|casualt\w*|fir(?:e|es|ed|ing)|consum\w*|expend\w*|"
                  r"launch\w*|destroy\w*|used)\b", re.IGNORECASE)
PRODUCE = re.compile(r"\b(?:produc\w*|manufactur\w*|build\w*|built|output|capacity|make|made|making|assembl\w*)\b",
                     re.IGNORECASE)
INCREASE = re.compile(r"\b(?:increas\w*|ris(?:e|en|ing)|rose|gr(?:ew|own|owing)|soar\w*|ramp\w*|expand\w*|boost\w*|"
                      r"surg\w*|doubl\w*|tripl\w*|multipl\w*|up)\b", re.IGNORECASE)
START = re.compile(r"\b(?:beginning|start|outset|before)\b", re.IGNORECASE)
LINE_WORDS = {"soldiers": ("personnel", "troops"), "vehicles": ("afv", "vehicles"), "guns": ("artillery", "guns"),
              "launchers": ("mrl", "launchers")}
UNMAPPED_UNITS = {"percent": "a percentage, not a count the scenario holds",
                  "facilities": "the scenario has no quantity of facilities",
                  "containers": "the scenario counts shells, not containers",
                  "USD": "the scenario has no money", "EUR": "the scenario has no money", "GBP": "the scenario has no money",
                  "tonnes": "the scenario has no quantity in tonnes", "people": "people of no stated role"}


@dataclass(frozen=True)
class Finding:
    """One claim checked: the quantity it maps to (path None if unmapped), both ranges and the verdict."""

    claim: Claim
    path: str | None
    scenario: tuple[float, float] | None = None
    claimed: tuple[float, float] | None = None
    per: str | None = None
    verdict: str | None = None
    note: str = ""

    def to_dict(self) -> dict:
        return {"claim": self.claim.to_dict(), "path": self.path, "verdict": self.verdict,
                "scenario_range": _jsonable(self.scenario), "claim_range": _jsonable(self.claimed),
                "per": self.per, "note": self.note}


def _jsonable(pair):
    return None if pair is None else [None if math.isinf(x) else x for x in pair]


def check(claims: list[Claim], scenario: Scenario, text: str = "", document_date: dt.date | None = None) -> list[Finding]:
    """Map each claim to a scenario quantity and compare (see the module's docstring); `text` is the article
    the claims came from (for a side named only earlier in the paragraph)."""
    return [_check(c, scenario, text, document_date) for c in claims]


def _check(claim: Claim, sc: Scenario, text: str, document_date: dt.date | None) -> Finding:
    if claim.unit in UNMAPPED_UNITS:
        return Finding(claim, None, note=f"unmapped: {UNMAPPED_UNITS[claim.unit]}")
    side_name = _side(claim, sc, text)
    if side_name is None:
        return Finding(claim, None, note="unmapped: the text names none of the scenario's sides")
    side = sc.sides[side_name]
    when = _when(claim.date, sc) or document_date
    prefix = f"sides.{side_name}"
    if claim.unit == "workers":
        if side.workforce is None:
            return Finding(claim, None, note=f"unmapped: {side_name} has no workforce")
        at_start = when is not None and when <= sc.start
        name = "initial" if at_start else "pool"
        note = "workers at the start" if at_start else "most workers the industry can employ"
        return _verdict(claim, f"{prefix}.workforce.{name}", _support(getattr(side.workforce, name)), None, note)
    line_name = _line(claim, side, text)
    if line_name is None:
        what = "a multiplier of no line it names" if claim.unit == "times" else f"no {claim.unit} line"
        return Finding(claim, None, note=f"unmapped: {what} in the scenario's {side_name} side")
    line = side.lines[line_name]
    path = f"{prefix}.lines.{line_name}"
    if claim.unit == "times":
        if not INCREASE.search(claim.quote):
            return Finding(claim, None, note="unmapped: a comparison, not a production ramp")
        if line.production is None:
            return Finding(claim, None, note=f"unmapped: {side_name}/{line_name} has no production ramp")
        return _verdict(claim, f"{path}.production.multiplier", _support(line.production.multiplier), None,
                        "production ramp: full capacity over base")
    sentence = claim.quote
    if LOSS.search(sentence) and claim.per:
        if line.demand is None:
            return Finding(claim, None, note=f"unmapped: {side_name}/{line_name}'s losses are a share of what it "
                                             "fields (no demand schedule)")
        low, high, note = _schedule(line.demand, when)
        return _verdict(claim, f"{path}.demand", (low, high), line.demand.per, note)
    if PRODUCE.search(sentence) and line.production is not None and (claim.per or _is_year(claim.date)):
        per = claim.per or "year"
        low, high, note = _capacity(line, when, sc)
        return _verdict(claim, f"{path}.production", (low, high), line.production.per, note, claim_per=per)
    return Finding(claim, None, note="unmapped: neither a rate of losses or fire nor of production")


def _verdict(claim: Claim, path: str, scenario: tuple[float, float], per: str | None, note: str,
             claim_per: str | None = None) -> Finding:
    low, high = _interval(claim)
    factor = DAYS[per] / DAYS[claim_per or claim.per] if per and (claim_per or claim.per) else 1.0
    low, high = low * factor, high * factor
    a, b = scenario
    if high < a or low > b:
        verdict = "contradicts"
    elif a <= low and high <= b:
        verdict = "contains"
    elif low <= a and b <= high:
        verdict = "narrower"
    else:
        verdict = "overlaps"
    return Finding(claim, path, scenario, (low, high), per, verdict, note)


def _interval(claim: Claim) -> tuple[float, float]:
    """The values a claim allows, given its qualifier."""
    low, high = (claim.value if isinstance(claim.value, list) else (claim.value, claim.value))
    return {"over": (low, math.inf), "at least": (low, math.inf), "under": (0.0, high), "up to": (0.0, high),
            "nearly": (0.9 * low, high), "about": (0.9 * low, 1.1 * high)}.get(claim.qualifier, (low, high))


def _support(q: Quantity) -> tuple[float, float]:
    return tuple(float(x) for x in q.support())


def _side(claim: Claim, sc: Scenario, text: str) -> str | None:
    """The side the claim's sentence names, else its paragraph up to it, else the text most often."""
    start = text.find(claim.quote)
    paragraph = text[text.rfind("\n", 0, max(start, 0)) + 1:start] if start >= 0 else ""
    for scope in (claim.quote + " " + (claim.subject or ""), paragraph, text):
        counts = Counter({name: len(re.findall(rf"\b{re.escape(name[:-1])}\w*", scope, re.IGNORECASE))
                          for name in sc.sides})
        (best, n), *rest = counts.most_common() + [("", 0)]
        if n and (not rest or rest[0][1] < n):
            return best
    return None


def _line(claim: Claim, side: Side, text: str) -> str | None:
    """The line a claim counts: by unit, or for a multiplier the line its sentence names, else the one whose
    notes share most words with the sentence."""
    if claim.unit != "times":
        wanted = LINE_WORDS.get(claim.unit, (claim.unit,))
        return next((name for name, line in side.lines.items() if name in wanted or line.unit in wanted), None)
    units = [UNITS[int(m.lastgroup[1:])][1] for m in UNIT_RE.finditer(claim.quote)]
    named = [name for u in units for name, line in side.lines.items()
             if line.production is not None and (line.unit == u or name in LINE_WORDS.get(u, (u,)))]
    named += [name for name, line in side.lines.items() if line.production is not None and
              re.search(rf"\b{re.escape(name)}\b", claim.quote, re.IGNORECASE)]
    if named:
        return named[0]
    words = _words(claim.quote)
    overlap = {name: len(words & _words(_notes(line))) for name, line in side.lines.items() if line.production}
    best = max(overlap, key=overlap.get, default=None)
    return best if best is not None and overlap[best] >= 3 else None


def _notes(line: Line) -> str:
    return " ".join(filter(None, [line.note, line.production.multiplier.note]))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower())}


def _when(date: str | None, sc: Scenario) -> dt.date | None:
    """A claim's date as a day: the middle of a year or month it names; the scenario's start for "at the
    beginning of the war" or "before the war"."""
    if date is None:
        return None
    if START.search(date):
        return sc.start
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date)
    if m is None:
        return None
    return dt.date(int(m[1]), int(m[2] or 7), int(m[3] or (15 if m[2] else 1)))


def _is_year(date: str | None) -> bool:
    return date is not None and re.fullmatch(r"\d{4}", date) is not None


def _schedule(s: Schedule, when: dt.date | None) -> tuple[float, float, str]:
    """The range of a schedule's value in force at a date (held from the latest date at or before it), or
    over all its values when there is no date."""
    dates = sorted(s.values)
    if when is None:
        ranges = [_support(q) for q in s.values.values()]
        return min(a for a, _ in ranges), max(b for _, b in ranges), "undated: the schedule's whole range"
    at = max((d for d in dates if d <= when), default=dates[0])
    low, high = _support(s.values[at])
    return low, high, f"value from {at.isoformat()} (in force on {when.isoformat()})"


def _capacity(line: Line, when: dt.date | None, sc: Scenario) -> tuple[float, float, str]:
    """The range of production capacity at a date: base × (1 + (multiplier − 1) × share of the ramp done),
    before any workforce limit; at full ramp without a date."""
    p = line.production
    base, mult, ramp = _support(p.base), _support(p.multiplier), _support(p.ramp_years)
    start = p.ramp_start or sc.start
    if when is None:
        shares, note = [(1.0, 1.0)], "full capacity (base × multiplier), before workforce limits"
    else:
        years = max(0.0, (when - start).days / 365.25)
        shares = [(min(1.0, years / r) if r > 0 else 1.0) for r in ramp]
        shares = [(min(shares), max(shares))]
        note = f"capacity on {when.isoformat()} (ramp from {start.isoformat()}), before workforce limits"
    (s_low, s_high), = shares
    low = base[0] * (1 + (mult[0] - 1) * s_low)
    high = base[1] * (1 + (mult[1] - 1) * s_high)
    return low, high, note

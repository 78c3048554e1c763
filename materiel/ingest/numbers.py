"""Numbers in a sentence: value (or range), unit, qualifier and rate basis, with out-of-scope ones left out.

A sentence is scanned for numerals ("1,300", "250 000", "1.3 million", "$321 million", "75%"),
number words ("two million", "one and a half million", read by text2num) and multiplier words
("double", "twofold"). Adjacent numbers joined by "to", "or", "-" or "between … and" make a range.
The unit is the domain noun that follows within a few words (shells, tanks, drones, soldiers,
workers, facilities …, normalised as in the corpus labels); physical units come from quantulum3's
parser, which also tells distances, areas and durations apart so they can be left out. Years,
day numbers, calibres ("152-mm", "6-inch") and model numbers ("T-90") are not claims, nor are
vague magnitudes ("hundreds of thousands", "several million"), which have no numeral to find.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import text2num

SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mln": 1e6, "m": 1e6, "bn": 1e9, "billion": 1e9}
CURRENCY_SIGNS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP"}
MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
          "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")

# Domain units: a pattern for the noun as written → the normalised unit of the corpus labels.
UNITS = [
    (r"(?:artillery\s+)?(?:shells?|rounds?|projectiles?|munitions?|ammunition)", "shells"),
    (r"(?:main\s+battle\s+)?tanks?|MBTs?", "tanks"),
    (r"drones?|UAVs?|Shaheds?|Gerans?|unmanned\s+aerial\s+vehicles", "drones"),
    (r"(?:cruise\s+|ballistic\s+)?missiles?", "missiles"),
    (r"(?:armou?red\s+)?(?:fighting\s+)?vehicles|AFVs?|IFVs?|APCs?", "vehicles"),
    (r"aircraft|planes|jets|helicopters", "aircraft"),
    (r"guns|howitzers|artillery\s+(?:pieces|systems)", "guns"),
    (r"(?:rocket\s+)?launchers|MLRS", "launchers"),
    (r"soldiers?|troops|servicemen|personnel|fighters|occupiers", "soldiers"),
    (r"workers?|employees?|jobs?|specialists|engineers|staff", "workers"),
    (r"facilities|facility|plants?|factories|factory|enterprises?", "facilities"),
    (r"containers?", "containers"),
    (r"times|fold", "times"),
    (r"%|percent|per\s+cent", "percent"),
    (r"tons?|tonnes?", "tonnes"),
    (r"euros?", "EUR"),
    (r"(?:US\s+)?dollars?", "USD"),
    (r"people|persons|citizens", "people"),
]
UNIT_RE = re.compile("|".join(f"(?P<u{i}>{p})" for i, (p, _) in enumerate(UNITS)), re.IGNORECASE)
# quantulum3 entities that are not claims in scope (distances, areas, durations …) and those that are.
EXCLUDED_ENTITIES = {"length", "area", "time", "volume", "speed", "angle", "frequency", "temperature", "energy",
                     "power", "data storage"}
QUANTULUM_UNITS = {"mass": "tonnes"}
# Words a unit may lie behind ("1,300 defense industry facilities"): up to this many.
MAX_GAP_WORDS = 4

DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+(?:\.\d+)?"
WORD_NUMBERS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety")
SCALE_WORDS = "hundred|thousand|million|billion"
NUMBER_RE = re.compile(
    rf"""(?P<cur>US\$|[$€£])?\s?
    (?:(?P<digits>{DIGITS})(?:\s?(?P<scale>million|billion|thousand|mln|bn)\b|(?P<suffix>[MmkK]|bn)(?![\w-]))?
      |(?P<words>(?:\b(?:a|{WORD_NUMBERS})(?:[\s-]+(?:and\s+a\s+half|{WORD_NUMBERS}|{SCALE_WORDS}))*\b)
                 |\bhalf\s+a\s+(?:million|billion)\b)
      |(?P<mult>\b(?:double[sd]?|twice|tripled?|quadrupled?|(?:two|three|four|five|ten)fold)\b))""",
    re.IGNORECASE | re.VERBOSE)
MULTIPLIERS = {"double": 2, "twice": 2, "triple": 3, "quadruple": 4, "two": 2, "three": 3, "four": 4, "five": 5,
               "ten": 10}

QUALIFIERS = [
    (r"more\s+than|over|exceed(?:s|ed|ing)?|above|in\s+excess\s+of|upwards\s+of", "over"),
    (r"at\s+least|no\s+(?:fewer|less)\s+than|a\s+minimum\s+of", "at least"),
    (r"nearly|almost|close\s+to", "nearly"),
    (r"about|around|approximately|roughly|some|an\s+estimated|circa|~", "about"),
    (r"up\s+to|as\s+many\s+as|as\s+much\s+as|a\s+maximum\s+of", "up to"),
    (r"under|less\s+than|fewer\s+than|below", "under"),
]
QUALIFIER_RE = [(re.compile(rf"(?:^|[^\w])(?:{p})\s*(?:by\s+)?(?:a\s+factor\s+of\s+)?$", re.IGNORECASE), q)
                for p, q in QUALIFIERS]
PER_AFTER = re.compile(r"(?<!in )\b(?:per|a|an|each|every)\s+(day|week|month|year)\b|\b(daily|weekly|monthly|annually|"
                       r"yearly|per\s+annum)\b|\bthroughout\s+the\s+(day)\b|\bin\s+(?:one|a\s+single)\s+(day)\b",
                       re.IGNORECASE)
PER_BEFORE = re.compile(r"\b(annual|yearly|monthly|daily|weekly)\b[^,;.]{0,30}$", re.IGNORECASE)
PER_WORDS = {"daily": "day", "weekly": "week", "monthly": "month", "annually": "year", "yearly": "year",
             "annual": "year", "per annum": "year"}
WORKING = re.compile(r"\b(?:work|works|working|worked|employ\w*|jobs?)\b", re.IGNORECASE)
TERRITORY = re.compile(r"\b(?:territor\w*|land|under\s+\w+\s+control|occupied|occupation)\b", re.IGNORECASE)
OF_AFTER = re.compile(r"^\s*of\b", re.IGNORECASE)  # "two of them": a number word before "of" counts nothing


@dataclass
class Number:
    """One number found in a sentence; `start`/`end` are offsets in the sentence."""

    start: int
    end: int
    value: float | list[float]
    unit: str | None = None
    unit_end: int | None = None
    qualifier: str | None = None
    per: str | None = None
    currency: bool = False


def find_numbers(sentence: str) -> list[Number]:
    """The in-scope numbers of one sentence with value, unit, qualifier and rate basis (unit may be None:
    the caller fills an elided unit from the sentences before, or drops the number)."""
    found = [n for n in (_number(m, sentence) for m in NUMBER_RE.finditer(sentence)) if n is not None]
    found = _ranges(found, sentence)
    physical = _quantulum(sentence)
    kept = []
    for n in found:
        if n.unit is None:
            _unit_after(n, sentence)
        if n.unit is None and re.search(r"\bfactor\s+of\s*$", sentence[:n.start], re.IGNORECASE):
            n.unit, n.unit_end = "times", n.end
        if n.unit is None:
            kind = next((k for (s, e), k in physical if s <= n.start < e or n.start <= s < n.end), None)
            if kind in EXCLUDED_ENTITIES:
                continue
            n.unit = QUANTULUM_UNITS.get(kind)
        if n.unit is None and _is_year(n, sentence):
            continue
        n.unit = n.unit or _unit_before(n, sentence)
        if n.unit == "percent" and TERRITORY.search(sentence):
            continue  # territory shares are not claims in scope
        n.qualifier = _qualifier(sentence[:n.start])
        kept.append(n)
    _share_across_and(kept, sentence)
    for n in kept:
        n.per = n.per or _per(n, kept, sentence)
    for a, b in zip(kept, kept[1:]):
        if a.per is None and b.per and re.fullmatch(r"\s*(?:and|or|,)\s*", sentence[a.unit_end or a.end:b.start]):
            a.per = b.per
    return kept


def _number(m: re.Match, s: str) -> Number | None:
    """A regex match → a Number with its value, or None if it is no quantity (year, date, calibre, model)."""
    start, end = m.start(), m.end()
    while s[start].isspace():
        start += 1
    before, after = s[max(0, start - 12):start], s[end:end + 14]
    if m["mult"]:
        word = m["mult"].lower()
        word = word.removesuffix("fold") if word.endswith("fold") else word.rstrip("sd")
        return Number(start, end, MULTIPLIERS[word], unit="times", unit_end=end)
    if m["words"]:
        value = _words_value(m["words"])
        if value is None or (value < 2 and not m["words"].lower().startswith(("a ", "one "))):
            return None
        if re.match(r"-\s*(?:year|month|week|day|hour)", after, re.IGNORECASE):  # "the two-year mark"
            return None
    else:
        if re.search(r"[A-Za-z]-?$|\d[:/.]$|#$", before) or re.match(r"[:/]\d|-\s*(?:mm|millimet|inch|calib)|\s?mm\b|"
                                                                      r"(?:st|nd|rd|th)\b|-[A-Za-z]", after,
                                                                      re.IGNORECASE):
            return None  # model numbers (T-90, Su-34), times 6:11, calibres (152-mm, 6-inch), ordinals
        if re.search(rf"\b(?:{MONTHS})\.?\s+$", before, re.IGNORECASE) or \
                re.match(rf"\s*(?:{MONTHS})\b", after, re.IGNORECASE):
            return None  # day of a date: "February 17", "17 February"
        value = float(re.sub(r"[, \u00a0\u202f]", "", m["digits"]))
        scale = (m["scale"] or m["suffix"] or "").lower()
        if scale:
            value *= SCALES[scale]
    if m["cur"]:
        return Number(start, end, _tidy(value), unit=CURRENCY_SIGNS[m["cur"]], currency=True)
    if OF_AFTER.match(s[end:]) and m["words"] and re.search(SCALE_WORDS, m["words"], re.IGNORECASE) is None:
        return None
    return Number(start, end, _tidy(value))


def _words_value(words: str) -> float | None:
    """'two million' → 2e6, 'one and a half million' → 1.5e6, 'a million' → 1e6, 'half a million' → 5e5."""
    text = re.sub(r"[\s-]+", " ", words.lower()).strip()
    if text.startswith("half a "):
        return 0.5 * SCALES[text.split()[-1]]
    half = " and a half" in text
    text = text.replace(" and a half", "")
    if text.startswith("a "):
        text = "one " + text[2:]
    if text == "a":
        return None
    parts = text.split()
    scale = SCALES.get(parts[-1], 1) if half and parts[-1] in ("thousand", "million", "billion") else 1
    if scale != 1:
        parts = parts[:-1]
    try:
        base = text2num(" ".join(parts), "en")
    except ValueError:
        return None
    return (base + (0.5 if half else 0)) * scale


def _tidy(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 6)


def _ranges(found: list[Number], s: str) -> list[Number]:
    """Join "3 to 6", "2-2.5 million", "1 or 2 million", "between 10 and 11 million" into [low, high]."""
    out: list[Number] = []
    for n in found:
        prev = out[-1] if out else None
        if prev is not None and not isinstance(prev.value, list) and prev.unit in (None, n.unit):
            gap = s[prev.end:n.start]
            joined = re.fullmatch(r"\s*(?:to|or|-|–|—)\s*", gap) and not re.search(r"\bfrom\s+\S*$", s[:prev.start], re.IGNORECASE)
            joined = joined or (re.fullmatch(r"\s*and\s*", gap) and re.search(r"\bbetween\s+\S*\s*$", s[:prev.start], re.IGNORECASE))
            if joined:
                low, high = prev.value, n.value
                scale = _scale_of(s[n.start:n.end])
                if scale and not _scale_of(s[prev.start:prev.end]) and low * scale < high:
                    low = _tidy(low * scale)  # "10 and 11 million", but not "800,000 and 1.5 million"
                if low < high:
                    out[-1] = Number(prev.start, n.end, [low, high], unit=n.unit, unit_end=n.unit_end,
                                     currency=n.currency)
                    continue
        out.append(n)
    return out


def _scale_of(text: str) -> float | None:
    m = re.search(r"(million|billion|thousand|mln|bn|[Mk])\s*$", text.strip(), re.IGNORECASE)
    return SCALES[m[1].lower()] if m else None


def _unit_after(n: Number, s: str) -> None:
    """The domain unit behind the number, within MAX_GAP_WORDS words and before any punctuation."""
    rest = s[n.end:]
    if n.currency:
        return
    pos, words = len(rest) - len(rest.lstrip()), 0
    while words <= MAX_GAP_WORDS:
        m = UNIT_RE.match(rest, pos)
        if m and (m.end() == len(rest) or not rest[m.end()].isalnum()):
            name = UNITS[int(m.lastgroup[1:])][1]
            if name == "people":
                name = "workers" if WORKING.search(s) else "people"
            n.unit, n.unit_end = name, n.end + m.end()
            return
        gap = re.match(r"\s*(?:\([A-Za-z]+\)|[A-Za-z][\w'’]*(?:-[\w'’]+)*|\d+-[a-z]+)\s*", rest[pos:]) if words < MAX_GAP_WORDS \
            else None
        if gap is None or not gap.group().strip() or re.match(r"\s*(?:and|or|but|which|that|to|from|in|at|on|by|for|"
                                                                r"with|than|as|is|was|were|are)\b", gap.group(),
                                                                re.IGNORECASE):
            return
        pos, words = pos + gap.end(), words + 1


def _unit_before(n: Number, s: str) -> str | None:
    """An elided unit: the nearest domain noun earlier in the sentence ("180,000 shells … and 1.8 million")."""
    names = [UNITS[int(m.lastgroup[1:])][1] for m in UNIT_RE.finditer(s, 0, n.start)
             if (m.start() == 0 or not s[m.start() - 1].isalnum()) and (m.end() == len(s) or not s[m.end()].isalnum())]
    names = [("workers" if WORKING.search(s) else None) if u == "people" else u for u in names]
    names = [u for u in names if u not in (None, "times", "percent")]
    return names[-1] if names else None


def _quantulum(sentence: str) -> list[tuple[tuple[int, int], str]]:
    """(span, entity name) of the quantities quantulum3's parser finds in a sentence that has digits."""
    if not re.search(r"\d", sentence):
        return []
    return [(q.span, q.unit.entity.name) for q in _parser().parse(sentence)]


@lru_cache(maxsize=1)
def _parser():
    """quantulum3's parser, imported once, with its optional classifier off even where scikit-learn is
    installed: quantulum3 then disambiguates units by its rules, the same on every machine, and loads
    no pickled model (whose scikit-learn version may not match). Without the classifier it warns on
    import that it is missing."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Classifier dependencies not installed", UserWarning)
        from quantulum3 import classifier, parser
    classifier.USE_CLF = False
    return parser


def _is_year(n: Number, s: str) -> bool:
    text = s[n.start:n.end]
    return isinstance(n.value, int) and 1800 <= n.value <= 2100 and re.fullmatch(r"\d{4}", text) is not None


def _qualifier(before: str) -> str | None:
    tail = before[-40:]
    for pattern, name in QUALIFIER_RE:
        if pattern.search(tail):
            return name
    return None


def _share_across_and(found: list[Number], s: str) -> None:
    """"10,000 medium-range and more than 1,000 long-range attack drones": the first shares the second's unit."""
    for a, b in zip(found[::-1][1:], found[::-1]):
        if a.unit is None and b.unit is not None and re.fullmatch(r"[\w\s-]*\b(?:and|or)\b[\w\s-]*", s[a.end:b.start]):
            a.unit, a.unit_end = b.unit, a.end


def _per(n: Number, found: list[Number], s: str) -> str | None:
    """The rate basis written after the number (up to the next number), or 'annual …' just before it."""
    following = [m.start for m in found if m.start > n.start]
    window = s[(n.unit_end or n.end):(following[0] if following else len(s))]
    m = PER_AFTER.search(window)
    if m:
        word = next(g for g in m.groups() if g)
        return PER_WORDS.get(word.lower(), word.lower())
    previous = [m.end for m in found if m.end <= n.start]
    b = PER_BEFORE.search(s[(previous[-1] if previous else 0):n.start])
    return PER_WORDS[b[1].lower()] if b else None

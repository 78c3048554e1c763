"""A claim's context: the sentence it is in, who asserts it, and when.

Sentences are cut at end punctuation and line breaks. The speaker comes, in this order, from the
attribution of a quotation the sentence is in (`"…," said Havryliuk`), from the sentence itself
("according to X", "X said", "said X", "X told", a headline's "X: …"), from a following "This
was stated by X", or from the sentence before in the paragraph; "he", "she" and "the official"
stand for the last speaker named, a surname for the full name given before, "the company" for
the organisation the text names most. The date is an explicit time
expression of the sentence ("in 2024", "last year", "On February 17", "at the beginning of the
full-scale war"), made ISO with dateparser relative to the document's own date; without that date
a relative expression or one without a year stays unresolved rather than take today's date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

ABBREVIATIONS = re.compile(r"\b(?:U\.S|U\.K|Mr|Mrs|Ms|Dr|St|Gen|Lt|Col|Maj|Sgt|Jr|Sr|No|vs|e\.g|i\.e|approx|est)\.$")
SENTENCE_END = re.compile(r"[.!?]+[\"”’)]*(?=\s+[\"“‘(]?[A-Z0-9])")
MARKUP = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|https?://\S+")

VERBS = (r"said|says|told|stated|added|noted|reported|announced|revealed|shared|estimated|explained|claimed|wrote|"
         r"emphasized|stressed|confirmed|assessed|clarified|elaborated")  # not "estimates", "reports": nouns too
PRONOUNS = {"he", "she", "him", "her", "they", "them", "the official", "the minister"}
ROLE_WORDS = re.compile(r"\b(?:official|officials|minister|ministry|representative|spokes\w+|analyst|source|sources|"
                        r"company|agency|intelligence|department|president|commander|chief|general|expert|experts)\b",
                        re.IGNORECASE)
PHRASE = r"(?:(?:the|a|an)\s+)?[\w'’ -]{0,80}?"
ACCORDING = re.compile(r"\baccording\s+to\s+(?P<who>[^,.;:()]+)", re.IGNORECASE)
PASSIVE = re.compile(r"\b(?:is|was|were|has\s+been)\s+(?:reported|stated|said|announced|claimed)\s+by\s+(?P<who>[^,.;:]+)")
VERB_RE = re.compile(rf"\b(?:{VERBS})\b")
HEADLINE = re.compile(r"^(?P<who>[A-Z][\w'’. -]{2,50}):\s+\S")
CLAUSE = re.compile(r"\s*(?:,(?!\d)|[;:()]|\s[-–—]\s)\s*")
MAX_SPEAKER_WORDS = 8
WHEN = re.compile(r"(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|earlier|"
                  r"later|recently)", re.IGNORECASE)
COMPANY = re.compile(r"(?:the\s+)?(?:company|firm|group|concern|manufacturer)", re.IGNORECASE)
THIS_WAS_STATED = re.compile(r"^(?:This|That|It)\s+(?:is|was|has\s+been)\s+(?:reported|stated|said|announced)\s+by\s+"
                             r"(?P<who>[^,.;:]+)")
QUOTE_ATTRIBUTION = re.compile(rf"^\s*[,.]?\s*(?:(?P<who1>{PHRASE})\s+(?:{VERBS}|was\s+quoted)|(?:{VERBS})\s+"
                               rf"(?P<who2>{PHRASE}))(?=[\s,.;:]|$)")

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
TIME_PATTERNS = [
    ("event", re.compile(r"\b(?:at\s+the\s+(?:beginning|start|outset)\s+of|before(?:\s+the\s+start\s+of)?|since\s+the\s+"
                         r"start\s+of)\s+(?:the|a)\s+(?:full-scale\s+)?(?:war|invasion)\b", re.IGNORECASE)),
    ("explicit", re.compile(rf"\b(?:(?P<day1>\d{{1,2}})\s+)?(?:(?P<month>{MONTHS})\.?\s+(?:(?P<day2>\d{{1,2}}),?\s+)?)?"
                            r"(?P<year>(?:19|20)\d{2})\b(?![-\d])")),
    ("relative", re.compile(r"\b(?:last|this|next|the\s+past|the\s+previous|the\s+coming)\s+(?:year|month)\b|"
                            r"\bthe\s+year\s+ahead\b", re.IGNORECASE)),
    ("monthday", re.compile(rf"\b(?:(?:{MONTHS})\.?\s+\d{{1,2}}|\d{{1,2}}\s+(?:{MONTHS}))\b(?!,?\s*\d{{4}})")),
    ("month", re.compile(rf"\b(?i:in|since|by|until|from)\s+(?P<m>{MONTHS})\b(?!\.?\s+\d)")),
]


@dataclass(frozen=True)
class Sentence:
    """A sentence's span in the text and its paragraph's index."""

    start: int
    end: int
    paragraph: int


def sentences(text: str) -> list[Sentence]:
    """Sentences of the text, cut at end punctuation before a capital and at every line break."""
    out = []
    pos = 0
    for index, line in enumerate(text.split("\n")):
        cut = 0
        for m in SENTENCE_END.finditer(line):
            if ABBREVIATIONS.search(line[cut:m.start() + 1]) or re.search(r"\b[A-Z]$", line[:m.start()]):
                continue
            _add(out, line, pos, cut, m.end(), index)
            cut = m.end()
        _add(out, line, pos, cut, len(line), index)
        pos += len(line) + 1
    return out


def _add(out: list[Sentence], line: str, pos: int, a: int, b: int, paragraph: int) -> None:
    piece = line[a:b]
    lead = len(piece) - len(re.sub(r"^\s*(?:[-•*]\s+)?", "", piece))  # a list item's bullet is not quoted
    piece = piece.strip()
    if piece:
        out.append(Sentence(pos + a + lead, pos + a + lead + len(piece), paragraph))


def masked(text: str) -> str:
    """The text with image and link markup and web addresses blanked (same length, so offsets hold)."""
    return MARKUP.sub(lambda m: " " * len(m.group()), text)


def speakers(text: str, spans: list[Sentence]) -> list[str | None]:
    """Who asserts each sentence (None when the text does not say)."""
    quoted = _quotation_speakers(text, spans)
    company = _most_named(text)
    found: list[str | None] = []
    last: str | None = None
    for i, s in enumerate(spans):
        sentence = text[s.start:s.end]
        who = quoted.get(s.start) or _in_sentence(sentence) or _stated_after(text, spans, i)
        if who is None and (quoted.get(s.start) == "" or (i and spans[i - 1].paragraph == s.paragraph)):
            who = found[-1] if found else None  # an unattributed quotation or a sentence goes on with the last
        if who is not None and who.lower() in PRONOUNS:
            who = last
        elif who is not None and COMPANY.fullmatch(who) and company:
            who = company  # "the company said": the organisation the article names most
        elif who is not None and " " not in who:  # "Shoigu" after "Defence Minister Sergei Shoigu"
            who = next((w for w in reversed(found) if w and re.match(rf"\S+ {re.escape(who)}\b", w)), who)
        if who is not None:
            last = who
        found.append(who)
    return found


def _most_named(text: str) -> str | None:
    """The capitalised word the text uses most (not starting a sentence), if it does so at least three times."""
    words = re.findall(r"(?<=[a-z,;] )[A-Z][a-z]+[A-Za-z]*\b", text)
    words = [w for w in words if not WHEN.fullmatch(w) and w not in ("The", "This", "He", "She", "It")]
    if not words:
        return None
    best = max(set(words), key=words.count)
    return best if words.count(best) >= 3 else None


def _quotation_speakers(text: str, spans: list[Sentence]) -> dict[int, str]:
    """Sentence start → the speaker of the quotation it is in ("" for a quotation without attribution)."""
    out: dict[int, str] = {}
    for a, b in _quotations(text):
        after = text[b:b + 160].split("\n", 1)[0]
        m = QUOTE_ATTRIBUTION.match(after)
        who = _clean(m["who1"] or m["who2"]) if m else None
        if who is None:
            head = text[max(0, a - 160):a].rsplit("\n", 1)[-1]
            m = re.search(rf"(?P<who>{PHRASE})\s*,?\s+(?:{VERBS})\s*(?:that\s*)?[,:]?\s*$", head)
            who = _clean(m["who"]) if m else None
        for s in spans:
            if a <= s.start < b or s.start <= a < s.end:
                out[s.start] = who or ""
    return out


def _quotations(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quotation: curly quotes by direction, straight quotes paired in order."""
    out, opened = [], None
    for m in re.finditer(r"[\"“”]", text):
        ch = m.group()
        if opened is None and ch in "\"“":
            opened = m.start()
        elif opened is not None and ch in "\"”":
            out.append((opened, m.end()))
            opened = None
    return out


def _in_sentence(sentence: str) -> str | None:
    """The speaker a sentence names: "according to X", "X said", "said X", "was stated by X", "X: …"."""
    for pattern in (ACCORDING, PASSIVE):
        m = pattern.search(sentence)
        if m and (who := _clean(re.split(r"\s+(?:who|which|that|and)\s", m["who"])[0])):
            return who
    for verb in VERB_RE.finditer(sentence):
        before = sentence[:verb.start()]
        if re.search(r"\b(?:is|was|were|been|be|being|it|that|to)\s+$", before, re.IGNORECASE):
            continue
        if re.search(r"[,\"”]\s*$", before) or not before.strip():
            after = re.split(r"[,.;:]|\s+(?:on|in|at|to|via|as|that|when|while|during)\b", sentence[verb.end():])[0]
            if who := _clean(after):
                return who
        if who := _subject_speaker(CLAUSE.split(before)):
            return who
    m = HEADLINE.match(sentence)
    return _clean(m["who"]) if m and (ROLE_WORDS.search(m["who"]) or _is_name(m["who"])) else None


def _subject_speaker(clauses: list[str]) -> str | None:
    """The speaker named just before a reporting verb: the last clause, with an apposition around it
    ("Serhiy Zgurets, an analyst at Defense Express, revealed" → "Serhiy Zgurets (analyst at Defense Express)")."""
    parts = [re.split(r"\s+(?:who|which|whose)\s", c)[0].strip() for c in clauses]
    while parts and (not parts[-1] or re.match(r"(?:who|which|whose)\b", clauses[len(parts) - 1].strip())):
        parts.pop()
    if not parts or len(parts[-1].split()) > MAX_SPEAKER_WORDS:
        return None
    last = parts[-1]
    prev = parts[-2] if len(parts) > 1 and len(parts[-2].split()) <= MAX_SPEAKER_WORDS else None
    if prev and _is_name(last) and ROLE_WORDS.search(prev) and not _is_name(prev):
        return f"{last} ({_drop_article(prev)})"
    if prev and _is_name(prev) and ROLE_WORDS.search(last) and re.match(r"(?i)(?:the|a|an)\s", last):
        return f"{prev} ({_drop_article(last)})"
    return _clean(last)


def _is_name(phrase: str) -> bool:
    """Two to four capitalised words and no role word: a person's name."""
    return re.fullmatch(r"[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}", phrase) is not None and not ROLE_WORDS.search(phrase)


def _stated_after(text: str, spans: list[Sentence], i: int) -> str | None:
    """"X. This was stated by Y": the sentences of the paragraph before Y's line are Y's."""
    for j in range(i + 1, min(i + 4, len(spans))):
        m = THIS_WAS_STATED.match(text[spans[j].start:spans[j].end])
        if m:
            return _clean(m["who"])
        if spans[j].paragraph > spans[i].paragraph + 1:
            break
    return None


def _clean(phrase: str | None) -> str | None:
    """A speaker phrase → 'Name (role)', a role phrase, a pronoun, or None if it names no one."""
    if phrase is None:
        return None
    who = re.sub(r"\s+", " ", phrase).strip(" ,.-–—\"“”'")
    who = re.sub(r"^(?:and|but|while|as|so|however|also)\s+", "", who, flags=re.IGNORECASE)
    who = re.sub(r"\s+(?:also|then|later|further|has|had|have)$", "", who, flags=re.IGNORECASE)
    if not who or len(who) > 90:
        return None
    if who.lower() in PRONOUNS:
        return who.lower()
    if re.match(r"(?i)(?:it|we|i|you|our|this|that|which|there|one)\b", who) or WHEN.fullmatch(who):
        return None
    if not (re.search(r"[A-Z]", who) or ROLE_WORDS.search(who)):
        return None
    apposition = re.match(r"(?P<role>.+?),\s*(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3})$", who)
    if apposition and not ROLE_WORDS.search(apposition["name"]):
        role = re.sub(r"^.*?,\s*", "", apposition["role"]) if "," in apposition["role"] else apposition["role"]
        return f"{apposition['name']} ({_drop_article(role)})"
    titled = re.match(r"(?P<role>.*\b(?:[Mm]inister|[Pp]resident|[Gg]eneral|[Cc]ommander|[Cc]hief|[Ss]pokes\w+|"
                      r"[Dd]irector|[Pp]rosecutor\s+[Gg]eneral|analyst))\s+(?P<name>[A-Z][\w'’.-]+"
                      r"(?:\s+[A-Z][\w'’.-]+){0,3})$", who)
    if titled:
        return f"{titled['name']} ({_drop_article(titled['role'])})"
    role_first = re.match(r"(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}),\s*(?P<role>.+)$", who)
    if role_first:
        return f"{role_first['name']} ({_drop_article(role_first['role'])})"
    if "," in who:
        who = who.rsplit(",", 1)[-1].strip()
    return _drop_article(who) if who else None


def _drop_article(phrase: str) -> str:
    return re.sub(r"^(?:the|a|an)\s+", "", phrase.strip(), flags=re.IGNORECASE)


# ── dates ────────────────────────────────────────────────────────────────────────────────────────

def time_expressions(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the time expressions of a sentence, in order, without overlaps."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in TIME_PATTERNS:
        for m in pattern.finditer(sentence):
            if kind == "explicit" and not m["year"]:
                continue
            if not any(a < m.end() and m.start() < b for a, b, _ in found):
                found.append((m.start(), m.end(), kind))
    # "since February" starts a span rather than dating a claim; "said on Thursday", "reported earlier this
    # month" date the statement, not what it states
    return sorted(t for t in found if not sentence[t[0]:t[1]].lower().startswith("since") and not re.search(
        rf"(?:\bsince|\b(?:{VERBS})(?:\s+(?:on|earlier|last))?)\s+$", sentence[:t[0]], re.IGNORECASE))


def resolve(expression: str, kind: str, document_date: dt.date | None) -> str | None:
    """A time expression → 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' as far as the text fixes it; an event phrase
    ("at the beginning of the full-scale war") as written; None when it cannot be fixed."""
    if kind == "event":
        return expression
    if kind == "explicit":
        m = TIME_PATTERNS[1][1].search(expression)
        if m["month"] is None:
            return m["year"]
        kind = "day" if (m["day1"] or m["day2"]) else "month"
    elif document_date is None:
        return None
    if kind == "relative" and re.search(r"year\s+ahead|coming\s+year", expression, re.IGNORECASE):
        return str(document_date.year + 1)
    if kind == "relative" and re.search(r"past|previous", expression, re.IGNORECASE):
        return None  # "in the past year" is a span up to the document's date, not a period it names
    data = _date_parser(document_date).get_date_data(re.sub(r"^(?:in|since|by|until|from)\s+", "", expression,
                                                            flags=re.IGNORECASE))
    if data.date_obj is None:
        return None
    return {"year": "%Y", "month": "%Y-%m"}.get(data.period, "%Y-%m-%d").replace("%Y", f"{data.date_obj.year:04d}") \
        .replace("%m", f"{data.date_obj.month:02d}").replace("%d", f"{data.date_obj.day:02d}")


@lru_cache(maxsize=64)
def _date_parser(document_date: dt.date | None):
    """dateparser with every default that could leak today's date made explicit: relative expressions count
    from the document's date, a missing day is the first of the month, an ambiguous month the past one."""
    from dateparser.date import DateDataParser

    settings = {"PREFER_DAY_OF_MONTH": "first", "PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": False}
    if document_date is not None:  # without one only expressions that name their year reach dateparser
        settings["RELATIVE_BASE"] = dt.datetime.combine(document_date, dt.time())
    return DateDataParser(languages=["en"], settings=settings)

"""Reading an article: a saved HTML page or a plain-text file → its text and what it says about itself.

HTML goes through trafilatura (locally: nothing is fetched) for the article text and its title, site,
date and address. A plain-text file may start with a front-matter block of `key: value` lines between
`---` lines (url, title, outlet, date), as the labelled texts in tests/data/ingest do. Anything that
is not an article — missing, a directory, empty, binary, not UTF-8, over MAX_BYTES — is an InputError
naming the file and what was expected.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from materiel.errors import InputError, Problem

MAX_BYTES = 10 * 1024 * 1024  # a long article is ~100 KB of text, a saved page a few MB
SUFFIXES = (".txt", ".text", ".html", ".htm")
FRONT_MATTER = re.compile(r"\A---\n(?P<head>(?:[A-Za-z_]+:.*\n)*?)---\n")
HTML_START = re.compile(r"\A\s*(?:<!doctype\s+html|<html|<head|<body|<!--)", re.IGNORECASE)


@dataclass(frozen=True)
class Document:
    """An article's text (claims' quotes are substrings of it) and its metadata, where known."""

    origin: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def date(self) -> dt.date | None:
        """The article's date; a month or a year stands for its last day, so that "in December" in an article
        dated 2023-12 is that December and "last year" in one dated 2024 is 2023."""
        return parse_date(self.meta.get("date"))


def read(path: str | Path) -> Document:
    """Read one article file (InputError if it is not one)."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputError(Problem(name, message="no such file; expected a saved HTML page or a text file"))
    if path.is_dir():
        raise InputError(Problem(name, message="is a directory; expected a saved HTML page or a text file"))
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(Problem(name, message=f"is {size / 2**20:.0f} MiB; expected an article of at most "
                                                   f"{MAX_BYTES // 2**20} MiB"))
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(name, message=f"cannot read: {exc.strerror or exc}")) from None
    return parse(data, name)


def parse(data: bytes, origin: str) -> Document:
    """Bytes of an article → Document (InputError for empty, binary or non-UTF-8 input)."""
    if b"\x00" in data:
        raise InputError(Problem(origin, message="is binary (it has NUL bytes); expected a saved HTML page or text"))
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(origin, message=f"is not UTF-8 text (byte {exc.start}); expected a UTF-8 "
                                                 "HTML page or text file")) from None
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not raw.strip():  # whitespace of any kind, U+0085 and U+2028 too
        raise InputError(Problem(origin, message="is empty; expected article text"))
    controls = sum(1 for ch in raw if ord(ch) < 32 and ch not in "\n\t\f")
    if controls > len(raw) / 100:
        raise InputError(Problem(origin, message="looks binary (control characters); expected text"))
    if HTML_START.match(raw) or re.search(r"<(?:p|div|article)\b[^>]*>", raw[:5000], re.IGNORECASE):
        return _html(raw, origin)
    head = FRONT_MATTER.match(raw)
    if head is None:
        return Document(origin, raw)
    meta = {}
    for line in head["head"].splitlines():
        key, _, value = line.partition(":")
        meta[key.strip().lower()] = value.strip().strip('"')
    if not raw[head.end():].strip():
        raise InputError(Problem(origin, message="has a header and no text; expected article text after it"))
    return Document(origin, raw[head.end():], meta)


def _html(raw: str, origin: str) -> Document:
    """The article text of a saved page and its metadata, by trafilatura (no network)."""
    import trafilatura

    result = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False, favor_recall=True)
    text = getattr(result, "text", None) if result is not None else None
    if not text or not text.strip():
        raise InputError(Problem(origin, message="has no article text trafilatura can find; expected a news or "
                                                 "analysis page"))
    meta = {key: str(value) for key in ("title", "url", "date", "sitename", "author")
            if (value := getattr(result, key, None))}
    if "sitename" in meta:
        meta["outlet"] = meta.pop("sitename")
    title = meta.get("title")
    return Document(origin, f"{title}\n{text}" if title and not text.startswith(title) else text, meta)


def parse_date(value: str | None) -> dt.date | None:
    """'2024-03-11', '2024-03' or '2024' (or a longer ISO timestamp) → a date, a month or year standing for
    its last day; anything else → None."""
    m = re.match(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?\b", (value or "").strip())
    if m is None:
        return None
    try:
        year, month = int(m[1]), int(m[2] or 12)
        if m[3]:
            return dt.date(year, month, int(m[3]))
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    except ValueError:
        return None


def files(paths: list[str]) -> list[Path]:
    """The files to read: each path given, a directory standing for its article files (sorted)."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            inside = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
            if not inside:
                raise InputError(Problem(str(p), message=f"has no article files ({', '.join(SUFFIXES)})"))
            out.extend(inside)
        else:
            out.append(p)
    return out

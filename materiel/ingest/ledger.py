"""A ready-to-paste `sources:` entry for an article, in the built-in scenarios' own format.

`id: {title, author, date, url, note}` as under `sources:` in materiel/scenario/builtin/*.yaml:
the title, outlet (as `author`, the publisher) and date the file gives (HTML metadata or a
front-matter header; the first line of the text stands in for a missing title), its address
where it has one, and the claims' quotes as the note. What the file does not say is marked
for the analyst to fill in rather than guessed.
"""

from __future__ import annotations

import re

import yaml

from materiel.ingest.claims import Claim
from materiel.ingest.text import Document

FILL_IN = "FILL IN"
MAX_TITLE = 160


def entry(doc: Document, claims: list[Claim]) -> dict:
    """{id: source} for one article and the claims taken from it."""
    title = doc.meta.get("title") or next((line.strip() for line in doc.text.splitlines() if line.strip()), FILL_IN)
    title = title if len(title) <= MAX_TITLE else title[:MAX_TITLE - 1] + "…"
    outlet = doc.meta.get("outlet") or doc.meta.get("author") or FILL_IN
    date = doc.date.isoformat()[:len(doc.meta["date"])] if doc.date else FILL_IN
    source = {"title": title, "author": outlet, "date": date}
    if doc.meta.get("url"):
        source["url"] = doc.meta["url"]
    quotes = list(dict.fromkeys(c.quote for c in claims))
    source["note"] = " / ".join(f"“{q}”" for q in quotes) if quotes else "no quantitative claim found"
    return {_id(outlet if outlet != FILL_IN else title, date): source}


def _id(name: str, date: str) -> str:
    """'Espreso', '2024-02' → 'espreso-2024-02' (ids are lowercase words and dashes, as in the built-ins)."""
    slug = "-".join(re.findall(r"[a-z0-9]+", name.lower())[:3]) or "source"
    return f"{slug}-{date}" if date != FILL_IN else slug


def dump(entries: list[dict]) -> str:
    """The `sources:` block for the entries, YAML that loads back as written."""
    merged: dict = {}
    for e in entries:
        for key, value in e.items():
            n, unique = 2, key
            while unique in merged:
                unique, n = f"{key}-{n}", n + 1
            merged[unique] = value
    return yaml.safe_dump({"sources": merged}, sort_keys=False, allow_unicode=True, width=100)

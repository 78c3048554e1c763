"""Quantitative claims from news text, checked against a scenario (`materiel ingest`).

`read(path)` gives a document's text and metadata (HTML through trafilatura, locally);
`extract(text, document_date)` its claims; `check(claims, scenario)` maps them to scenario quantities.
"""

from materiel.ingest.claims import Claim, extract

__all__ = ["Claim", "extract"]

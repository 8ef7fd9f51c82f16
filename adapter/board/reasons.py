"""Reasons a board member reads: the engine's detail sentence of a not-assessable obligation
(or of an incomplete referral) as one plain-English sentence, from the table in
`mappings/board-reasons.toml`.

A detail no entry matches is still shown, as its pattern (`quality.detail_pattern`) with FHIR
element names removed; if what is left still holds a placeholder, the line says only that the
data did not allow a judgement, rather than print a template.
"""

from __future__ import annotations

import re
from functools import cache

from adapter.mappings import shipped

OTHER = "Another gap in the data; each obligation's own detail says which."
# "(period.end)", "(reasonCode or reasonReference)", "dosageInstruction[2]", "boundsDuration"
_ELEMENT_NOTE = re.compile(r"\s*\((?=[^()]*(?:[a-z][A-Z]|\.[a-z]))[^()]*\)")
_ELEMENT = re.compile(r"\b[a-z]+(?:[A-Z][a-z]+)+(?:\[[^\]]*\])?(?:\.[a-z][A-Za-z]*)*\b")
_PLACEHOLDER = re.compile(r"\bN\b|…|\(medicine\)|\(date\)|'…'|\"…\"")


@cache
def _table() -> tuple[tuple[re.Pattern[str], str], ...]:
    entries = shipped("board-reasons").get("reason", [])
    return tuple((re.compile(e["match"], re.IGNORECASE), str(e["text"])) for e in entries)


def plain_reason(detail: str, pattern: str) -> str:
    """The sentence for `detail`; `pattern` is the detail with its varying parts replaced."""
    for match, text in _table():
        if match.search(detail):
            return text
    cleaned = _ELEMENT_NOTE.sub("", pattern)
    if _ELEMENT.search(cleaned) or _PLACEHOLDER.search(cleaned):
        return OTHER
    return cleaned


def plain_detail(detail: str) -> str:
    """An obligation's detail for the board: the same sentence without the FHIR element
    names it cites in brackets ("14 days (expectedSupplyDuration)" → "14 days")."""
    return _ELEMENT_NOTE.sub("", detail)

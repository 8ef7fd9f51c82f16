"""Data quality: what could not be judged and why.

Not-assessable obligations are grouped by owner, rule and the plain-English reason of their
`detail` sentence (`reasons.plain_reason`), so "Encounter/a1 finished on 2024-03-02 without
a discharge time" and the same sentence about Encounter/b7 fall into one group. The
*pattern* (the sentence with references, quoted text and numbers replaced by placeholders)
is the fallback for a sentence the reasons table does not know.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from adapter.board.privacy import mask_text
from adapter.board.reasons import plain_reason
from adapter.model import Obligation, Status

_REFERENCE = re.compile(r"\b([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}")
_URN = re.compile(r"urn:uuid:[0-9a-fA-F-]+")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
_SINGLE_QUOTED = re.compile(r"(?<![A-Za-z])'[^']*'(?![A-Za-z])|‘[^’]*’")
# Names that differ between subjects but not between reasons (medicine names).
_NAMES = re.compile(r"\b(supply of) .+? (is|cannot)\b", re.IGNORECASE)
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?")
_NUMBER = re.compile(r"(?<![A-Za-z])\d+([.,]\d+)*")
_SPACE = re.compile(r"\s+")


def detail_pattern(detail: str) -> str:
    """The sentence with the parts that differ between subjects replaced by placeholders."""
    text = _URN.sub("…", detail)
    text = _REFERENCE.sub(r"\1/…", text)
    text = _QUOTED.sub('"…"', text)
    text = _SINGLE_QUOTED.sub("'…'", text)
    text = _NAMES.sub(r"\1 (medicine) \2", text)
    text = _DATETIME.sub("(date)", text)
    text = _NUMBER.sub("N", text)
    return mask_text(_SPACE.sub(" ", text).strip()) or "(no detail given)"


@dataclass(frozen=True)
class QualityLine:
    """`count` of the `rule_total` obligations of `rule` for one owner could not be judged,
    for the reason `pattern`."""

    rule: str
    pattern: str
    count: int
    rule_total: int

    @property
    def share(self) -> float:
        return self.count / self.rule_total if self.rule_total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "pattern": self.pattern,
            "count": self.count,
            "of": self.rule_total,
            "share": round(self.share, 4),
        }


def quality_lines(
    obligations: Iterable[Obligation], status: Status = "not-assessable"
) -> list[QualityLine]:
    """Groups of obligations with `status` (by default the not-assessable ones) by rule and
    detail pattern, largest share first."""
    totals: Counter[str] = Counter()
    groups: Counter[tuple[str, str]] = Counter()
    for obligation in obligations:
        totals[obligation.rule] += 1
        if obligation.status == status:
            detail = obligation.detail
            groups[(obligation.rule, plain_reason(detail, detail_pattern(detail)))] += 1
    lines = [QualityLine(rule, pattern, n, totals[rule]) for (rule, pattern), n in groups.items()]
    return sorted(lines, key=lambda q: (-q.share, -q.count, q.rule, q.pattern))

"""The Domain 4 "Advice and guidance" panel (issue 14): per trust, how quickly and how often
Advice & Guidance requests were answered within the working days in force, and how rejected
or returned referrals were reasoned; beside them, the counts that are reported but not
judged (A&G converted to a referral and whether the practice was told; rejections by reason
and those returned with advice), which `Result.reported` carries (docs/contract.md §11,
/work/coord/aag-notes.md for the shape). Response times come from the obligations alone:
the request's sent time (`event_at`) and the trust's answer (`fulfilled_at`)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from adapter.instants import london_date
from adapter.model import Obligation
from adapter.rules.working_days import is_working_day
from adapter.tally import Tally

ADVICE_RULE = "advice-and-guidance-response"
REJECTION_RULE = "referral-rejection-reasoned"
UNKNOWN = "unknown"  # as adapter/rules/beside.py keys a trust with no ODS code


@dataclass(frozen=True)
class AdviceRow:
    """One trust's A&G requests of the period, and what is reported beside them."""

    trust: str
    tally: Tally
    median_working_days: float | None  # of the answered requests
    requests: int | None = None  # reported beside (None: not in this input)
    converted: int | None = None
    practice_told: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "trust": self.trust,
            **self.tally.to_json(),
            "median_working_days": self.median_working_days,
            "reported_beside": {
                "requests": self.requests,
                "converted_to_referral": self.converted,
                "converted_practice_told": self.practice_told,
            },
        }


@dataclass(frozen=True)
class RejectionRow:
    """One trust's rejected or returned referrals of the period, and their reasons."""

    trust: str
    tally: Tally
    rejections: int | None = None  # reported beside (None: not in this input)
    with_advice: int | None = None
    advice_and_refer: int | None = None
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def advice_share(self) -> float | None:
        if not self.rejections or self.with_advice is None:
            return None
        return self.with_advice / self.rejections

    def to_json(self) -> dict[str, Any]:
        return {
            "trust": self.trust,
            **self.tally.to_json(),
            "reported_beside": {
                "rejections": self.rejections,
                "with_advice": self.with_advice,
                "advice_and_refer": self.advice_and_refer,
                "advice_share": self.advice_share,
                "by_reason": self.by_reason,
            },
        }


@dataclass(frozen=True)
class AdvicePanel:
    advice: list[AdviceRow]
    rejections: list[RejectionRow]
    reported: bool  # whether the input carried the reported-beside counts

    def to_json(self) -> dict[str, Any]:
        return {
            "advice_and_guidance": [r.to_json() for r in self.advice],
            "rejections": [r.to_json() for r in self.rejections],
            "reported_beside_available": self.reported,
        }


def advice_panel(obligations: Iterable[Obligation], reported: Mapping[str, Any]) -> AdvicePanel:
    """The panel from this period's obligations and the run's reported-beside counts."""
    advice: dict[str, list[Obligation]] = {}
    refused: dict[str, list[Obligation]] = {}
    for o in obligations:
        if o.rule == ADVICE_RULE:
            advice.setdefault(o.owner or UNKNOWN, []).append(o)
        elif o.rule == REJECTION_RULE:
            refused.setdefault(o.owner or UNKNOWN, []).append(o)
    beside_advice = (reported.get("advice_and_guidance") or {}).get("by_trust", {})
    beside_refused = (reported.get("rejections") or {}).get("by_trust", {})
    advice_rows = []
    for trust in sorted(set(advice) | set(beside_advice)):
        found = advice.get(trust, [])
        counts = beside_advice.get(trust)
        requests, converted, told = _counts(
            counts, "requests", "converted_to_referral", "converted_practice_told"
        )
        tally = Tally.of(o.status for o in found)
        median = _median([working_days(o) for o in found])
        advice_rows.append(AdviceRow(trust, tally, median, requests, converted, told))
    rejection_rows = []
    for trust in sorted(set(refused) | set(beside_refused)):
        found = refused.get(trust, [])
        counts = beside_refused.get(trust)
        total, advised, refer = _counts(counts, "rejections", "with_advice", "advice_and_refer")
        reasons = dict((counts or {}).get("by_reason", {}))
        tally = Tally.of(o.status for o in found)
        rejection_rows.append(RejectionRow(trust, tally, total, advised, refer, reasons))
    return AdvicePanel(advice_rows, rejection_rows, bool(reported))


def working_days(obligation: Obligation) -> int | None:
    """Working days from the request's sent day to the answer's (the sent day not counted,
    as for the due time: an answer the same day is 0), or None when unanswered or undated."""
    if obligation.fulfilled_at is None or obligation.event_at is None:
        return None
    day = london_date(obligation.event_at)
    last = london_date(obligation.fulfilled_at)
    count = 0
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def _median(values: Iterable[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(statistics.median(known)) if known else None


def _counts(
    counts: Mapping[str, Any] | None, a: str, b: str, c: str
) -> tuple[int | None, int | None, int | None]:
    if counts is None:
        return None, None, None
    return int(counts.get(a, 0)), int(counts.get(b, 0)), int(counts.get(c, 0))

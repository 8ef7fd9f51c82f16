"""The worst examples of each rule: breached obligations with their evidence and the
measured shortfall, patients masked.

For rules with a deadline the shortfall is how late: `fulfilled_at` (or, when nothing was
sent, the as-of time) minus `due`. For discharge-medication-7d it is the days of medicine
missing, read from the detail sentence ("supply ... is 3.5 days ...; at least 7 days
required"). Other rules have no measured shortfall; their examples are the latest breaches,
and the `detail` sentence says what was wrong.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from adapter.board.periods import Dating
from adapter.board.privacy import mask_patient, mask_text
from adapter.board.reasons import plain_detail
from adapter.model import Obligation, format_instant

WORST_PER_RULE = 10
_SUPPLY = re.compile(
    r"supply of .* is (?P<supplied>\d+(?:\.\d+)?) days\b.*?"
    r"(?:course is|at least) (?P<required>\d+(?:\.\d+)?) days",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Example:
    rule: str
    owner: str | None
    owed_to: str | None
    patient: str
    day: date | None
    due: datetime | None
    fulfilled_at: datetime | None
    hours_late: float | None
    days_short: float | None
    shortfall: str
    subject: str
    evidence: tuple[str, ...]
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "owner": self.owner,
            "owed_to": self.owed_to,
            "patient": self.patient,
            "date": None if self.day is None else self.day.isoformat(),
            "due": format_instant(self.due),
            "fulfilled_at": format_instant(self.fulfilled_at),
            "hours_late": self.hours_late,
            "days_short": self.days_short,
            "shortfall": self.shortfall,
            "subject": self.subject,
            "evidence": list(self.evidence),
            "detail": self.detail,
        }


def hours_late(obligation: Obligation, as_of: datetime) -> float | None:
    """Hours from `due` to fulfilment (or to `as_of` when not fulfilled); None without `due`."""
    if obligation.due is None:
        return None
    end = obligation.fulfilled_at or as_of
    return round((end - obligation.due).total_seconds() / 3600, 1)


def describe_lateness(hours: float | None, fulfilled: bool) -> str:
    """`31.5 h late`, `4.2 days late`, `not done; due 9.0 days ago`; `–` without a due time."""
    if hours is None:
        return "–"
    amount = f"{hours:.1f} h" if abs(hours) < 48 else f"{hours / 24:.1f} days"
    return f"{amount} late" if fulfilled else f"not done; due {amount} ago"


def days_short(obligation: Obligation) -> tuple[float, str] | None:
    """Days of medicine missing and how to say it, when the detail states supply and need."""
    match = _SUPPLY.search(obligation.detail)
    if match is None:
        return None
    supplied, required = float(match["supplied"]), float(match["required"])
    short = round(required - supplied, 1)
    return short, f"{short:g} days short ({supplied:g} of {required:g} days supplied)"


def to_example(obligation: Obligation, as_of: datetime, dating: Dating) -> Example:
    late = hours_late(obligation, as_of)
    short = days_short(obligation) if late is None else None
    shortfall = describe_lateness(late, obligation.fulfilled_at is not None)
    return Example(
        rule=obligation.rule,
        owner=obligation.owner,
        owed_to=obligation.owed_to,
        patient=mask_patient(obligation.patient),
        day=dating(obligation),
        due=obligation.due,
        fulfilled_at=obligation.fulfilled_at,
        hours_late=late,
        days_short=None if short is None else short[0],
        shortfall=shortfall if short is None else short[1],
        subject=mask_text(obligation.subject),
        evidence=tuple(mask_text(e) for e in obligation.evidence),
        detail=mask_text(plain_detail(obligation.detail)),
    )


def worst_examples(
    obligations: Iterable[Obligation],
    as_of: datetime,
    dating: Dating | None = None,
    limit: int = WORST_PER_RULE,
) -> dict[str, list[Example]]:
    """Up to `limit` breached obligations per rule: the largest shortfall first, then the
    most recent, then by subject."""
    dating = dating or Dating()
    by_rule: dict[str, list[Obligation]] = {}
    for obligation in obligations:
        if obligation.status == "breached":
            by_rule.setdefault(obligation.rule, []).append(obligation)
    out = {}
    for rule, found in sorted(by_rule.items()):
        worst = heapq.nsmallest(limit, found, key=lambda o: _badness(o, as_of, dating))
        out[rule] = [to_example(o, as_of, dating) for o in worst]
    return out


def _badness(obligation: Obligation, as_of: datetime, dating: Dating) -> tuple[float, int, str]:
    late = hours_late(obligation, as_of)
    if late is None:
        short = days_short(obligation)
        late = None if short is None else short[0]
    day = dating(obligation)
    recent = -day.toordinal() if day is not None else 0
    return (float("inf") if late is None else -late, recent, obligation.subject)

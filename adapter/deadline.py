"""Status at an instant: the one definition (rules.md §3, docs/contract.md §8).

Fulfilled at or before `due` is met, after it breached; not fulfilled is pending while
as_of ≤ due and breached once as_of > due. Every reader of a status goes through here: the
rules while they judge, the engine, the store's read-time status (its SQL form is tested
against `status_at` on one table of cases), `/summary`, the board and the FHIR outputs.

An obligation that nothing has fulfilled or otherwise decided carries a `Clock`: the two
sentences its rule words for it (while pending, once overdue). `at_instant` re-judges such
an obligation at any instant, so a stored one reads exactly as `referee check --as-of`
would have judged it, earlier or later than when it was stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from adapter.model import Obligation, Status

Span = Literal["elapsed", "days", "none"]


def status_at(due: datetime, fulfilled_at: datetime | None, as_of: datetime) -> Status:
    """rules.md §3: the one boundary, everywhere."""
    if fulfilled_at is not None:
        return "met" if fulfilled_at <= due else "breached"
    return "pending" if as_of <= due else "breached"


def one_place(value: float) -> str:
    """31.5, 24: one decimal place, half up, none when whole. Half up on a value already
    rounded to the microsecond, so 3.55 days reads 3.6 however it was computed."""
    tenths = Decimal(repr(round(value, 6))).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{tenths.normalize():f}"


def hours(value: float) -> str:
    return one_place(value)


def days(value: float) -> str:
    return one_place(value)


def elapsed(hours_: float) -> str:
    """An elapsed time a reader takes in: hours up to three days, then days."""
    return f"{hours(hours_)} h" if hours_ < 72 else f"{days(hours_ / 24)} days"


def in_days(hours_: float) -> str:
    """Hours as days: '1 day', '3.5 days'."""
    text = days(hours_ / 24)
    return f"{text} day" if text == "1" else f"{text} days"


SPANS: dict[Span, Callable[[float], str]] = {
    "elapsed": elapsed,
    "days": in_days,
    "none": lambda _hours: "",
}
WAITED = "{waited}"  # where `Clock.overdue` puts the time waited since the event


@dataclass(frozen=True, slots=True)
class Clock:
    """The wording of an obligation only the clock decides: `pending` while as_of ≤ due;
    `overdue` after, with `{waited}` (the time since `Obligation.event_at`, written as
    `span` says) filled in."""

    pending: str
    overdue: str
    span: Span = "none"

    def detail(self, status: Status, since: datetime | None, as_of: datetime) -> str:
        if status == "pending":
            return self.pending
        waited = 0.0 if since is None else (as_of - since).total_seconds() / 3600
        return self.overdue.replace(WAITED, SPANS[self.span](waited))


def judge_open(
    due: datetime, clock: Clock, since: datetime | None, as_of: datetime
) -> tuple[Status, str]:
    """The status and detail at `as_of` of an obligation nothing has fulfilled."""
    status = status_at(due, None, as_of)
    return status, clock.detail(status, since, as_of)


def at_instant(obligation: Obligation, as_of: datetime) -> Obligation:
    """The obligation as it stands at `as_of`: unchanged unless only the clock decides it."""
    if obligation.clock is None or obligation.due is None:
        return obligation
    status, detail = judge_open(obligation.due, obligation.clock, obligation.event_at, as_of)
    return replace(obligation, status=status, detail=detail)

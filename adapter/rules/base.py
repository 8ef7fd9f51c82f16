"""What every rule shares: its self-documentation, the context it reads, and how an
obligation is made. The one time boundary of rules.md §3 is `adapter.deadline.status_at`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, TypeVar

from adapter.deadline import Clock, days, elapsed, hours, in_days, one_place, status_at
from adapter.link import World
from adapter.model import Domain4, Obligation, Status
from adapter.params import Params

P = TypeVar("P", bound=Params)

FINAL = frozenset({"final", "amended"})
WITHDRAWN = frozenset({"entered-in-error"})
AGREED = frozenset({"accepted", "in-progress", "completed"})


@dataclass(frozen=True, slots=True)
class Parties:
    """Who an obligation is about, who owes it and to whom (rules.md §4)."""

    patient: str | None = None
    owner: str | None = None
    owed_to: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context(Generic[P]):
    world: World
    params: P
    as_of: datetime


@dataclass(frozen=True)
class Rule:
    """A rule documents itself: `referee rules ID` prints these fields."""

    id: str
    title: str
    side: Literal["trust", "practice"]
    domain4: Domain4
    clause: str
    why: str
    met_example: str
    breached_example: str
    evaluate: Callable[[Context[Params]], Iterable[Obligation]]

    def obligation(
        self,
        status: Status,
        subject: str,
        detail: str,
        parties: Parties,
        *,
        due: datetime | None = None,
        fulfilled_at: datetime | None = None,
        evidence: Iterable[str] | None = None,
        clock: Clock | None = None,
        event_at: datetime | None = None,
    ) -> Obligation:
        evidence = parties.evidence if evidence is None else evidence
        return Obligation(
            rule=self.id,
            status=status,
            subject=subject,
            patient=parties.patient,
            owner=parties.owner,
            owed_to=parties.owed_to,
            due=due,
            fulfilled_at=fulfilled_at,
            # Evidence is what fulfilled or breached it: nothing has while pending or unjudged.
            evidence=()
            if status in ("pending", "not-assessable")
            else tuple(sorted(set(evidence))),
            detail=detail,
            domain4=self.domain4,
            clause=self.clause,
            event_at=event_at,
            clock=clock,
        )


_ORDER: dict[Status, int] = {"breached": 0, "pending": 1, "met": 2, "not-assessable": 3}


def combine(statuses: Iterable[Status]) -> Status:
    """rules.md §6: breached wins, then pending, then met; not-assessable only when nothing
    else decides."""
    return min(statuses, key=_ORDER.__getitem__, default="not-assessable")


def when(value: datetime) -> str:
    """A UTC instant for a detail sentence."""
    return value.strftime("%Y-%m-%d %H:%M UTC")


__all__ = [
    "AGREED",
    "FINAL",
    "WITHDRAWN",
    "Clock",
    "Context",
    "Parties",
    "Rule",
    "combine",
    "days",
    "elapsed",
    "hours",
    "in_days",
    "one_place",
    "status_at",
    "when",
]

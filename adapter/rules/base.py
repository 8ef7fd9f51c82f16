"""What every rule shares: the one object that carries everything about a rule (its
documentation, parameter model and national defaults, the tables it reads, its board
wording and published definition), the context it reads, and how an obligation is made.
The one time boundary of rules.md §3 is `adapter.deadline.status_at`.

Wording templates (`definition`, `Board.title`, `Board.definition`) name parameters as
`{max_hours}`; they are filled from `Params.wording()` under the policy in force, so a
local policy's values show wherever the rule is described."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, Literal, TypeVar

from adapter.deadline import Clock, days, elapsed, hours, in_days, one_place, status_at
from adapter.editions import Term, editions
from adapter.link import World
from adapter.mappings import shipped
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
    """What a rule reads: the linked world, its parameters in force now (the latest contract
    edition's, or the forced one's, under the local policy) and the instant judged at. A rule
    with dated parameters reads them at its event with `terms_at`."""

    world: World
    params: P
    as_of: datetime
    rule: str = ""

    def terms_at(self, instant: datetime | None) -> tuple[Term, Params]:
        """The contract edition's term in force at `instant` and the parameters in it."""
        term = self.world.policy.term_at(instant)
        return term, self.world.policy.params_in(self.rule, term)


@dataclass(frozen=True)
class Board:
    """How the board pack names and defines a rule, and whether it has a deadline."""

    title: str
    definition: str
    deadline: bool


@dataclass(frozen=True)
class Rule:
    """A rule is one object: `referee rules`, the board catalogue, the policy's parameter
    models and the FHIR CodeSystem and Measures are all derived from these fields."""

    id: str
    title: str
    side: Literal["trust", "practice"]
    domain4: Domain4
    clause: str
    why: str
    met_example: str
    breached_example: str
    definition: str  # the published definition (CodeSystem concept, Measure description)
    board: Board
    params: type[Params]
    evaluate: Callable[[Context[Params]], Iterable[Obligation]]
    codes: tuple[str, ...] = ()  # code tables of mappings/codes.toml the rule reads
    phrases: tuple[str, ...] = ()  # phrase lists of mappings/phrases.toml its findings use

    @property
    def defaults(self) -> Params:
        """The national parameters in force now: mappings/rules.toml (their one home) under
        the latest contract edition's dated values (mappings/editions.toml)."""
        dated = editions().latest.values.get(self.id, {})
        return self.params.model_validate({**shipped("rules")["rules"].get(self.id, {}), **dated})

    def defined(self, params: Params | None = None) -> str:
        """The published definition under `params` (national defaults when None)."""
        return self.definition.format(**(params or self.defaults).wording())

    def board_wording(self, params: Params | None = None) -> tuple[str, str]:
        """The board's title and definition under `params` (national defaults when None)."""
        values = (params or self.defaults).wording()
        return self.board.title.format(**values), self.board.definition.format(**values)

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


def attribute(obligation: Obligation) -> Obligation | None:
    """The one place every obligation passes (docs/contract.md §4): one whose owner cannot
    be identified is never breached, pending or met against nobody: it is not-assessable and
    says the owner is unknown. One whose owner is the party it is owed to is no obligation
    (a practice does not owe itself a letter)."""
    if obligation.owner is None:
        return replace(
            obligation,
            status="not-assessable",
            due=None,
            fulfilled_at=None,
            evidence=(),
            clock=None,
            # Only the clock decided it: say what the data shows without the instant, so the
            # sentence is the same whenever it is read (docs/contract.md §8).
            detail=f"{UNKNOWN_OWNER} What the data shows: {_timeless(obligation)}",
        )
    if obligation.owner == obligation.owed_to:
        return None
    return obligation


def _timeless(obligation: Obligation) -> str:
    return obligation.clock.pending if obligation.clock is not None else obligation.detail


UNKNOWN_OWNER = (
    "The organisation that owes this cannot be identified (no ODS code for the provider, "
    "custodian or requester), so no one can be held to it."
)


_ORDER: dict[Status, int] = {"breached": 0, "pending": 1, "met": 2, "not-assessable": 3}


def combine(statuses: Iterable[Status]) -> Status:
    """rules.md §6: breached wins, then pending, then met; not-assessable only when nothing
    else decides."""
    return min(statuses, key=_ORDER.__getitem__, default="not-assessable")


def clip(sentence: str, limit: int = 120) -> str:
    """A quoted sentence for a detail, cut to `limit` characters with an ellipsis."""
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


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

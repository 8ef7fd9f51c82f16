"""shared-care-gp-agreement (rules.md §5.4): no transfer of prescribing without the GP's
prior agreement.

Read as the spec: the subjects are the shared-care MedicationRequests (`is_shared_care`);
each gets one `Verdict` from the practice's answers (refused, agreed in time, agreed late,
awaited, or never given; or no transfer time to judge by), and the verdict makes the one
obligation, due at the transfer time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from adapter.facts import MedicationOrder, TaskFact
from adapter.link import World
from adapter.model import Obligation, Status
from adapter.params import NoParams, Params
from adapter.rules.base import (
    AGREED,
    Board,
    Clock,
    Context,
    Parties,
    Rule,
    hours,
    status_at,
    when,
)


def is_shared_care(order: MedicationOrder, world: World) -> bool:
    """Coded `shared-care`, or "shared care" in a category of the order or of the CarePlan
    it is based on (rules.md §5.4)."""
    codes = world.policy.codes
    if any(c.has_code_value(codes["shared-care-category-codes"]) for c in order.categories):
        return True
    plans = [plan for ref in order.based_on if (plan := world.care_plan(ref)) is not None]
    categories = [*order.categories, *(c for plan in plans for c in plan.categories)]
    return any(w in c.words() for c in categories for w in codes["shared-care-words"])


def practice_for(order: MedicationOrder, world: World) -> str | None:
    """The performer (or dispense performer) when it is a practice; else the patient's."""
    for performer in order.performers:
        ods = world.practice_side_ods(performer)
        if ods is not None:
            return ods
    return world.practice_of_patient(order.patient)


def answers(order: MedicationOrder, practice: str | None, world: World) -> list[TaskFact]:
    """Tasks owned by the practice whose focus is the order or its shared-care CarePlan."""
    keys = [order.head.key] + [k for ref in order.based_on if (k := world.key_of(ref))]
    tasks = [t for key in keys for t in world.tasks_by_focus.get(key, [])]
    return [t for t in tasks if world.belongs_to(t.owner, practice)]


Kind = Literal["no-transfer-time", "refused", "agreed", "agreed-late", "awaited", "not-agreed"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the practice's answers say of one shared-care request."""

    kind: Kind
    status: Status
    agreed: datetime | None = None  # the earliest agreement
    evidence: tuple[str, ...] = ()


def verdict(tasks: list[TaskFact], transfer: datetime | None, as_of: datetime) -> Verdict:
    """A refusal is a breach whatever else; otherwise the earliest agreement decides by the
    transfer time (rules.md §3), and without one the request waits until the transfer."""
    if transfer is None:
        return Verdict("no-transfer-time", "not-assessable")
    refusals = [t for t in tasks if t.status == "rejected"]
    agreements = sorted((t for t in tasks if t.status in AGREED and t.when), key=_agreed_at)
    first = agreements[0].when if agreements else None
    evidence = tuple(t.head.key for t in refusals + agreements)
    if refusals:
        return Verdict("refused", "breached", first, evidence)
    status = status_at(transfer, first, as_of)
    if first is not None:
        return Verdict("agreed" if status == "met" else "agreed-late", status, first, evidence)
    return Verdict("awaited" if status == "pending" else "not-agreed", status)


def _agreed_at(task: TaskFact) -> datetime:
    return task.when or datetime.max


def _detail(found: Verdict, transfer: datetime | None) -> str:
    if found.kind == "no-transfer-time" or transfer is None:
        return "The shared-care request has no transfer time (validityPeriod.start or authoredOn)."
    if found.kind == "refused":
        return "The practice refused the shared-care request, yet prescribing was transferred."
    if found.kind == "agreed":
        return "The practice agreed to shared care before prescribing was transferred."
    if found.kind == "agreed-late" and found.agreed is not None:
        late = hours((found.agreed - transfer).total_seconds() / 3600)
        return f"Prescribing was transferred {late} h before the practice agreed to shared care."
    if found.kind == "awaited":
        return _clock(transfer).pending
    return _clock(transfer).overdue


def _clock(transfer: datetime) -> Clock:
    """The wording of a request no practice has answered: only the clock decides it."""
    return Clock(
        pending=f"No practice agreement yet; prescribing transfers at {when(transfer)}.",
        overdue="Prescribing was transferred under shared care without the practice's agreement.",
    )


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for order in world.of_type(MedicationOrder):
        if not is_shared_care(order, world):
            continue
        practice = practice_for(order, world)
        transfer = order.transfer_at
        found = verdict(answers(order, practice, world), transfer, ctx.as_of)
        parties = Parties(
            patient=world.patient_label(order.patient),
            owner=world.trust_of_order(order),
            owed_to=practice,
            evidence=found.evidence,
        )
        yield RULE.obligation(
            found.status,
            order.head.key,
            _detail(found, transfer),
            parties,
            due=transfer,
            fulfilled_at=found.agreed,
            clock=_clock(transfer) if transfer and found.kind in _UNANSWERED else None,
        )


_UNANSWERED = ("awaited", "not-agreed")


RULE = Rule(
    id="shared-care-gp-agreement",
    title="No shared care without the GP's prior agreement",
    side="trust",
    domain4="complete-care",
    clause="SC11.3–11.4",
    why="The NHS Standard Contract forbids transferring prescribing to a practice under shared "
    "care without the individual GP's prior agreement; a hospital letter is not agreement.",
    met_example="Shared-care MedicationRequest transferring on 10 May; the practice's Task "
    "(status accepted) started 8 May: met.",
    breached_example="Transfer on 10 May with no practice Task by then (breached), or a Task "
    "with status rejected (a refusal: breached).",
    definition="Prescribing moves to a practice under shared care only after that practice's prior "
    "agreement (an accepted Task); a hospital letter is not agreement, and a refusal is a "
    "breach.",
    board=Board(
        "GP agrees before shared-care prescribing moves",
        "Prescribing passes to a practice under shared care only after that practice has agreed; a"
        " letter is not agreement.",
        deadline=True,
    ),
    params=NoParams,
    evaluate=evaluate,
    codes=("shared-care-category-codes", "shared-care-words"),
)

"""shared-care-gp-agreement: no transfer of prescribing without the GP's prior agreement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from adapter.deadline import judge_open
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
    combine,
    hours,
    status_at,
    when,
)


def is_shared_care(order: MedicationOrder, world: World) -> bool:
    codes = world.policy.codes
    words = codes["shared-care-words"]
    for concept in order.categories:
        if concept.has_code_value(codes["shared-care-category-codes"]):
            return True
        if any(w in concept.words() for w in words):
            return True
    return any(
        (plan := world.care_plan(ref)) is not None and plan.shared_care for ref in order.based_on
    )


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


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for order in world.of_type(MedicationOrder):
        if not is_shared_care(order, world):
            continue
        practice = practice_for(order, world)
        parties = Parties(
            patient=world.patient_label(order.patient),
            owner=world.trust_of_order(order),
            owed_to=practice,
        )
        transfer = order.transfer_at
        if transfer is None:
            yield RULE.obligation(
                "not-assessable",
                order.head.key,
                "The shared-care request has "
                "no transfer time (validityPeriod.start or authoredOn).",
                parties,
            )
            continue
        tasks = answers(order, practice, world)
        refusals = [t for t in tasks if t.status == "rejected"]
        agreements = sorted(
            (t for t in tasks if t.status in AGREED and t.when), key=lambda t: t.when or transfer
        )
        if not refusals and not agreements:
            clock = Clock(
                pending=f"No practice agreement yet; prescribing transfers at {when(transfer)}.",
                overdue=_UNAGREED,
            )
            status, detail = judge_open(transfer, clock, transfer, ctx.as_of)
            yield RULE.obligation(
                status, order.head.key, detail, parties, due=transfer, clock=clock
            )
            continue
        statuses: list[Status] = ["breached" for _ in refusals]
        statuses += [status_at(transfer, t.when, ctx.as_of) for t in agreements]
        status = combine(statuses)
        evidence = [t.head.key for t in refusals + agreements]
        first = agreements[0].when if agreements else None
        yield RULE.obligation(
            status,
            order.head.key,
            _detail(status, refusals, first, transfer),
            parties,
            due=transfer,
            fulfilled_at=first,
            evidence=evidence,
        )


_UNAGREED = "Prescribing was transferred under shared care without the practice's agreement."


def _detail(
    status: Status, refusals: list[TaskFact], agreed: datetime | None, transfer: datetime
) -> str:
    if refusals:
        return "The practice refused the shared-care request, yet prescribing was transferred."
    if agreed is not None and status == "met":
        return "The practice agreed to shared care before prescribing was transferred."
    if agreed is not None:
        late = hours((agreed - transfer).total_seconds() / 3600)
        return f"Prescribing was transferred {late} h before the practice agreed to shared care."
    return _UNAGREED


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

"""discharge-medication-7d: at least 7 days of medicine on discharge, unless the course is
shorter."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from adapter.facts import Letter, MedicationOrder, MedicationUse, MedicineFact, Ref, Supply
from adapter.link import World
from adapter.model import Obligation, Status
from adapter.params import DischargeMedication, Params
from adapter.rules.base import Board, Context, Parties, Rule, days
from adapter.rules.discharge_medicines import DischargeMedicines

ACTIVE = frozenset({"active", "completed"})
ORDERS = frozenset({"order", "original-order", "instance-order"})
LISTED_ACTIVE = frozenset({"active"})
# R4 MedicationStatement statuses that say the patient goes home taking it; `completed` ("no
# longer being taken"), `stopped`, `on-hold`, `not-taken`, `entered-in-error` and `unknown`
# are not supplies to judge.
TAKING = frozenset({"active", "intended"})
_EPSILON = 1e-9  # supply arithmetic in floats: 7 × (1/7) must still be 1


@dataclass(frozen=True, slots=True)
class Subject:
    """One discharge medicine to judge: its supply, course and who owes it."""

    key: str
    medicine: str
    supply: Supply
    course_days: float | None
    parties: Parties


def is_discharge_order(order: MedicationOrder, found: DischargeMedicines) -> bool:
    """rules.md §5.3 for a discharge-category order; an order that is a discharge medicine
    only by being listed must be `active` (a `completed` one listed in a discharge letter
    is a course given during the stay)."""
    statuses = ACTIVE if found.coded(order) else LISTED_ACTIVE
    return order.status in statuses and order.intent in ORDERS and found.is_discharge(order)


def subjects(world: World) -> Iterator[Subject]:
    """Discharge MedicationRequests, then discharge MedicationStatements that are not
    based on one of those (the request is then the subject, judged once)."""
    found = DischargeMedicines(world)
    orders = {o.head.key for o in world.of_type(MedicationOrder) if is_discharge_order(o, found)}
    for order in world.of_type(MedicationOrder):
        if order.head.key in orders:
            letter = found.letter_of(order)
            owner = world.trust_of_order(order) or (
                world.trust_of_letter(letter) if letter else None
            )
            yield _subject(world, order, order.supply, order.course_days, owner, order.head.key)
    for use in world.of_type(MedicationUse):
        if use.status not in TAKING or not found.is_discharge(use):
            continue
        basis = [world.resolve(ref) for ref in use.based_on]
        requests = [b for b in basis if isinstance(b, MedicationOrder)]
        if any(r.head.key in orders for r in requests):
            continue
        yield _use_subject(world, use, requests[0] if requests else None, found.letter_of(use))


def _use_subject(
    world: World, use: MedicationUse, order: MedicationOrder | None, letter: Letter | None
) -> Subject:
    owner = (
        world.trust_of_encounter(world.encounter(use.context))
        or (world.trust_of_letter(letter) if letter else None)
        or (world.trust_of_order(order) if order else None)
        or world.ods(use.source)
    )
    if order is None:
        return _subject(world, use, use.supply, use.course_days, owner)
    course = use.course_days if use.course_days is not None else order.course_days
    return _subject(world, use, order.supply, course, owner, order.head.key)


def _subject(
    world: World,
    fact: MedicationOrder | MedicationUse,
    supply: Supply,
    course: float | None,
    owner: str | None,
    *evidence: str,
) -> Subject:
    parties = Parties(
        patient=world.patient_label(fact.patient),
        owner=owner,
        owed_to=world.practice_of_patient(fact.patient),
        evidence=(fact.head.key, *evidence),
    )
    named = world.resolve(fact.medication)
    name = fact.medicine or (named.name if isinstance(named, MedicineFact) else None)
    return Subject(fact.head.key, name or "medicine", supply, course, parties)


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    minimum = cast(DischargeMedication, ctx.params).min_days
    for subject in subjects(ctx.world):
        if (
            subject.parties.owner is not None
            and ctx.world.role(_ods_ref(subject.parties.owner)) == "practice"
        ):
            continue  # a practice's own prescription is no trust's discharge supply
        status, detail = judge(subject, minimum)
        yield RULE.obligation(status, subject.key, detail, subject.parties)


def judge(subject: Subject, minimum: float) -> tuple[Status, str]:
    """met, breached or not-assessable, with the sentence that says why."""
    name, supply = subject.medicine, subject.supply
    required = minimum
    if subject.course_days is not None and subject.course_days < minimum:
        required = subject.course_days
    why = (
        f"the course is {days(required)} days"
        if required < minimum
        else f"at least {days(minimum)} days required"
    )
    if supply.days is None:
        return "not-assessable", f"Discharge supply of {name} cannot be worked out: {supply.how}."
    if supply.whole:
        course = f"{days(supply.days)}-day course"
        return "met", f"Discharge supply of {name} covers the whole {course} ({supply.how})."
    most = supply.most if supply.most is not None else supply.days
    if supply.days + _EPSILON >= required:
        return "met", f"Discharge supply of {name} is {_span(supply)} days ({supply.how}); {why}."
    if most + _EPSILON < required:
        return "breached", (
            f"Discharge supply of {name} is {_span(supply)} days ({supply.how}); {why}."
        )
    return "not-assessable", (
        f"Discharge supply of {name} is {_span(supply)} days ({supply.how}), depending on "
        f"how much of the dosage range is taken; {why}, so it cannot be called either way."
    )


def _span(supply: Supply) -> str:
    low = supply.days or 0.0
    if supply.most is None:
        return days(low)
    if math.isinf(supply.most):
        return f"at least {days(low)}"
    return f"between {days(low)} and {days(supply.most)}"


def _ods_ref(ods: str) -> Ref:
    return Ref(system="https://fhir.nhs.uk/Id/ods-organization-code", value=ods)


RULE = Rule(
    id="discharge-medication-7d",
    title="At least 7 days of medicines supplied on discharge",
    side="trust",
    domain4="complete-care",
    clause="SC11.9",
    why="The NHS Standard Contract requires the trust to supply medicines on discharge for at "
    "least 7 days (unless the course is shorter), so patients are not sent to the GP for "
    "an urgent prescription. Many local policies say 14 or 28 days.",
    met_example="Discharge MedicationRequest with expectedSupplyDuration 14 d: met. A 5-day "
    "antibiotic course (boundsDuration 5 d) with 5 days supplied: met.",
    breached_example="28 tablets, 1 tablet four times a day (7 × 4 = 28 per week): 7 days, met; "
    "14 tablets at that dose: 3.5 days, breached.",
    definition="A discharge MedicationRequest or MedicationStatement (by category, or listed in "
    "a discharge document's medication section or List) supplies at least {min_days} days of "
    "medicine (parameter min_days), or the whole course when the course is shorter.",
    board=Board(
        "At least {min_days} days' medicines on discharge",
        "Medicines supplied on discharge cover at least min_days ({min_days}), or the whole course "
        "when it is shorter.",
        deadline=False,
    ),
    params=DischargeMedication,
    evaluate=evaluate,
    codes=(
        "medication-category-systems",
        "discharge-category-codes",
        "not-discharge-category-codes",
        "medication-section-codes",
        "discharge-medication-list-codes",
        "discharge-summary-types",
        "discharge-medicine-classes",
        "stopped-change-codes",
        "stopped-change-words",
        "medication-change-extension-words",
    ),
)

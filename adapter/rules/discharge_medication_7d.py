"""discharge-medication-7d: at least 7 days of medicine on discharge, unless the course is
shorter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from adapter.facts import MedicationOrder
from adapter.model import Obligation, Status
from adapter.params import DischargeMedication, Params
from adapter.rules.base import Board, Context, Parties, Rule, days

ACTIVE = frozenset({"active", "completed"})
ORDERS = frozenset({"order", "original-order", "instance-order"})
_EPSILON = 1e-9  # supply arithmetic in floats: 7 × (1/7) must still be 1


def is_discharge_order(order: MedicationOrder, ctx: Context[Params]) -> bool:
    codes = ctx.world.policy.codes
    system = codes.values["medication-category-system"]
    discharge = codes["discharge-category-codes"]
    coded = any(
        code in discharge and source in (system, None)
        for concept in order.categories
        for source, code, _ in concept.codings
    )
    return coded and order.status in ACTIVE and order.intent in ORDERS


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world, minimum = ctx.world, cast(DischargeMedication, ctx.params).min_days
    for order in world.of_type(MedicationOrder):
        if not is_discharge_order(order, ctx):
            continue
        parties = Parties(
            patient=world.patient_label(order.patient),
            owner=world.trust_of_order(order),
            owed_to=world.practice_of_patient(order.patient),
            evidence=(order.head.key,),
        )
        name = order.medicine or "medicine"
        required = minimum
        if order.course_days is not None and order.course_days < minimum:
            required = order.course_days
        why = (
            f"the course is {days(required)} days"
            if required < minimum
            else (f"at least {days(minimum)} days required")
        )
        supplied = order.supply.days
        if supplied is None:
            yield RULE.obligation(
                "not-assessable",
                order.head.key,
                f"Discharge supply of {name} cannot be worked out: {order.supply.how}.",
                parties,
            )
            continue
        status: Status = "met" if supplied + _EPSILON >= required else "breached"
        yield RULE.obligation(
            status,
            order.head.key,
            f"Discharge supply of {name} is {days(supplied)} days ({order.supply.how}); {why}.",
            parties,
        )


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
    definition="A discharge MedicationRequest supplies at least {min_days} days of medicine "
    "(parameter min_days), or the whole course when the course is shorter.",
    board=Board(
        "At least {min_days} days' medicines on discharge",
        "Medicines supplied on discharge cover at least min_days ({min_days}), or the whole course "
        "when it is shorter.",
        deadline=False,
    ),
    params=DischargeMedication,
    evaluate=evaluate,
    codes=("medication-category-system", "discharge-category-codes"),
)

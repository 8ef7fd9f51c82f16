"""referral-complete: a practice referral carries its reason, urgency and clinical
information (the primary-care side of the interface)."""

from __future__ import annotations

from collections.abc import Iterator

from adapter.facts import Request
from adapter.model import Obligation
from adapter.params import NoParams, Params
from adapter.rules.base import Board, Context, Parties, Rule
from adapter.rules.requests import is_referral


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for request in world.of_type(Request):
        practice = world.practice_side_ods(request.requester)
        if practice is None or not is_referral(request, world):
            continue
        missing = [
            name
            for name, present in (
                ("a reason (reasonCode or reasonReference)", request.has_reason),
                ("a priority", bool(request.priority or request.ers_priority)),
                ("clinical information (supportingInfo or note)", request.has_clinical_info),
            )
            if not present
        ]
        owed_to = next((ods for p in request.performers if (ods := world.ods(p))), None)
        owed_to = owed_to or world.receiver_ods(request)  # contract §2: the message's receiver
        parties = Parties(
            patient=world.patient_label(request.patient),
            owner=practice,
            owed_to=owed_to,
            evidence=(request.head.key,),
        )
        if missing:
            yield RULE.obligation(
                "breached", request.head.key, f"The referral lacks {_join(missing)}.", parties
            )
        else:
            yield RULE.obligation(
                "met",
                request.head.key,
                "The referral has a reason, a priority and clinical information.",
                parties,
            )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


RULE = Rule(
    id="referral-complete",
    title="Practice referrals carry reason, urgency and clinical information",
    side="practice",
    domain4="onward-referrals",
    clause="SC6.8",
    why="A referral needs the reason, urgency and clinical information the trust must have to "
    "triage it; the referee watches both sides of the interface.",
    met_example="e-RS referral from a practice with reasonCode, priority routine and a "
    "supportingInfo attachment: met.",
    breached_example="A practice referral with no reason and no clinical information: breached "
    "(detail lists what is missing).",
    definition="A referral from a practice states the reason, the priority and the clinical "
    "information the trust needs.",
    board=Board(
        "Complete referral (practice side)",
        "A practice referral carries a reason, a priority and clinical information.",
        deadline=False,
    ),
    params=NoParams,
    evaluate=evaluate,
    codes=("referral-codes", "referral-words"),
)

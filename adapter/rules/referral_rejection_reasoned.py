"""referral-rejection-reasoned: a referral the trust rejects or returns carries a coded
reason and advice for the referrer; from the 2025/26 contract, reaching a notified payment
limit is never a valid reason (docs/contract.md §11.1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from adapter.facts import Concept, Request, TaskFact
from adapter.link import World
from adapter.model import Obligation, Status
from adapter.params import Params, RejectionReasoned
from adapter.rules.base import Board, Context, Parties, Rule
from adapter.rules.requests import is_referral


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for task in world.of_type(TaskFact):
        if not _rejects(task, world) or world.role(task.owner) == "practice":
            continue  # a practice declining a trust's request is another rule's business
        focus = world.resolve(task.focus)
        if focus is None and _names_request(task):
            yield _unsent(task, world)
        elif isinstance(focus, Request) and is_referral(focus, world):
            status, detail = _verdict(task, world, ctx)
            parties = _parties(task, focus, world)
            # Dated by the rejection, else by the referral it rejects (for the board's period).
            at = task.when or focus.authored
            yield RULE.obligation(status, task.head.key, detail, parties, event_at=at)


def _unsent(task: TaskFact, world: World) -> Obligation:
    named = task.focus.reference if task.focus else None
    detail = (
        f"The rejected request {named} was not sent, so whether it was a referral cannot be told."
    )
    parties = Parties(owner=_trust(task, None, world))
    return RULE.obligation("not-assessable", task.head.key, detail, parties, event_at=task.when)


def _rejects(task: TaskFact, world: World) -> bool:
    if task.status == "rejected":
        return True
    words = task.business_status.words() if task.business_status else ""
    codes = " ".join(c or "" for _, c, _ in (task.business_status or Concept()).codings)
    text = f"{words} {codes.lower()}"
    return any(w in text for w in world.policy.codes["rejection-business-status-words"])


def _names_request(task: TaskFact) -> bool:
    ref = task.focus
    return ref is not None and (
        ref.type == "ServiceRequest" or (ref.reference or "").startswith("ServiceRequest/")
    )


def _trust(task: TaskFact, request: Request | None, world: World) -> str | None:
    """The Task's owner when it is a trust, else the trust the referral was addressed to."""
    if world.role(task.owner) == "trust":
        return world.ods(task.owner)
    for performer in request.performers if request else ():
        if world.role(performer) == "trust":
            return world.ods(performer)
    return None


def _parties(task: TaskFact, request: Request, world: World) -> Parties:
    return Parties(
        patient=world.patient_label(request.patient),
        owner=_trust(task, request, world),
        owed_to=world.practice_side_ods(request.requester)
        or world.practice_of_patient(request.patient),
        evidence=(task.head.key,),
    )


def _verdict(task: TaskFact, world: World, ctx: Context[Params]) -> tuple[Status, str]:
    reason = task.status_reason
    if reason is not None and _payment_limit(reason, world):
        if task.when is None:
            return "not-assessable", _UNDATED
        # The clause of the contract edition in force when the trust rejected the referral.
        term, params = ctx.terms_at(task.when)
        if cast(RejectionReasoned, params).payment_limit_invalid:
            return "breached", _PAYMENT_LIMIT.format(term.edition)
    coded = next((c for _, c, _ in (reason or Concept()).codings if c), None)
    missing = [
        name
        for name, present in (("a coded reason", coded), ("advice for the referrer", task.has_note))
        if not present
    ]
    if missing:
        return "breached", f"The rejection lacks {' and '.join(missing)}."
    return "met", f"The rejection gives a coded reason ({coded}) and advice for the referrer."


def _payment_limit(reason: Concept, world: World) -> bool:
    words = reason.words()
    return any(w in words for w in world.policy.codes["rejection-payment-limit-words"])


_UNDATED = (
    "The rejection gives reaching a payment limit as its reason but has no date "
    "(executionPeriod.start, lastModified or authoredOn), so the contract edition in force "
    "cannot be told."
)
_PAYMENT_LIMIT = (
    "The rejection gives reaching a payment limit as its reason, which is never a valid "
    "reason under the NHS Standard Contract edition in force ({})."
)


RULE = Rule(
    id="referral-rejection-reasoned",
    title="Rejected referrals carry a coded reason and advice",
    side="trust",
    domain4="onward-referrals",
    clause="SC6",
    why="A referral the trust rejects or returns must tell the referrer why, in a coded reason, "
    "and what to do instead; from the 2025/26 NHS Standard Contract, reaching a notified "
    "payment limit is never a valid reason to reject a referral.",
    met_example="A rejected Task on a practice referral with statusReason coded and a note "
    "advising the referrer: met.",
    breached_example="A referral returned with only a free-text reason, or with 'payment limit "
    "reached' as its reason in 2025/26: breached.",
    definition="A referral the trust rejects or returns carries a coded reason and advice for "
    "the referrer; reaching a payment limit is never a valid reason {payment_limit}.",
    board=Board(
        "Rejected referrals give a reason and advice",
        "A rejected or returned referral carries a coded reason and advice for the referrer; "
        "a payment limit is never a valid reason {payment_limit}.",
        deadline=False,
    ),
    params=RejectionReasoned,
    evaluate=evaluate,
    codes=(
        "referral-codes",
        "referral-words",
        "rejection-business-status-words",
        "rejection-payment-limit-words",
    ),
)

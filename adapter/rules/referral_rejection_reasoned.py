"""referral-rejection-reasoned: a referral the trust rejects or returns carries a coded
reason and advice for the referrer; from the 2025/26 contract, reaching a notified payment
limit is never a valid reason (docs/contract.md §11.1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar, cast

from adapter.facts import Attendance, Concept, Fact, Outcome, Ref, Request, TaskFact
from adapter.link import World
from adapter.model import Obligation, Status
from adapter.params import Params, RejectionReasoned
from adapter.rules.base import Board, Context, Parties, Rule
from adapter.rules.requests import is_referral

F = TypeVar("F")


@dataclass(frozen=True, slots=True)
class Rejection:
    """One rejected or returned referral, whichever traffic recorded it (contract §11.1)."""

    subject: str
    referral: Request
    owner: str | None
    reason: Concept | None
    advice: bool
    when: datetime | None
    returned_with_advice: bool  # "Advice and Refer" (reported beside, not judged)


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for task in world.of_type(TaskFact):
        if not _rejects(task, world) or world.role(task.owner) == "practice":
            continue  # a practice declining a trust's request is another rule's business
        focus = world.resolve(task.focus)
        if focus is None and _names_request(task):
            yield _unsent(task, world)
    for rejection in rejections(world):
        status, detail = _verdict(rejection, world, ctx)
        referral = rejection.referral
        parties = Parties(
            patient=world.patient_label(referral.patient),
            owner=rejection.owner,
            owed_to=_referrer(referral.requester, referral.patient, world),
            evidence=(rejection.subject,),
        )
        # Dated by the rejection, else by the referral it rejects (for the board's period).
        at = rejection.when or referral.authored
        yield RULE.obligation(status, rejection.subject, detail, parties, event_at=at)


def rejections(world: World) -> Iterator[Rejection]:
    """Every rejected or returned referral: an R4 Task, the e-RS referral state, a BaRS
    response's revoked ServiceRequest or cancelled Encounter (contract §11.1)."""
    codes = world.policy.codes
    for task in world.of_type(TaskFact):
        if not _rejects(task, world) or world.role(task.owner) == "practice":
            continue
        focus = world.resolve(task.focus)
        if isinstance(focus, Request) and is_referral(focus, world):
            words = task.business_status.words() if task.business_status else ""
            yield Rejection(
                task.head.key,
                focus,
                _trust(task.owner, focus, world),
                task.status_reason,
                task.has_note,
                task.when,
                any(w in words for w in codes["advice-and-refer-words"]),
            )
    for request in world.of_type(Request):
        outcome = request.outcome
        if not is_referral(request, world):
            continue
        practice = world.practice_side_ods(request.requester)
        if outcome is not None and outcome.state is not None:
            # e-RS returns a referral without its referrer: one that names a referrer other
            # than a practice (consultant to consultant) is no subject
            found = _ers(request, outcome, world) if practice or not request.requester else None
            if found is not None:
                yield found
        elif request.status == "revoked" and practice:
            # BaRS carries 111, 999 and ambulance traffic too: only a practice's referral
            # (contract §2: otherwise no obligation rather than a doubtful breach)
            sender = world.sender_trust(request)
            if sender is not None:  # revoked by the trust that received it (BaRS response)
                yield _bars(request, request, outcome, sender, world)
    for attendance in world.of_type(Attendance):
        if attendance.status != "cancelled":
            continue
        sender = world.sender_trust(attendance)
        referral = _referral_of(attendance, world) if sender is not None else None
        if sender is not None and referral is not None:
            reason = next(iter(attendance.reasons), None)
            yield _bars(attendance, referral, Outcome(None, reason, False), sender, world)


def _referral_of(attendance: Attendance, world: World) -> Request | None:
    """The referral a trust's cancelled Encounter answers: the one it is `basedOn`, else the
    referral carried in the same BaRS response."""
    for ref in attendance.based_on:
        found = world.resolve(ref)
        if _practice_referral(found, world):
            return cast(Request, found)
    message = world.message_of(attendance)
    carried = _by_message(world, Request).get(message.head.key, []) if message else []
    return next((r for r in carried if _practice_referral(r, world)), None)


def _practice_referral(fact: object, world: World) -> bool:
    return (
        isinstance(fact, Request)
        and is_referral(fact, world)
        and world.practice_side_ods(fact.requester) is not None
    )


def _ers(request: Request, outcome: Outcome, world: World) -> Rejection | None:
    """e-RS: the referral's ReferralState says rejected, or returned to the referrer."""
    codes = world.policy.codes
    returned = outcome.reason is not None and outcome.reason.has_code_value(
        codes["ers-returned-outcomes"]
    )
    if outcome.state not in codes["ers-rejected-states"] and not returned:
        return None
    return Rejection(
        request.head.key,
        request,
        _trust(None, request, world),
        outcome.reason,
        outcome.comments,
        request.updated,
        returned,
    )


def _bars(
    carrier: Fact, referral: Request, outcome: Outcome | None, trust: str, world: World
) -> Rejection:
    """BaRS: advice is a note the trust wrote on the referral, or a Communication from the
    trust about the referral (`basedOn` it)."""
    message = world.message_of(carrier)
    authors = outcome.note_authors if outcome is not None else ()
    told = world.replies_by_request.get(referral.head.key, [])
    advice = any(world.belongs_to(a, trust) for a in authors) or any(
        world.belongs_to(reply.sender, trust) for reply in told
    )
    return Rejection(
        carrier.head.key,
        referral,
        trust,
        outcome.reason if outcome is not None else None,
        advice,
        message.sent if message is not None else None,
        False,
    )


def _by_message(world: World, kind: type[F]) -> dict[str, list[F]]:
    """Facts of one kind by the message that carried them, indexed once per run."""
    label = f"by-message-{kind.__name__}"
    found: dict[str, list[F]] | None = world.cache.get(label)
    if found is None:
        found = world.cache[label] = {}
        for fact in world.of_type(kind):
            message = world.message_of(fact)  # type: ignore[arg-type]
            if message is not None:
                found.setdefault(message.head.key, []).append(fact)
    return found


def _unsent(task: TaskFact, world: World) -> Obligation:
    named = task.focus.reference if task.focus else None
    detail = (
        f"The rejected request {named} was not sent, so whether it was a referral cannot be told."
    )
    # Who it is about and owed to as for a resolved rejection, read from the Task itself.
    parties = Parties(
        patient=world.patient_label(task.patient),
        owner=_trust(task.owner, None, world),
        owed_to=_referrer(task.requester, task.patient, world),
    )
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


def _referrer(requester: Ref | None, patient: Ref | None, world: World) -> str | None:
    """Whom a rejection is owed to: the practice that asked, else the patient's practice."""
    return world.practice_side_ods(requester) or world.practice_of_patient(patient)


def _trust(owner: Ref | None, request: Request | None, world: World) -> str | None:
    """The rejecting owner when it is a trust, else the trust the referral was addressed to."""
    if world.role(owner) == "trust":
        return world.ods(owner)
    for performer in request.performers if request else ():
        if world.role(performer) == "trust":
            return world.ods(performer)
    return None


def _verdict(rejection: Rejection, world: World, ctx: Context[Params]) -> tuple[Status, str]:
    reason = rejection.reason
    coded = next((c for _, c, _ in (reason or Concept()).codings if c), None)
    missing = [
        name
        for name, present in (
            ("a coded reason", coded),
            ("advice for the referrer", rejection.advice),
        )
        if not present
    ]
    lacks = f"The rejection lacks {' and '.join(missing)}."
    if reason is not None and _payment_limit(reason, world):
        if rejection.when is None:
            # A missing coded reason or advice is a breach under every edition: only a
            # complete rejection waits on the date that says whether the limit was valid.
            return ("breached", lacks) if missing else ("not-assessable", _UNDATED)
        # The clause of the contract edition in force when the trust rejected the referral.
        term, params = ctx.terms_at(rejection.when)
        if cast(RejectionReasoned, params).payment_limit_invalid:
            return "breached", _PAYMENT_LIMIT.format(term.edition)
    if missing:
        return "breached", lacks
    return "met", f"The rejection gives a coded reason ({coded}) and advice for the referrer."


def _payment_limit(reason: Concept, world: World) -> bool:
    words = reason.words()
    return any(w in words for w in world.policy.codes["rejection-payment-limit-words"])


_UNDATED = (
    "The rejection gives reaching a payment limit as its reason but has no date "
    "(Task executionPeriod.start, lastModified or authoredOn; the e-RS referral's "
    "meta.lastUpdated; the BaRS response's timestamp), so the contract edition in force "
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
        "advice-and-refer-words",
        "ers-rejected-states",
        "ers-returned-outcomes",
    ),
)

"""advice-and-guidance-response: the trust answers a practice's Advice & Guidance request
within N England working days (docs/contract.md §11.2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import cast

from adapter.facts import Reply, Request
from adapter.link import World
from adapter.model import Obligation
from adapter.params import AdviceResponse, Params
from adapter.rules.base import Board, Clock, Context, Parties, Rule, status_at, when
from adapter.rules.working_days import covered, working_days_due

ANSWERED = frozenset({"completed", "in-progress"})


def is_advice_request(request: Request, world: World) -> bool:
    codes = world.policy.codes
    concepts = list(request.categories) + ([request.code] if request.code else [])
    if any(c.has_code(codes["advice-and-guidance-codes"]) for c in concepts):
        return True
    return any(w in c.words() for c in concepts for w in codes["advice-and-guidance-words"])


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world, params = ctx.world, cast(AdviceResponse, ctx.params)
    for request in advice_requests(world):
        parties = Parties(
            patient=world.patient_label(request.patient),
            owner=trust_of_advice(request, world),
            owed_to=world.practice_side_ods(request.requester),
        )
        yield _judge(request, parties, world, params, ctx.as_of)


def advice_requests(world: World) -> Iterator[Request]:
    """The rule's subjects: A&G requests from a practice, not entered in error."""
    for request in world.of_type(Request):
        if request.status == "entered-in-error" or not is_advice_request(request, world):
            continue
        if world.practice_side_ods(request.requester) is not None:
            yield request


def trust_of_advice(request: Request, world: World) -> str | None:
    """The first performer that is a trust; else the message's receiver (contract §2);
    else the trust that wrote in the conversation (e-RS addresses the request to a service,
    not an organisation, and names the provider only in its replies)."""
    for performer in request.performers:
        if world.role(performer) == "trust":
            return world.ods(performer)
    received = world.receiver_ods(request)
    if received is not None:
        return received
    for reply in sorted(_conversation(request, world), key=_sent_order):
        if world.role(reply.sender) == "trust":
            return world.ods(reply.sender)
    return None


def sent_at(request: Request, world: World) -> datetime | None:
    """When the request was sent: `authoredOn`, else the practice's first message of its
    conversation (e-RS returns the request without `authoredOn`; the referrer's question is
    the first Communication)."""
    if request.authored is not None:
        return request.authored
    practice = world.practice_side_ods(request.requester)
    asked = [
        r.sent
        for r in _conversation(request, world)
        if r.sent is not None and world.belongs_to(r.sender, practice)
    ]
    return min(asked, default=None)


def _conversation(request: Request, world: World) -> list[Reply]:
    return world.replies_by_request.get(request.head.key, [])


def _sent_order(reply: Reply) -> datetime:
    return reply.sent or datetime.max.replace(tzinfo=UTC)


def _judge(
    request: Request, parties: Parties, world: World, params: AdviceResponse, as_of: datetime
) -> Obligation:
    key, sent = request.head.key, sent_at(request, world)
    if sent is None:
        return RULE.obligation("not-assessable", key, _UNSENT, parties)
    due = working_days_due(sent, params.max_working_days)
    if due is None:
        first, last = covered()
        detail = _UNCOVERED.format(when(sent), first, last)
        return RULE.obligation("not-assessable", key, detail, parties, event_at=sent)
    limit = f"{params.max_working_days} working days"
    reply = _first_reply(request, parties.owner, world)
    if reply is not None and reply.sent is not None:
        return RULE.obligation(
            status_at(due, reply.sent, as_of),
            key,
            f"The trust answered at {when(reply.sent)}; due by {when(due)} ({limit}).",
            parties,
            due=due,
            fulfilled_at=reply.sent,
            evidence=[reply.head.key],
            event_at=sent,
        )
    clock = Clock(
        f"No answer from the trust yet; due by {when(due)} ({limit}).",
        f"No answer from the trust by {when(due)} ({limit}).",
    )
    status = status_at(due, None, as_of)
    detail = clock.detail(status, sent, as_of)
    return RULE.obligation(status, key, detail, parties, due=due, clock=clock, event_at=sent)


def _first_reply(request: Request, trust: str | None, world: World) -> Reply | None:
    """The earliest sent Communication from the trust in the request's conversation."""
    replies = [
        r
        for r in _conversation(request, world)
        if r.status in ANSWERED and r.sent is not None and world.belongs_to(r.sender, trust)
    ]
    return min(replies, key=lambda r: r.sent or datetime.max, default=None)


_UNSENT = (
    "The Advice & Guidance request has no sent time (authoredOn, or the practice's first "
    "message of its conversation), so the working days cannot be counted."
)
_UNCOVERED = (
    "The Advice & Guidance request was sent at {}, outside the years whose bank holidays are "
    "known ({}–{}), so the working days cannot be counted."
)


RULE = Rule(
    id="advice-and-guidance-response",
    title="Advice & Guidance answered within 5 working days",
    side="trust",
    domain4="onward-referrals",
    clause="SC6",
    why="A practice that asks a specialist for Advice & Guidance needs the answer quickly "
    "enough to act on it; the 2025/26 A&G operational framework asks ICBs to review response "
    "times, and NHS England publishes monthly specialist-advice counts by provider.",
    met_example="A&G request sent Friday 1 March 2024 at 16:00; the trust's answering "
    "Communication sent Wednesday 6 March: met (due end of Friday 8 March, 5 working days).",
    breached_example="A&G request sent Thursday 28 March 2024; no answer by the end of "
    "Monday 8 April (5 working days, Good Friday and Easter Monday not counted): breached.",
    definition="The trust answers an Advice & Guidance request from a practice within "
    "{max_working_days} working days (England bank holidays excluded; parameter "
    "max_working_days).",
    board=Board(
        "Advice & Guidance answered within {max_working_days} working days",
        "A practice's Advice & Guidance request is answered by the trust within "
        "{max_working_days} working days, bank holidays excluded.",
        deadline=True,
    ),
    params=AdviceResponse,
    evaluate=evaluate,
    codes=("advice-and-guidance-codes", "advice-and-guidance-words"),
)

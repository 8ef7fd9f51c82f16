"""trust-arranges-own-tests: the trust arranges and follows up the tests it orders."""

from __future__ import annotations

from collections.abc import Iterator

from adapter.facts import Letter, Request
from adapter.link import World
from adapter.model import Obligation, Status
from adapter.params import NoParams, Params
from adapter.rules.base import AGREED, WITHDRAWN, Board, Context, Parties, Rule, clip
from adapter.rules.narrative import findings
from adapter.rules.requests import is_referral, is_test, practice_performer


def agreed_by(key: str, practice: str | None, world: World) -> list[str]:
    """Tasks in which the practice agreed to do what `key` asks, at any time."""
    return [
        t.head.key
        for t in world.tasks_by_focus.get(key, [])
        if t.status in AGREED and world.belongs_to(t.owner, practice)
    ]


def coded(ctx: Context[Params]) -> Iterator[Obligation]:
    """Tests the trust orders (not referrals): arranged by the trust itself, or passed to a
    practice, which then needs the practice's agreement."""
    world = ctx.world
    for request in world.of_type(Request):
        if world.role(request.requester) != "trust" or not is_test(request, world):
            continue
        if is_referral(request, world):
            continue  # a referral is judged by onward-referral-by-trust
        practice = practice_performer(request, world)
        status, detail, evidence = _passed_on(request, practice, world)
        parties = Parties(
            patient=world.patient_label(request.patient),
            owner=world.ods(request.requester),
            owed_to=practice or world.practice_of_patient(request.patient),
        )
        yield RULE.obligation(status, request.head.key, detail, parties, evidence=evidence)


def _passed_on(
    request: Request, practice: str | None, world: World
) -> tuple[Status, str, list[str]]:
    if practice is None:
        return "met", "The trust arranged the test itself.", [request.head.key]
    agreed = agreed_by(request.head.key, practice, world)
    if agreed:
        return "met", "The practice agreed to do the test the trust asked for.", agreed
    return "breached", _UNAGREED, [request.head.key]


_UNAGREED = (
    "The trust asked the practice to do a test it ordered, without the practice's agreement."
)


def narrative(ctx: Context[Params]) -> Iterator[Obligation]:
    """Letters that ask the GP to arrange a test: met only with the practice's agreement."""
    world = ctx.world
    for letter in world.of_type(Letter):
        asks = findings(letter, world.policy).test_asks
        if not asks or letter.status in WITHDRAWN:
            continue
        practice = world.practice_of_patient(letter.patient)
        parties = Parties(
            patient=world.patient_label(letter.patient),
            owner=world.trust_of_letter(letter),
            owed_to=practice,
        )
        agreed = agreed_by(letter.head.key, practice, world)
        if agreed:
            detail = "The practice agreed to the test the letter asks for."
            yield RULE.obligation("met", letter.head.key, detail, parties, evidence=agreed)
        else:
            detail = f'The letter asks the GP to arrange a test: "{clip(asks[0])}"'
            yield RULE.obligation(
                "breached", letter.head.key, detail, parties, evidence=[letter.head.key]
            )


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    yield from coded(ctx)
    yield from narrative(ctx)


RULE = Rule(
    id="trust-arranges-own-tests",
    title="Trust arranges and follows up its own tests",
    side="trust",
    domain4="call-and-recall",
    clause="SC11",
    why="The NHS Standard Contract requires the trust to arrange the tests it orders, follow "
    "them up and tell the patient the results, rather than asking the GP to do so.",
    met_example="A trust lab ServiceRequest performed by the trust itself: met; one addressed to "
    "the practice with the practice's accepted Task: met.",
    breached_example="Plan: 'Please could the GP repeat U&Es in 2 weeks.' with no agreement from "
    "the practice: breached.",
    definition="The trust arranges and follows up the tests it orders, and tells the patient the "
    "results, instead of asking the GP to do them (unless the practice agreed).",
    board=Board(
        "Trust arranges its own tests",
        "Tests the trust orders are arranged and followed up by the trust, not passed to the "
        "practice unless the practice agreed.",
        deadline=False,
    ),
    params=NoParams,
    evaluate=evaluate,
    codes=(
        "test-categories",
        "test-codes",
        "test-words",
        "referral-codes",
        "referral-words",
        "plan-section",
    ),
    phrases=("gp-asked-to-test",),
)

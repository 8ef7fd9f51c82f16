"""onward-referral-by-trust: the trust refers onward itself when the need is urgent or
related to the original referral; only non-urgent, unrelated needs go back to the GP."""

from __future__ import annotations

from collections.abc import Iterator

from adapter.facts import Letter, Request
from adapter.link import World
from adapter.model import Obligation, Status
from adapter.params import NoParams, Params
from adapter.rules.base import WITHDRAWN, Board, Context, Parties, Rule, clip
from adapter.rules.narrative import findings
from adapter.rules.requests import is_referral, is_urgent, practice_performer


def original_referral(request: Request, world: World, trust: str | None) -> str | None:
    """The referral `basedOn` names; else the patient's latest referral from a practice to
    the same trust authored before this one."""
    for ref in request.based_on:
        key = world.key_of(ref)
        if key is not None:
            return key
    patient = world.patient_key(request.patient)
    best: Request | None = None
    for other in world.requests_by_patient.get(patient, []):
        if other is request or not is_referral(other, world):
            continue
        if world.practice_side_ods(other.requester) is None:
            continue
        if trust is None or not any(world.ods(p) == trust for p in other.performers):
            continue
        if other.authored is None or request.authored is None or other.authored >= request.authored:
            continue
        if best is None or (best.authored and other.authored > best.authored):
            best = other
    return best.head.key if best else None


def _shares_reason(request: Request, original: str | None, world: World) -> bool:
    fact = world.by_key.get(original) if original else None
    if not isinstance(fact, Request):
        return False
    mine = {(s, c) for concept in request.reasons for s, c, _ in concept.codings if c}
    theirs = {(s, c) for concept in fact.reasons for s, c, _ in concept.codings if c}
    return bool(mine & theirs)


def coded(ctx: Context[Params]) -> Iterator[Obligation]:
    """Trust ServiceRequests that are referrals: made by the trust itself (to anyone but a
    practice) or passed to a practice."""
    world = ctx.world
    for request in world.of_type(Request):
        if not is_referral(request, world) or world.role(request.requester) != "trust":
            continue
        practice = practice_performer(request, world)
        if practice is None and not request.performers:
            continue  # addressed to no one: nothing to judge
        trust = world.ods(request.requester)
        status, detail = _passed_on(request, practice, trust, world)
        parties = Parties(
            patient=world.patient_label(request.patient),
            owner=trust,
            owed_to=practice or world.practice_of_patient(request.patient),
            evidence=(request.head.key,),
        )
        yield RULE.obligation(status, request.head.key, detail, parties)


def _passed_on(
    request: Request, practice: str | None, trust: str | None, world: World
) -> tuple[Status, str]:
    if practice is None:
        return "met", "The trust made the onward referral itself."
    if is_urgent(request, world):
        return "breached", "The trust passed an onward referral that is urgent back to the GP."
    original = original_referral(request, world, trust)
    if request.based_on or _shares_reason(request, original, world):
        why = "related to the original referral"
        return "breached", f"The trust passed an onward referral that is {why} back to the GP."
    return "met", "A non-urgent, unrelated need was returned to the GP, as allowed."


def narrative(ctx: Context[Params]) -> Iterator[Obligation]:
    """Letters that ask the GP to refer: the asks decide together."""
    world = ctx.world
    for letter in world.of_type(Letter):
        asks = findings(letter, world.policy).refer_asks
        if not asks or letter.status in WITHDRAWN:
            continue
        parties = Parties(
            patient=world.patient_label(letter.patient),
            owner=world.trust_of_letter(letter),
            owed_to=world.practice_of_patient(letter.patient),
            evidence=(letter.head.key,),
        )
        status, detail = _asked(asks)
        yield RULE.obligation(status, letter.head.key, detail, parties)


def _asked(asks: tuple[tuple[str, bool, bool], ...]) -> tuple[Status, str]:
    sentence = clip(asks[0][0])
    if any(urgent for _, urgent, _ in asks):
        return "breached", f'The letter asks the GP to refer for an urgent need: "{sentence}"'
    if any(not unrelated for _, _, unrelated in asks):
        why = "a need presumed related to the original referral"
        return "breached", f'The letter asks the GP to refer for {why}: "{sentence}"'
    return "met", f'The letter returns a non-urgent, unrelated need to the GP: "{sentence}"'


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    yield from coded(ctx)
    yield from narrative(ctx)


RULE = Rule(
    id="onward-referral-by-trust",
    title="Trust makes related or urgent onward referrals itself",
    side="trust",
    domain4="onward-referrals",
    clause="SC8",
    why="The NHS Standard Contract requires the trust to refer onward itself when the need is "
    "related to the original referral or urgent (such as suspected cancer); only "
    "non-urgent, unrelated needs may go back to the GP.",
    met_example="Clinic letter: 'Incidental finding, unrelated to this referral: the GP may "
    "wish to refer to dermatology.': met. A trust referral to another trust: met.",
    breached_example="ServiceRequest from the trust to the practice, priority urgent, or "
    "'Please ask the GP to re-refer.': breached.",
    definition="The trust refers the patient onward itself when the need is urgent or related "
    "to the original referral; only non-urgent, unrelated needs go back to the GP.",
    board=Board(
        "Trust makes related or urgent onward referrals",
        "The trust refers onward itself when the need is urgent or related to the original "
        "referral; only non-urgent, unrelated needs go back to the GP.",
        deadline=False,
    ),
    params=NoParams,
    evaluate=evaluate,
    codes=("referral-codes", "referral-words", "urgent-priorities", "ers-urgent-priorities"),
    phrases=("gp-asked-to-refer", "urgent", "unrelated"),
)

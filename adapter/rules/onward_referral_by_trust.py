"""onward-referral-by-trust: the trust refers onward itself when the need is urgent or
related to the original referral; only non-urgent, unrelated needs go back to the GP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from adapter.facts import Letter, Request
from adapter.link import World
from adapter.model import Obligation
from adapter.params import NoParams, Params
from adapter.rules.base import WITHDRAWN, Board, Context, Parties, Rule
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
    world = ctx.world
    for request in world.of_type(Request):
        if not is_referral(request, world) or world.role(request.requester) != "trust":
            continue
        trust = world.ods(request.requester)
        practice = practice_performer(request, world)
        parties = Parties(patient=world.patient_label(request.patient), owner=trust)
        if practice is None:
            if request.performers:
                yield RULE.obligation(
                    "met",
                    request.head.key,
                    "The trust made the onward referral itself.",
                    replace(parties, owed_to=world.practice_of_patient(request.patient)),
                    evidence=[request.head.key],
                )
            continue
        original = original_referral(request, world, trust)
        urgent = is_urgent(request, world)
        related = bool(request.based_on) or _shares_reason(request, original, world)
        evidence = [request.head.key]
        if urgent or related:
            why = "urgent" if urgent else "related to the original referral"
            yield RULE.obligation(
                "breached",
                request.head.key,
                f"The trust passed an onward referral that is {why} back to the GP.",
                replace(parties, owed_to=practice),
                evidence=evidence,
            )
        else:
            yield RULE.obligation(
                "met",
                request.head.key,
                "A non-urgent, unrelated need was returned to the GP, as allowed.",
                replace(parties, owed_to=practice),
                evidence=evidence,
            )


def narrative(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for letter in world.of_type(Letter):
        asks = findings(letter, world.policy).refer_asks
        if not asks or letter.status in WITHDRAWN:
            continue
        urgent = any(u for _, u, _ in asks)
        related = any(not unrelated for _, _, unrelated in asks)
        parties = Parties(
            patient=world.patient_label(letter.patient),
            owner=world.trust_of_letter(letter),
            owed_to=world.practice_of_patient(letter.patient),
            evidence=(letter.head.key,),
        )
        sentence = asks[0][0]
        if urgent or related:
            why = "an urgent need" if urgent else "a need presumed related to the original referral"
            yield RULE.obligation(
                "breached",
                letter.head.key,
                f'The letter asks the GP to refer for {why}: "{_clip(sentence)}"',
                parties,
            )
        else:
            yield RULE.obligation(
                "met",
                letter.head.key,
                f'The letter returns a non-urgent, unrelated need to the GP: "{_clip(sentence)}"',
                parties,
            )


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    yield from coded(ctx)
    yield from narrative(ctx)


def _clip(sentence: str, limit: int = 120) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


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

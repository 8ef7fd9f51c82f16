"""What a ServiceRequest is (a referral, a test) and who it runs between (rules.md §5.7,
§5.8, §5.10)."""

from __future__ import annotations

from adapter.facts import Request
from adapter.link import World


def is_referral(request: Request, world: World) -> bool:
    codes = world.policy.codes
    concepts = list(request.categories) + ([request.code] if request.code else [])
    for concept in concepts:
        if concept.has_code(codes["referral-codes"]):
            return True
        if any(w in concept.words() for w in codes["referral-words"]):
            return True
    return False


def is_test(request: Request, world: World) -> bool:
    codes = world.policy.codes
    if any(c.has_code(codes["test-categories"]) for c in request.categories):
        return True
    return request.code is not None and request.code.has_code(codes["test-codes"])


def is_urgent(request: Request, world: World) -> bool:
    codes = world.policy.codes
    return request.priority in codes["urgent-priorities"] or (
        request.ers_priority in codes["ers-urgent-priorities"]
    )


def practice_performer(request: Request, world: World) -> str | None:
    """The ODS of the first performer that is a practice (or works for one)."""
    for performer in request.performers:
        ods = world.practice_side_ods(performer)
        if ods is not None:
            return ods
    return None

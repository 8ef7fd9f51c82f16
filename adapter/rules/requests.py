"""What a ServiceRequest is (a referral, a test) and who it runs between (rules.md §5.7,
§5.8, §5.10)."""

from __future__ import annotations

from adapter.facts import Concept, Request
from adapter.link import World

SNOMED = "http://snomed.info/sct"


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
    """A test by category (laboratory, imaging, diagnostic procedure), by a code in the
    `test-codes` hierarchy table, or by a SNOMED display whose semantic tag is an observable
    entity, or a procedure named with a test word (docs/contract.md §6)."""
    codes = world.policy.codes
    if any(c.has_code(codes["test-categories"]) for c in request.categories):
        return True
    code = request.code
    if code is None:
        return False
    return code.has_code(codes["test-codes"]) or _tagged_test(code, codes["test-words"])


def _tagged_test(code: Concept, words: frozenset[str]) -> bool:
    for system, _, display in code.codings:
        text = (display or "").lower()
        if system != SNOMED or not text.endswith(")"):
            continue
        if text.endswith("(observable entity)"):
            return True
        if text.endswith("(procedure)") and any(w in text for w in words):
            return True
    return False


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

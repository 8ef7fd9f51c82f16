"""Counts reported beside two rules, not judged (docs/contract.md §11.1, §11.2, issue 14):
Advice & Guidance requests converted to a referral and whether the practice was told, and
rejected referrals per trust by reason with the share returned with advice ("Advice and
Refer"). They need facts the obligations do not carry (reason codes, conversion links), so
they are counted from the linked World; the JSON output puts them in its summary and the
board's "Advice and guidance" panel draws them (/work/coord/aag-notes.md has the shape).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from adapter.facts import Request
from adapter.link import World
from adapter.rules.advice_and_guidance_response import advice_requests, trust_of_advice
from adapter.rules.referral_rejection_reasoned import rejections
from adapter.rules.requests import is_referral

UNKNOWN = "unknown"  # the trust key when no trust ODS code is known
NOT_CODED = "none"  # the reason key when the rejection gives no coded reason


def reported_beside(world: World, judged: Collection[str]) -> dict[str, Any]:
    """The counts, keyed as agreed with the board, over the subjects `judged` (those that made
    an obligation: a partitioned run links shared context in every partition, so only its
    own subjects count); {} when there is nothing to report."""
    out: dict[str, Any] = {}
    advice = _advice(world, judged)
    if advice["requests"]:
        out["advice_and_guidance"] = advice
    refused = _rejections(world, judged)
    if refused["rejections"]:
        out["rejections"] = refused
    return out


def _advice(world: World, judged: Collection[str]) -> dict[str, Any]:
    converted_from = _conversions(world)
    total: Counter[str] = Counter()
    by_trust: dict[str, Counter[str]] = defaultdict(Counter)
    for request in advice_requests(world):
        if request.head.key not in judged:
            continue
        trust = trust_of_advice(request, world)
        counts = Counter(requests=1)
        referrals = converted_from.get(request.head.key, [])
        if referrals:
            counts["converted_to_referral"] = 1
            if _practice_told(request, referrals, trust, world):
                counts["converted_practice_told"] = 1
        total.update(counts)
        by_trust[trust or UNKNOWN].update(counts)
    keys = ("requests", "converted_to_referral", "converted_practice_told")
    return {
        **{k: total[k] for k in keys},
        "by_trust": {t: {k: c[k] for k in keys} for t, c in sorted(by_trust.items())},
    }


def _conversions(world: World) -> dict[str, list[Request]]:
    """A&G request key → the referrals `basedOn` it (e-RS names the A&G request a referral
    was converted from in `supportingInfo`, read as `basedOn`, contract §1; BaRS REFREQ11
    names it in `basedOn`)."""
    found: dict[str, list[Request]] = defaultdict(list)
    for request in world.of_type(Request):
        if not is_referral(request, world):
            continue
        for ref in request.based_on:
            key = world.key_of(ref)
            if key is not None:
                found[key].append(request)
    return found


def _practice_told(
    request: Request, referrals: list[Request], trust: str | None, world: World
) -> bool:
    """The trust wrote to the practice about it: a Communication from the trust in the A&G
    conversation or about the referral it became."""
    keys = [request.head.key, *(r.head.key for r in referrals)]
    return any(
        world.belongs_to(reply.sender, trust)
        for key in keys
        for reply in world.replies_by_request.get(key, [])
    )


def _rejections(world: World, judged: Collection[str]) -> dict[str, Any]:
    keys = ("rejections", "with_advice", "advice_and_refer")
    total: Counter[str] = Counter()
    by_trust: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for rejection in rejections(world):
        if rejection.subject not in judged:
            continue
        trust = rejection.owner or UNKNOWN
        counts = Counter(
            rejections=1,
            with_advice=int(rejection.advice),
            advice_and_refer=int(rejection.returned_with_advice),
        )
        total.update(counts)
        by_trust[trust].update(counts)
        codings = rejection.reason.codings if rejection.reason else ()
        reasons[trust][next((c for _, c, _ in codings if c), NOT_CODED)] += 1
    return {
        **{k: total[k] for k in keys},
        "by_trust": {
            t: {**{k: c[k] for k in keys}, "by_reason": dict(sorted(reasons[t].items()))}
            for t, c in sorted(by_trust.items())
        },
    }


RULES = ("advice-and-guidance-response", "referral-rejection-reasoned")


def combined(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The counts of several partitions as one: numbers added, nested tables merged."""
    out: dict[str, Any] = {}
    for part in parts:
        _add(out, part)
    return _sorted(out)


def _sorted(table: dict[str, Any]) -> dict[str, Any]:
    """Trusts and reasons in code order, whichever partition met them first."""
    return {
        key: (
            {k: _sorted(v) if isinstance(v, dict) else v for k, v in sorted(value.items())}
            if key in ("by_trust", "by_reason")
            else _sorted(value)
            if isinstance(value, dict)
            else value
        )
        for key, value in table.items()
    }


def _add(into: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _add(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value

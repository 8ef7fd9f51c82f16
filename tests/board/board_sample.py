"""Hand-made obligations for the board-pack tests: a seeded, varied sample over six months,
three trusts, four practices, every rule and every status. Synthetic NHS numbers (999
range, valid check digit); made-up ODS codes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from adapter.board.catalogue import RULES
from adapter.model import Obligation

TRUSTS = ("RXA", "RXB", "RXC01")
PRACTICES = ("K81001", "K81002", "M85003", "Y01004")
AS_OF = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def nhs_number(seed: int) -> str:
    """A valid 999-range NHS number (Modulus 11)."""
    n = seed
    while True:
        body = f"999{n % 1_000_000:06d}"
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return body + str(check)
        n += 1


def obligation(
    rule: str,
    status: str,
    *,
    owner: str | None,
    owed_to: str | None = "K81001",
    due: datetime | None = None,
    fulfilled_at: datetime | None = None,
    patient: str | None = None,
    subject: str = "Encounter/e1",
    evidence: tuple[str, ...] = (),
    detail: str = "A sentence.",
) -> Obligation:
    info = RULES[rule]
    return Obligation(
        rule=rule,
        status=status,  # type: ignore[arg-type]
        subject=subject,
        patient=patient,
        owner=owner,
        owed_to=owed_to,
        due=due,
        fulfilled_at=fulfilled_at,
        evidence=evidence,
        detail=detail,
        domain4=info.area,  # type: ignore[arg-type]
        clause=info.clause,
    )


# The ten rules of rules.md §5, which the seeded sample draws from: the board tests' golden
# numbers were worked by hand from this draw, so a rule added later does not change it and
# gets its own obligations after it (`_later_rules`).
SAMPLED = (
    "discharge-summary-24h",
    "clinic-letter-7d",
    "discharge-medication-7d",
    "shared-care-gp-agreement",
    "fit-note-issued",
    "dna-no-blanket-discharge",
    "onward-referral-by-trust",
    "trust-arranges-own-tests",
    "point-of-contact",
    "referral-complete",
)


def sample(count: int = 600, seed: int = 7) -> list[Obligation]:
    return _sampled(count, seed) + _later_rules(seed)


def _later_rules(seed: int) -> list[Obligation]:
    """Each rule added after the ten: one met and one breached obligation per trust, dated
    in the second half of 2025, before both windows the golden numbers compare."""
    rng = random.Random(seed + 1)
    out = []
    for rule in (r for r in RULES if r not in SAMPLED):
        for n, trust in enumerate(TRUSTS):
            for status in ("met", "breached"):
                subject = f"Task/{rule}-{trust.lower()}-{status}"
                when = datetime(2025, 7, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 150))
                out.append(
                    obligation(
                        rule,
                        status,
                        owner=trust,
                        owed_to=PRACTICES[n],
                        fulfilled_at=when,
                        patient=nhs_number(5000 + n),
                        subject=subject,
                        evidence=(subject,),
                        detail="Done as the contract asks." if status == "met" else "Not done.",
                    )
                )
    return out


def _sampled(count: int, seed: int) -> list[Obligation]:
    rng = random.Random(seed)
    out = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    quality = {"RXA": 0.04, "RXB": 0.18, "RXC01": 0.08}
    skill = {"RXA": 0.9, "RXB": 0.7, "RXC01": 0.8}
    for i in range(count):
        rule = rng.choice(SAMPLED)
        when = start + timedelta(hours=rng.randrange(0, 181 * 24))
        patient = nhs_number(1000 + i) if rng.random() > 0.05 else None
        practice = rng.choice(PRACTICES)
        if rule == "referral-complete":
            met = rng.random() < 0.85
            out.append(
                obligation(
                    rule,
                    "met" if met else "breached",
                    owner=practice,
                    owed_to=rng.choice(TRUSTS),
                    fulfilled_at=when,
                    patient=patient,
                    subject=f"ServiceRequest/sr{i}",
                    evidence=(f"ServiceRequest/sr{i}",),
                    detail="Referral has a reason, a priority and clinical information."
                    if met
                    else "Referral lacks: priority, clinical information.",
                )
            )
            continue
        trust = rng.choice(TRUSTS)
        deadline = RULES[rule].deadline
        roll = rng.random()
        subject = f"Encounter/{trust.lower()}-{i}"
        if roll < quality[trust]:
            out.append(
                obligation(
                    rule,
                    "not-assessable",
                    owner=trust,
                    owed_to=practice,
                    patient=patient,
                    due=None,
                    fulfilled_at=None if deadline else when,
                    subject=subject,
                    detail=f"{subject} is finished but has no period.end, so there is no "
                    "discharge time."
                    if deadline
                    else "Supply cannot be worked out.",
                )
            )
            continue
        met = roll < quality[trust] + skill[trust] * (1 - quality[trust])
        due = when if deadline else None
        if deadline:
            late = rng.uniform(-20, -1) if met else rng.uniform(1, 300)
            sent = when + timedelta(hours=late)
            pending = not met and rng.random() < 0.1 and when > AS_OF - timedelta(days=2)
            status = "met" if met else ("pending" if pending else "breached")
            fulfilled = None if status == "pending" or (not met and rng.random() < 0.2) else sent
            if status == "breached" and fulfilled is None:
                fulfilled = None
            out.append(
                obligation(
                    rule,
                    status,
                    owner=trust,
                    owed_to=practice,
                    due=due,
                    fulfilled_at=fulfilled,
                    patient=patient,
                    subject=subject,
                    evidence=(subject, f"Composition/c{i}"),
                    detail=f"Sent {late:.1f} h after the due time."
                    if fulfilled
                    else "Nothing sent yet.",
                )
            )
        else:
            out.append(
                obligation(
                    rule,
                    "met" if met else "breached",
                    owner=trust,
                    owed_to=practice,
                    fulfilled_at=when if rng.random() < 0.7 else None,
                    patient=patient,
                    subject=subject,
                    evidence=(subject,),
                    detail="Done as the contract asks." if met else "Passed to the GP.",
                )
            )
    return out

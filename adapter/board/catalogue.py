"""What the board pack says about each rule and each Delivery Plan area (rules.md §5).

Who owes each rule, its Delivery Plan area and its clause come from the rule catalogue (one
source of truth); the board's short titles and one-sentence definitions are kept here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from adapter.rules import CATALOGUE

Side = Literal["trust", "practice"]


@dataclass(frozen=True)
class RuleInfo:
    rule: str
    title: str
    side: Side
    area: str
    clause: str
    definition: str
    deadline: bool


AREAS: dict[str, str] = {
    "onward-referrals": "Onward referrals",
    "complete-care": "Complete care",
    "call-and-recall": "Call and recall",
    "points-of-contact": "Points of contact",
}

# Board wording per rule: a short title, a definition a board member reads, and whether it has
# a deadline. Who owes it, its Delivery Plan area and its clause come from the rule catalogue.
_WORDING: dict[str, tuple[str, str, bool]] = {
    "discharge-summary-24h": (
        "Discharge summary within 24 hours",
        "After inpatient, day-case or A&E care the trust sends the practice a final discharge "
        "summary within max_hours (24) of discharge.",
        True,
    ),
    "clinic-letter-7d": (
        "Clinic letter within 7 days",
        "After an outpatient attendance the trust sends a final clinic letter within the number of"
        " days in force on the attendance date (7 days from April 2018).",
        True,
    ),
    "discharge-medication-7d": (
        "At least 7 days' medicines on discharge",
        "Medicines supplied on discharge cover at least min_days (7), or the whole course when it "
        "is shorter.",
        False,
    ),
    "shared-care-gp-agreement": (
        "GP agrees before shared-care prescribing moves",
        "Prescribing passes to a practice under shared care only after that practice has agreed; a"
        " letter is not agreement.",
        True,
    ),
    "fit-note-issued": (
        "Trust issues the fit note",
        "When a patient needs a fit note after hospital care, the trust issues it rather than "
        "asking the GP to.",
        False,
    ),
    "dna-no-blanket-discharge": (
        "No blanket discharge after a missed appointment",
        "A patient who did not attend is discharged back to the GP only if an adult and after at "
        "least min_dnas_before_discharge (2) missed appointments on the referral.",
        False,
    ),
    "onward-referral-by-trust": (
        "Trust makes related or urgent onward referrals",
        "The trust refers onward itself when the need is urgent or related to the original "
        "referral; only non-urgent, unrelated needs go back to the GP.",
        False,
    ),
    "trust-arranges-own-tests": (
        "Trust arranges its own tests",
        "Tests the trust orders are arranged and followed up by the trust, not passed to the "
        "practice unless the practice agreed.",
        False,
    ),
    "point-of-contact": (
        "Clear point of contact",
        "Every discharge summary and clinic letter names a phone number or email address for the "
        "responsible team.",
        False,
    ),
    "referral-complete": (
        "Complete referral (practice side)",
        "A practice referral carries a reason, a priority and clinical information.",
        False,
    ),
}
_RULES = tuple(
    RuleInfo(
        rule.id,
        _WORDING[rule.id][0],
        rule.side,
        rule.domain4,
        rule.clause,
        _WORDING[rule.id][1],
        _WORDING[rule.id][2],
    )
    for rule in CATALOGUE
)

RULES: dict[str, RuleInfo] = {info.rule: info for info in _RULES}
TRUST_RULES: tuple[str, ...] = tuple(r.rule for r in _RULES if r.side == "trust")
PRACTICE_RULE = "referral-complete"


def info(rule: str) -> RuleInfo:
    """What is known about `rule`; an unknown id (a newer engine) is described plainly."""
    known = RULES.get(rule)
    if known is not None:
        return known
    return RuleInfo(rule, rule, "trust", "", "", "Not described in this version.", False)


def area_label(area: str | None) -> str:
    if area is None:
        return "No Delivery Plan area"
    return AREAS.get(area, area)

"""What the board pack says about each rule and each Delivery Plan area (rules.md §5).

Kept here as data, so the report can explain itself without importing the rule engine:
the side that owes it, the Delivery Plan area, the contract clause and a one-sentence
definition a board member can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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

_RULES = (
    RuleInfo(
        "discharge-summary-24h",
        "Discharge summary within 24 hours",
        "trust",
        "complete-care",
        "SC11.5",
        "After inpatient, day-case or A&E care the trust sends the practice a final discharge "
        "summary within max_hours (24) of discharge.",
        True,
    ),
    RuleInfo(
        "clinic-letter-7d",
        "Clinic letter within 7 days",
        "trust",
        "complete-care",
        "SC11.7",
        "After an outpatient attendance the trust sends a final clinic letter within the "
        "number of days in force on the attendance date (7 days from April 2018).",
        True,
    ),
    RuleInfo(
        "discharge-medication-7d",
        "At least 7 days' medicines on discharge",
        "trust",
        "complete-care",
        "SC11.9",
        "Medicines supplied on discharge cover at least min_days (7), or the whole course "
        "when it is shorter.",
        False,
    ),
    RuleInfo(
        "shared-care-gp-agreement",
        "GP agrees before shared-care prescribing moves",
        "trust",
        "complete-care",
        "SC11.3–11.4",
        "Prescribing passes to a practice under shared care only after that practice has "
        "agreed; a letter is not agreement.",
        True,
    ),
    RuleInfo(
        "fit-note-issued",
        "Trust issues the fit note",
        "trust",
        "complete-care",
        "SC11.11",
        "When a patient needs a fit note after hospital care, the trust issues it rather "
        "than asking the GP to.",
        False,
    ),
    RuleInfo(
        "dna-no-blanket-discharge",
        "No blanket discharge after a missed appointment",
        "trust",
        "onward-referrals",
        "SC6",
        "A patient who did not attend is discharged back to the GP only if an adult and "
        "after at least min_dnas_before_discharge (2) missed appointments on the referral.",
        False,
    ),
    RuleInfo(
        "onward-referral-by-trust",
        "Trust makes related or urgent onward referrals",
        "trust",
        "onward-referrals",
        "SC8",
        "The trust refers onward itself when the need is urgent or related to the original "
        "referral; only non-urgent, unrelated needs go back to the GP.",
        False,
    ),
    RuleInfo(
        "trust-arranges-own-tests",
        "Trust arranges its own tests",
        "trust",
        "call-and-recall",
        "SC11",
        "Tests the trust orders are arranged and followed up by the trust, not passed to "
        "the practice unless the practice agreed.",
        False,
    ),
    RuleInfo(
        "point-of-contact",
        "Clear point of contact",
        "trust",
        "points-of-contact",
        "Delivery Plan 2023",
        "Every discharge summary and clinic letter names a phone number or email address "
        "for the responsible team.",
        False,
    ),
    RuleInfo(
        "referral-complete",
        "Complete referral (practice side)",
        "practice",
        "onward-referrals",
        "SC6.8",
        "A practice referral carries a reason, a priority and clinical information.",
        False,
    ),
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

"""The rule catalogue (rules.md §5): one module per rule id, listed here explicitly. Each
module's `RULE` carries everything about its rule; `PARAMS` (the policy's parameter models),
the board catalogue, `referee rules` and the FHIR CodeSystem and Measures derive from it.

Ids are stable. A renamed id keeps its old name in `ALIASES`; a retired id is never reused.
"""

from __future__ import annotations

from adapter.params import Params
from adapter.rules import (
    advice_and_guidance_response,
    clinic_letter_7d,
    discharge_medication_7d,
    discharge_summary_24h,
    dna_no_blanket_discharge,
    fit_note_issued,
    onward_referral_by_trust,
    point_of_contact,
    referral_complete,
    referral_rejection_reasoned,
    shared_care_gp_agreement,
    trust_arranges_own_tests,
    trust_handles_patient_queries,
)
from adapter.rules.base import Rule

__all__ = ["ALIASES", "CATALOGUE", "PARAMS", "RULES", "Rule", "get_rule"]

CATALOGUE: tuple[Rule, ...] = (
    discharge_summary_24h.RULE,
    clinic_letter_7d.RULE,
    discharge_medication_7d.RULE,
    shared_care_gp_agreement.RULE,
    fit_note_issued.RULE,
    dna_no_blanket_discharge.RULE,
    onward_referral_by_trust.RULE,
    trust_arranges_own_tests.RULE,
    point_of_contact.RULE,
    referral_complete.RULE,
    referral_rejection_reasoned.RULE,
    advice_and_guidance_response.RULE,
    trust_handles_patient_queries.RULE,
)
RULES: dict[str, Rule] = {rule.id: rule for rule in CATALOGUE}
PARAMS: dict[str, type[Params]] = {rule.id: rule.params for rule in CATALOGUE}
ALIASES: dict[str, str] = {}


def get_rule(rule_id: str) -> Rule:
    """A rule by id or alias; KeyError names the known ids."""
    rule_id = ALIASES.get(rule_id, rule_id)
    if rule_id not in RULES:
        raise KeyError(f"unknown rule {rule_id!r}; known rules: {', '.join(RULES)}")
    return RULES[rule_id]

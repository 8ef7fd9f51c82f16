"""trust-handles-patient-queries sentence rules (docs/contract.md §11.3): a GP sentence that
is negated, quoted or names the GP as the referrer sends no one to the GP."""

from __future__ import annotations

import pytest

from adapter.policy import load_policy
from adapter.rules.narrative import read_sentence

POLICY = load_policy()


@pytest.mark.parametrize(
    ("sentence", "to_gp"),
    [
        ("Please contact your GP for your results.", True),
        ("GP to chase the appointment.", True),
        ("Do not hesitate to contact your GP for your results.", True),
        ("You do not need to contact your GP for your results.", False),
        ("You don't need to see your GP about the appointment.", False),
        ("You don’t need to see your GP about the appointment.", False),
        ("There is no need to ring your GP for your results.", False),
        ("Your GP will not give you the results; we will write to you.", False),
        ('She said "your GP will give you the results".', False),
        ("She said “your GP will give you the results”.", False),
        ("Referred by her GP to discuss the results of her scan.", False),
        ("Seen on behalf of your GP to discuss the results.", False),
        ("See your GP if the rash spreads.", False),
    ],
)
def test_only_a_sentence_that_sends_the_patient_to_the_gp_counts(
    sentence: str, to_gp: bool
) -> None:
    assert read_sentence(sentence, POLICY).query_gp is to_gp

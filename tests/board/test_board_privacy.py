"""Masking: no full NHS number survives, whatever the text around it."""

from __future__ import annotations

import re
from pathlib import Path

from board_sample import nhs_number
from hypothesis import given
from hypothesis import strategies as st

from adapter.board.privacy import mask_patient, mask_text
from adapter.policy import load_policy

DOCS = Path(__file__).resolve().parents[2] / "docs"


@given(st.text(alphabet="0123456789 -/abcXYZ.", max_size=80))
def test_masked_text_never_holds_ten_digits_in_a_row(text):
    assert not re.search(r"\d{10}", mask_text(text))


@given(st.integers(min_value=0, max_value=999_999))
def test_an_nhs_number_is_shown_by_its_last_three_digits_only(seed):
    number = nhs_number(seed)
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert mask_patient(number) == f"*******{number[-3:]}"
    assert mask_text(f"NHS {spaced}.") == f"NHS *******{number[-3:]}."
    assert mask_text(f"Patient/{number}") == f"Patient/*******{number[-3:]}"


def test_a_patient_reference_without_a_number_is_not_shown():
    assert mask_patient("Patient/abc") == "no NHS number"
    assert mask_patient(None) == "not known"


def test_the_example_policy_in_the_docs_names_trusts_and_leads():
    policy = load_policy(DOCS / "board-example-policy.toml")
    assert policy.trusts["RZ1"] == {
        "name": "Northfield Hospitals NHS Trust",
        "interface_lead": "Dr Ada Ashdown",
    }

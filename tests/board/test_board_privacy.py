"""Masking: no full NHS number survives, whatever the text around it."""

from __future__ import annotations

from pathlib import Path

from board_sample import nhs_number
from hypothesis import given
from hypothesis import strategies as st

from adapter.board.privacy import is_nhs_number, mask_patient, mask_text
from adapter.policy import load_policy

DOCS = Path(__file__).resolve().parents[2] / "docs"


@given(
    st.integers(min_value=0, max_value=999_999),
    st.sampled_from(["", "NHS ", "(", "patient: ", "\n"]),
    st.sampled_from(["", ".", ",", ")", " is late", ";"]),
)
def test_an_nhs_number_standing_alone_never_survives(seed, before, after):
    number = nhs_number(seed)
    for written in (number, f"{number[:3]} {number[3:6]} {number[6:]}"):
        masked = mask_text(f"{before}{written}{after}")
        assert masked == f"{before}*******{number[-3:]}{after}"


@given(st.integers(min_value=0, max_value=999_999), st.sampled_from(["Encounter", "Composition"]))
def test_ids_that_merely_contain_ten_digits_stay_traceable(seed, kind):
    number = nhs_number(seed)
    for reference in (
        f"{kind}/1acdee90-3e40-41e5-ad24-{number}d5",  # seen in a real board pack
        f"{kind}/ab{number}",
        f"{kind}/{number}-2",
        f"urn:uuid:{number}",
        f"https://trust.example/fhir/{kind}/x{number}",
    ):
        assert mask_text(f"evidence {reference}.") == f"evidence {reference}."


def test_ten_digits_failing_the_modulus_11_check_are_not_an_nhs_number():
    assert mask_text("order 9990011118 placed") == "order 9990011118 placed"
    assert is_nhs_number("9990011117") and not is_nhs_number("9990011118")
    assert not is_nhs_number("1234567890")  # check digit would be 10: never issued


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

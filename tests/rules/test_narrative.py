"""The rule layer reads a letter's sentences with the phrase lists (the translator only
splits them): a test request counts in the plan section when the letter has one, and a
phone number only in the contact section."""

from adapter.policy import load_policy
from adapter.rules.narrative import read_findings

PLAN = "plan-and-requested-actions"
CONTACT = "contact-for-further-information"
ASK = "Please could the GP repeat U&Es in 2 weeks."


def test_a_test_request_outside_the_plan_section_does_not_count_when_there_is_one():
    policy = load_policy()
    with_plan = read_findings(((None, (ASK,)), (PLAN, ("Review in clinic.",))), policy)
    without_plan = read_findings(((None, (ASK,)),), policy)
    assert with_plan.test_asks == ()
    assert without_plan.test_asks == (ASK,)


def test_a_phone_number_counts_only_in_the_contact_section():
    policy = load_policy()
    phone = "Ward 7 secretaries, 0113 496 0000."
    assert read_findings(((CONTACT, (phone,)),), policy).contact_section is True
    assert read_findings(((None, (phone,)),), policy).contact_section is False


def test_a_sentence_matching_no_list_says_nothing():
    found = read_findings(((None, ("The patient was seen today.",)),), load_policy())
    assert (found.fit_note, found.discharged, found.refer_asks, found.test_asks) == (
        frozenset(),
        False,
        (),
        (),
    )

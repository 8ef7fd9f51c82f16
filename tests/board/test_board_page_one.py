"""Page one reads in five minutes: small numbers shown as counts, rates with their 95 %
Wilson interval, organisations by name, reasons in plain English, three questions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import lxml.html
import pytest
from board_sample import AS_OF, obligation

from adapter.board import Options, Period, build_board, render_html
from adapter.board.names import OrganisationNames, with_names
from adapter.board.page_one import asks
from adapter.board.reasons import OTHER, plain_detail, plain_reason
from adapter.board.tally import Tally, change_text, rate_text, wilson

PERIOD = Period(date(2026, 4, 1), date(2026, 6, 30))


@pytest.mark.parametrize(
    ("met", "judged", "low", "high"),
    [
        # Wilson score interval, z = 1.96 (Newcombe 1998, table I; Agresti & Coull 1998)
        (81, 100, 0.7222, 0.8749),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (15, 148, 0.0624, 0.1605),
    ],
)
def test_wilson_interval_matches_published_values(met, judged, low, high):
    found = wilson(met, judged)
    assert found is not None
    assert found == pytest.approx((low, high), abs=1e-4)


def test_a_rate_from_fewer_than_ten_cases_is_shown_as_counts():
    assert rate_text(Tally(met=2, breached=1)) == "2 of 3 met"
    assert rate_text(Tally()) == "none judged"
    assert rate_text(Tally(met=81, breached=19)) == "81.0 % (72–87 %)"
    small, big = Tally(met=1, breached=1), Tally(met=50, breached=50)
    assert change_text(big, small, 25.0) == "too few cases to compare"
    assert change_text(big, big, 0.0) == "no change"


def month_of(rate_met, n, day, owner="RXA"):
    due = datetime(2026, 4, day, tzinfo=UTC)
    return [
        obligation(
            "clinic-letter-7d",
            "met" if i < rate_met else "breached",
            owner=owner,
            due=due + timedelta(hours=i),
        )
        for i in range(n)
    ]


def test_a_month_with_few_cases_is_drawn_hollow_and_labelled_with_its_n():
    board = build_board(month_of(2, 3, 5), PERIOD, AS_OF)
    page = render_html(board)
    doc = lxml.html.fromstring(page)
    assert "n=3" in doc.xpath("string(//svg)")
    card = doc.xpath("string(//div[@class='cards']/div[2])")  # complete care
    assert "2 of 3" in card and "n = 3 · too few to rate" in card and "%" not in card


def test_three_questions_name_the_weakest_trust_and_the_data_gap():
    obligations = month_of(90, 100, 3, "RXA") + month_of(30, 60, 4, "RXB")
    obligations.append(
        obligation(
            "discharge-summary-24h",
            "not-assessable",
            owner="RXB",
            detail="The encounter has no discharge time (period.end), so the 24 h limit "
            "cannot be judged.",
        )
    )
    trusts = {"RXB": {"name": "Beta Hospitals NHS Trust"}}
    board = build_board(obligations, PERIOD, AS_OF, Options(trusts=trusts, undated="include"))
    questions = asks(board)
    assert len(questions) == 3
    assert questions[0] == (
        "Why did Beta Hospitals NHS Trust (RXB) meet only 50.0 % (38–62 %) of its 60 judged "
        "obligations, and what is its plan?"
    )
    assert questions[2] == (
        "Beta Hospitals NHS Trust (RXB): 1 obligation could not be judged because of how the "
        "data is recorded (the discharge time was not recorded, so the deadline could not be "
        "checked). Who will fix the recording?"
    )


def test_reasons_are_plain_english_without_element_names_or_placeholders():
    detail = "The referral lacks a reason (reasonCode or reasonReference) and a priority."
    assert plain_reason(detail, detail) == "No reason and no priority."
    unknown = "Supply for Encounter/x1 is in 'mL' but dosageInstruction[0] is in 'tablet'."
    assert plain_reason(unknown, "Supply for Encounter/… is in '…' but …") == OTHER
    assert plain_reason("No end.", "No end.") == "No end."
    assert plain_detail("Supply is 14 days (expectedSupplyDuration); 7 required.") == (
        "Supply is 14 days; 7 required."
    )


def test_organisation_names_come_from_the_data_and_the_policy_wins():
    names = OrganisationNames()
    ods = "https://fhir.nhs.uk/Id/ods-organization-code"
    names.note(
        {
            "resourceType": "Organization",
            "name": "Data Name",
            "identifier": [{"system": ods, "value": "RZ1"}],
        }
    )
    names.note(
        {
            "resourceType": "Organization",
            "name": "Practice",
            "identifier": [{"system": ods, "value": "Y12345"}],
        }
    )
    names.note({"resourceType": "Organization", "identifier": [{"system": ods, "value": "X"}]})
    merged = with_names({"RZ1": {"name": "Policy Name", "interface_lead": "Dr A"}}, names)
    assert merged == {
        "RZ1": {"name": "Policy Name", "interface_lead": "Dr A"},
        "Y12345": {"name": "Practice"},
    }


def test_every_reason_in_the_table_is_plain_and_its_pattern_compiles():
    import re

    from adapter.mappings import shipped

    entries = shipped("board-reasons")["reason"]
    assert len(entries) >= 20
    for entry in entries:
        re.compile(entry["match"])
        assert not re.search(r"\b[a-z]+[A-Z]\w*|\bN\b|…|\(medicine\)", entry["text"]), entry


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        (
            "The organisation that owes this cannot be identified (no ODS code for the "
            "provider, custodian or requester), so no one can be held to it. What the data "
            "shows: The encounter has no discharge time (period.end), so the 24 h limit "
            "cannot be judged.",
            "Which organisation owed this could not be told from the data (no ODS code), so "
            "no one can be held to it.",
        ),
        (
            "Discharge supply of X is between 3.5 and 7 days (quantity ÷ daily dose), "
            "depending on how much of the dosage range is taken; at least 7 days required, so "
            "it cannot be called either way.",
            "The dose was a range, so whether enough medicine was supplied depends on how much "
            "is taken.",
        ),
        (
            "Composition/x is a clinic letter with no date, so when it was sent cannot be judged.",
            "A letter had no date, so when it was sent could not be checked.",
        ),
        (
            "The shared-care request has no transfer time (validityPeriod.start or authoredOn).",
            "The shared-care request gave no date for the transfer.",
        ),
        (
            "The rejection gives reaching a payment limit as its reason but has no date "
            "(executionPeriod.start, lastModified or authoredOn), so the contract edition in "
            "force cannot be told.",
            "A referral was rejected for reaching a payment limit, but the rejection had no "
            "date, so which contract edition applied could not be told.",
        ),
        (
            "The rejected request ServiceRequest/ref-9 was not sent, so whether it was a "
            "referral cannot be told.",
            "A referral rejection named a request that was not sent, so whether it was a "
            "referral could not be told.",
        ),
    ],
)
def test_engine_sentences_read_as_plain_reasons(detail, reason):
    assert plain_reason(detail, detail) == reason


def test_a_trust_with_too_few_cases_is_ranked_after_those_with_a_rate():
    obligations = month_of(1, 1, 3, "RXS") + month_of(60, 100, 4, "RXB")
    board = build_board(obligations, PERIOD, AS_OF)
    assert [t.ods for t in board.trusts] == ["RXB", "RXS"]
    weakest_area = asks(board)[1]
    assert weakest_area.endswith("met)?") and " met met" not in weakest_area

"""The Domain 4 "Advice and guidance" panel: A&G answered in time and rejected referrals
reasoned, per trust, from real golden cases judged by the engine, with the counts reported
beside them in the shape agreed with ers-bars (/work/coord/aag-notes.md)."""

from __future__ import annotations

from datetime import date

import lxml.html
from cases import FIXTURES, as_of, inputs

from adapter.board import Period, build_board, render_html
from adapter.board.advice import working_days
from adapter.engine import check

ADVICE = FIXTURES / "advice-and-guidance-response"
REJECTIONS = FIXTURES / "referral-rejection-reasoned"
PERIOD = Period(date(2024, 1, 1), date(2025, 12, 31))

# The agreed shape of Result.reported (adapter/rules/beside.py's to_json).
REPORTED = {
    "advice_and_guidance": {
        "requests": 2,
        "converted_to_referral": 1,
        "converted_practice_told": 1,
        "by_trust": {
            "RZZ": {"requests": 2, "converted_to_referral": 1, "converted_practice_told": 1}
        },
    },
    "rejections": {
        "rejections": 4,
        "with_advice": 3,
        "advice_and_refer": 1,
        "by_trust": {
            "RZZ": {
                "rejections": 4,
                "with_advice": 3,
                "advice_and_refer": 1,
                "by_reason": {"SERVICE_INAPPROPRIATE": 2, "none": 1, "payment-limit": 1},
            }
        },
    },
}


def judged(*cases: str) -> list:
    found = []
    for name in cases:
        case = next(FIXTURES.glob(name))
        found += check(inputs(case), as_of=as_of(case)).obligations
    return found


def rows(page: str, caption: str) -> dict[str, list[str]]:
    doc = lxml.html.fromstring(page)
    body = doc.xpath(f"//table[starts-with(caption, '{caption}')]/tbody/tr")
    return {r.xpath("string(th)"): [c.text_content() for c in r.xpath("td")] for r in body}


def test_a_g_response_days_are_working_days_after_the_sent_day() -> None:
    [answered] = [
        o for o in judged("advice-and-guidance-response/01-*") if o.rule.startswith("advice")
    ]
    # Sent Friday 1 March 2024, answered Wednesday 6 March: Monday, Tuesday, Wednesday.
    assert working_days(answered) == 3
    [late] = [o for o in judged("advice-and-guidance-response/02-*") if o.rule.startswith("adv")]
    # Sent Thursday 28 March 2024 (Good Friday and Easter Monday off), answered 9 April.
    assert (late.status, working_days(late)) == ("breached", 6)


def test_the_panel_draws_response_times_rejections_and_the_counts_reported_beside() -> None:
    obligations = judged(
        "advice-and-guidance-response/01-*",
        "advice-and-guidance-response/02-*",
        "referral-rejection-reasoned/01-*",
        "referral-rejection-reasoned/03-*",
    )
    board = build_board(
        obligations, PERIOD, max(o.event_at for o in obligations), reported=REPORTED
    )
    page = render_html(board)

    advice = rows(page, "Advice & Guidance answered in time")
    # Judged 2; met 1, breached 1, pending 0; rate as counts; median of 3 and 6; beside.
    assert advice["RZZ"][:4] == ["2", "1", "1", "0"]
    assert advice["RZZ"][-3:] == ["4.5", "1", "1"]
    refused = rows(page, "Rejected and returned referrals")
    assert refused["RZZ"][:3] == ["2", "1", "1"]
    assert refused["RZZ"][-4:] == [
        "4",
        "3 (75.0 %)",
        "1",
        "SERVICE_INAPPROPRIATE 2, not coded 1, payment-limit 1",
    ]
    assert "counted over all the input read" in page
    panel = board.to_json()["advice_and_guidance"]
    assert panel["advice_and_guidance"][0]["median_working_days"] == 4.5
    assert panel["rejections"][0]["reported_beside"]["advice_share"] == 0.75


def test_without_the_reported_counts_the_panel_says_so_and_shows_dashes() -> None:
    obligations = judged("advice-and-guidance-response/01-*")
    board = build_board(obligations, PERIOD, max(o.event_at for o in obligations))
    page = render_html(board)
    assert rows(page, "Advice & Guidance answered in time")["RZZ"][-3:] == ["3", "–", "–"]
    assert "are not in this input" in page
    assert board.to_json()["advice_and_guidance"]["reported_beside_available"] is False


def test_the_panel_draws_what_a_real_run_reports_beside(tmp_path) -> None:
    """Synthetic later-rules traffic through the engine: the panel's reported-beside columns
    are the run's own `Result.reported` counts (the shape agreed with ers-bars), and its
    judged columns the obligations' statuses."""
    from adapter.instants import parse_instant
    from adapter.synth import generate

    as_of = parse_instant("2025-06-01T09:00:00Z")
    assert as_of is not None
    out = tmp_path / "icb"
    generate(out, patients=60, months=12, seed=5, as_of=as_of, progress=False, later_rules=0.5)
    result = check([out], as_of=as_of)
    reported = result.reported
    assert reported["advice_and_guidance"]["requests"] > 0
    assert reported["rejections"]["rejections"] > 0
    board = build_board(result.obligations, PERIOD, as_of, reported=reported)
    panel = board.advice
    assert panel.reported
    beside = reported["rejections"]["by_trust"]
    for row in panel.rejections:
        assert row.rejections == beside[row.trust]["rejections"], row.trust
        assert row.with_advice == beside[row.trust]["with_advice"], row.trust
    requests = reported["advice_and_guidance"]["by_trust"]
    for row in panel.advice:
        assert row.requests == requests[row.trust]["requests"], row.trust
    # Every A&G obligation of this run falls in the period (mid-2024 to mid-2025).
    judged = sum(r.tally.total for r in panel.advice)
    assert judged == sum(o.rule == "advice-and-guidance-response" for o in result.obligations)

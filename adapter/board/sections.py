"""The two reference sections of the board pack: data quality and method."""

from __future__ import annotations

from typing import Any

from adapter.board.aggregate import Board
from adapter.board.catalogue import area_label
from adapter.board.markup import esc, instant, owner_label, table
from adapter.board.tally import MIN_CASES_FOR_RATE, percent, rate_text
from adapter.model import format_instant


def quality_section(board: Board) -> str:
    rows = [
        [
            owner_label(t),
            f"{board.info(q.rule).title} ({q.rule})",
            q.pattern,
            q.count,
            q.rule_total,
            percent(q.share),
        ]
        for t in board.trusts
        for q in t.quality
    ]
    notes = [
        "Obligations that the data cannot show either way are <strong>not assessable</strong>."
        " They are counted and shown here, and never counted as met.",
        _undated_note(board),
    ]
    if board.outside_count:
        notes.append(
            f"{board.outside_count:,} obligations are dated outside both periods and are not "
            "counted."
        )
    if board.inputs is not None:
        counts = board.inputs
        notes.append(
            f"Input: {counts.received:,} resources received, {counts.accepted:,} accepted, "
            f"{counts.rejected:,} rejected (a rejected resource creates no obligation)."
        )
    issue_rows = [[kind, n] for kind, n in board.issues.items()]
    issues = table("Input issues by severity and type", ["Issue", "Count"], issue_rows)
    return (
        '<section id="quality"><h2>Data quality: what could not be judged</h2>'
        + "".join(f"<p>{n}</p>" for n in notes if n)
        + table(
            "Not-assessable obligations per trust, by rule and reason",
            ["Trust", "Rule", "Could not be judged because", "Count", "Of", "Share"],
            rows,
            numeric_from=3,
        )
        + (issues if issue_rows else "")
        + "</section>"
    )


def _undated_note(board: Board) -> str:
    if not board.undated_count:
        return ""
    where = (
        "counted in this period (the input is taken to be the period's traffic) but not in "
        "the previous period, the monthly trend or the change figures"
        if board.undated == "include"
        else "left out of every figure (--undated exclude)"
    )
    return (
        f"{board.undated_count:,} obligations carry neither a due time nor a fulfilment time "
        f"(rules without a deadline); they are {where}."
    )


def advice_section(board: Board) -> str:
    """Domain 4's "Advice and guidance" panel: A&G answered in time and rejected referrals
    reasoned, per trust, with the counts reported beside them (not judged)."""
    names = {t.ods: t.name for t in board.trusts}

    def trust(ods: str) -> str:
        return f"{names[ods]} ({ods})" if names.get(ods) else ods

    panel = board.advice
    advice_rows = [
        [
            trust(r.trust),
            r.tally.judged,
            r.tally.met,
            r.tally.breached,
            r.tally.pending,
            rate_text(r.tally),
            "–" if r.median_working_days is None else f"{r.median_working_days:g}",
            _maybe(r.converted),
            _maybe(r.practice_told),
        ]
        for r in panel.advice
    ]
    rejection_rows = [
        [
            trust(r.trust),
            r.tally.judged,
            r.tally.met,
            r.tally.breached,
            rate_text(r.tally),
            _maybe(r.rejections),
            _maybe(r.with_advice)
            + ("" if r.advice_share is None else f" ({percent(r.advice_share)})"),
            _maybe(r.advice_and_refer),
            _reasons(r.by_reason),
        ]
        for r in panel.rejections
    ]
    note = (
        "The last columns are reported beside the rules, not judged, and are counted over all "
        "the input read, not only this period. Not-assessable ones are in the data quality "
        "section."
        if panel.reported
        else "The counts reported beside the rules (A&G converted to a referral, rejections by "
        "reason) are not in this input (a board from the service's store does not carry "
        "them): shown as –."
    )
    return (
        '<section id="advice"><h2>Advice and guidance, and rejected referrals</h2>'
        "<p>Domain 4, onward referrals. A practice's Advice &amp; Guidance request is "
        "answered by the trust within the working days in force (England bank holidays "
        "excluded); a rejected or returned referral carries a coded reason and advice for "
        f"the referrer. {esc(note)}</p>"
        + table(
            "Advice & Guidance answered in time, per trust",
            [
                "Trust",
                "Judged",
                "Met",
                "Breached",
                "Pending",
                "Met (95 % CI)",
                "Working days (median)",
                "Converted",
                "Practice told",
            ],
            advice_rows,
        )
        + table(
            "Rejected and returned referrals, per trust",
            [
                "Trust",
                "Judged",
                "Met",
                "Breached",
                "Met (95 % CI)",
                "Rejected",
                "With advice",
                "Advice and Refer",
                "Commonest reasons",
            ],
            rejection_rows,
            numeric_from=1,
        )
        + "</section>"
    )


def _maybe(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _reasons(by_reason: dict[str, int], top: int = 3) -> str:
    ranked = sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return ", ".join(f"{'not coded' if k == 'none' else k} {n}" for k, n in ranked) or "–"


def method_section(board: Board) -> str:
    paragraphs = [
        "<strong>Met rate</strong> = met ÷ (met + breached). Pending and not-assessable "
        "obligations are in neither part.",
        "<strong>Dates.</strong> An obligation belongs to the day (in England) of its due "
        "time, else of its fulfilment time, else of the event that made it (the letter sent, "
        "the request or prescription authored, the attendance or appointment). The previous "
        "period is the window of the same "
        f"length just before the reporting period ({board.previous.days} days). Changes "
        "compare the dated obligations of the two periods, in percentage points.",
        "<strong>Scope.</strong> Headline areas and the trust tables use the nine trust-side "
        "rules, grouped by the trust that owes them (its ODS code); the practice side "
        "(referral-complete) is reported separately. Trusts are ranked by met rate, then by "
        "the number judged.",
        "<strong>Worst examples.</strong> For rules with a deadline, the shortfall is the "
        "fulfilment time (or, if nothing was sent, the as-of time) minus the due time; for "
        "discharge medication, the days of medicine missing.",
        "<strong>Privacy.</strong> Patients appear only as the last three digits of the NHS "
        "number; an NHS number in text, or used as a whole id, is masked the same way.",
        f"<strong>Small numbers.</strong> A rate from fewer than {MIN_CASES_FOR_RATE} judged "
        "cases is shown as counts; a rate is shown with its 95 % Wilson score interval. "
        "A change is shown only when both periods have enough cases.",
        f"<strong>As of</strong> {esc(instant(board.as_of))} "
        f"({esc(format_instant(board.as_of))}); policy {esc(board.policy.get('name'))}"
        + (f" from {esc(board.policy.get('file'))}" if board.policy.get("file") else "")
        + ".",
    ]
    paragraphs.append(_editions_note(board))
    others = board.policy.get("other_overrides") or {}
    if others:
        paragraphs.append(
            "<strong>Other local changes</strong> (phrase lists and code tables): "
            + esc(_pairs(others))
            + "."
        )
    rows = [
        [
            f"{m.info.title} ({m.info.rule})",
            f"{m.info.side}; {area_label(m.info.area)}; {m.info.clause}",
            m.info.definition,
            _pairs(m.params)
            + (f"; local: {_pairs(m.overrides)}" if m.overrides else "")
            + (f"; contract editions: {m.editions}" if m.editions else ""),
        ]
        for m in board.method
    ]
    return (
        '<section id="method"><h2>Method</h2>'
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + table(
            "Rules, their contract clauses, parameters in force and local overrides",
            ["Rule", "Side; area; clause", "Definition", "Parameters in force"],
            rows,
            numeric_from=99,
        )
        + "</section>"
    )


def _editions_note(board: Board) -> str:
    """Which NHS Standard Contract editions judged this period's obligations."""
    forced = board.policy.get("edition")
    how = (
        f"every obligation was judged under the {esc(forced)} edition (forced for this run)"
        if forced
        else "each obligation is judged under the edition in force on the date of its event "
        "(mappings/editions.toml); a rule that an edition does not contain makes no obligation"
    )
    counted = ", ".join(f"{esc(name)} ({n:,})" for name, n in board.editions.items())
    return (
        f"<strong>Contract editions.</strong> The NHS Standard Contract changes each April: "
        f"{how}. This period: {counted or 'no obligations'}."
    )


def _pairs(values: dict[str, Any]) -> str:
    """`k = v; …`, leaving out a list parameter that is not set (an empty local schedule)."""
    return "; ".join(f"{k} = {_value(v)}" for k, v in values.items() if v != [])


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)

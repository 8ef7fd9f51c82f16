"""The two reference sections of the board pack: data quality and method."""

from __future__ import annotations

from typing import Any

from adapter.board.aggregate import Board
from adapter.board.catalogue import area_label
from adapter.board.markup import esc, instant, owner_label, table
from adapter.board.tally import MIN_CASES_FOR_RATE, percent
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

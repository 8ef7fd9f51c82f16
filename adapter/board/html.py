"""The board pack as one self-contained HTML page: inline CSS, inline SVG charts, no script,
no link, no image or font fetched from anywhere, so it opens from an email attachment.

Every piece of data is escaped (`html.escape`) after masking (`privacy.mask_text`), and the
finished page is masked once more as a safety net: no full NHS number can appear in it.
"""

from __future__ import annotations

from adapter.board.aggregate import Board, OwnerSection
from adapter.board.catalogue import RuleInfo
from adapter.board.examples import Example
from adapter.board.markup import (
    STATUS_HEADERS,
    Cell,
    day,
    esc,
    instant,
    owner_label,
    table,
    tally_cells,
)
from adapter.board.page_one import page_one
from adapter.board.privacy import mask_text
from adapter.board.sections import advice_section, method_section, quality_section
from adapter.board.style import CSS
from adapter.board.tally import change_text, rate_text
from adapter.model import format_instant

WORST_ON_PAGE = 3  # per rule; the CSV and JSON carry up to ten


def render_html(board: Board) -> str:
    """The whole page."""
    parts = [
        _header(board),
        _contents(board),
        page_one(board),
        _areas(board),
        advice_section(board),
        *(_trust(board, t) for t in board.trusts),
        _practices(board),
        quality_section(board),
        _worst(board),
        method_section(board),
    ]
    page = (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(board.icb_name)}: interface report {esc(_span(board))}</title>"
        f"<style>{CSS}</style></head><body><main>{''.join(parts)}</main></body></html>\n"
    )
    return mask_text(page)


def _span(board: Board) -> str:
    return f"{day(board.period.start)} to {day(board.period.end)}"


def _header(board: Board) -> str:
    previous = f"{day(board.previous.start)} to {day(board.previous.end)}"
    return (
        f'<header><p class="kicker">{esc(board.icb_name)} · board report</p>'
        "<h1>Primary–secondary care interface</h1>"
        f'<p class="meta">Period <strong>{esc(_span(board))}</strong>, compared with '
        f"{esc(previous)}. Judged as at {esc(instant(board.as_of))} "
        f"({esc(format_instant(board.as_of))}). Policy: {esc(board.policy.get('name'))}.</p>"
        "</header>"
    )


def _contents(board: Board) -> str:
    links = [("headline", "At a glance"), ("areas", "Areas"), ("advice", "Advice and guidance")]
    links += [(f"trust-{t.rank}", owner_label(t)) for t in board.trusts]
    links += [
        ("practices", "Practice side"),
        ("quality", "Data quality"),
        ("worst", "Worst examples"),
        ("method", "Method"),
    ]
    items = "".join(f'<li><a href="#{esc(a)}">{esc(text)}</a></li>' for a, text in links)
    return f'<nav aria-label="Contents"><ul>{items}</ul></nav>'


def _areas(board: Board) -> str:
    """The areas of page one in full: every status, the previous period and the change."""
    rows = [
        [
            a.label,
            a.current.judged,
            *tally_cells(a.current),
            rate_text(a.previous),
            change_text(a.current_dated, a.previous, a.change),
        ]
        for a in [*board.areas, board.practice_side]
    ]
    return (
        '<section id="areas"><h2>The areas in detail</h2>'
        + table(
            "Met rate per Delivery Plan area (trust side) and referral completeness "
            "(practice side)",
            ["Area", "Judged", *STATUS_HEADERS, "Previous period", "Change"],
            rows,
        )
        + "</section>"
    )


def _trust(board: Board, trust: OwnerSection) -> str:
    """One trust's detail: its rules and what could not be judged (its monthly trend is in
    the CSV and JSON outputs; page one carries the ICB's)."""
    rows = [
        [f"{board.info(rule).title}", *tally_cells(tally)] for rule, tally in trust.rules.items()
    ]
    rows.append(["All rules", *tally_cells(trust.overall)])
    lead = f"Interface lead: {esc(trust.interface_lead)}. " if trust.interface_lead else ""
    change = change_text(trust.dated, trust.previous, trust.change)
    return (
        f'<section class="trust" id="trust-{trust.rank}">'
        f"<h3>{trust.rank}. {esc(owner_label(trust))}</h3>"
        f'<p class="meta">{lead}Met {esc(rate_text(trust.overall))}; change '
        f"{esc(change)}.</p>"
        + table(f"{owner_label(trust)}: obligations per rule", ["Rule", *STATUS_HEADERS], rows)
        + _quality_note(trust)
        + "</section>"
    )


def _quality_note(trust: OwnerSection) -> str:
    """Not-assessable obligations are explained once, trust by trust, in the data-quality
    table; the trust's section points there."""
    n = trust.overall.not_assessable
    if not n:
        return '<p class="ok">Every obligation of this trust could be assessed.</p>'
    return (
        f'<p class="meta">{n:,} could not be judged from the data: the reasons are in '
        '<a href="#quality">data quality</a>.</p>'
    )


def _practices(board: Board) -> str:
    rows = [
        [
            owner_label(p),
            p.overall.total,
            p.overall.met,
            p.overall.breached,
            rate_text(p.overall),
            rate_text(p.previous),
        ]
        for p in board.practices
    ]
    gaps = "".join(
        f"<li>{q.count:,} referrals: <q>{esc(q.pattern)}</q></li>" for q in board.practice_gaps
    )
    gap_list = f"<h4>What incomplete referrals lacked</h4><ul>{gaps}</ul>" if gaps else ""
    return (
        '<section id="practices"><h2>The practice side: complete referrals</h2>'
        "<p>The referee watches both sides: a practice referral should carry a reason, a "
        "priority and clinical information (rule referral-complete, SC6.8).</p>"
        + table(
            "Referral completeness per practice, best first",
            ["Practice", "Referrals", "Complete", "Incomplete", "Complete (95 % CI)", "Previous"],
            rows,
        )
        + gap_list
        + "</section>"
    )


def _worst(board: Board) -> str:
    parts = [
        '<section id="worst"><h2>Worst examples</h2><p>Up to three breaches per rule '
        "(ten in the CSV and JSON), "
        "largest shortfall first (hours late, or days of medicine missing), otherwise the "
        "most recent first. Patients are shown by the last three digits of the NHS number "
        "only.</p>"
    ]
    for rule, examples in board.worst.items():
        examples = examples[:WORST_ON_PAGE]
        parts.append(_worst_table(board.info(rule), examples))
    if not board.worst:
        parts.append("<p>No breaches in this period.</p>")
    return "".join(parts) + "</section>"


def _worst_table(rule_info: RuleInfo, examples: list[Example]) -> str:
    """One rule's examples. The practice side owes referral-complete to a trust, so the
    party columns follow the rule's side; the shortfall column shows only when measured."""
    parties = ["Practice", "Trust"] if rule_info.side == "practice" else ["Trust", "Practice"]
    measured = any(e.hours_late is not None or e.days_short is not None for e in examples)
    headers = ["#", *parties, "Patient", "Date", "Shortfall", "Evidence", "Detail"]
    rows = [_example_row(i, e) for i, e in enumerate(examples, start=1)]
    if not measured:
        headers.pop(5)
        rows = [row[:5] + row[6:] for row in rows]
    caption = f"{rule_info.title} ({rule_info.rule}, {rule_info.clause})"
    return table(caption, headers, rows, numeric_from=99)


def _example_row(index: int, example: Example) -> list[Cell]:
    return [
        index,
        example.owner,
        example.owed_to,
        example.patient,
        day(example.day) if example.day else "undated",
        example.shortfall,
        _evidence(example),
        example.detail,
    ]


def _evidence(example: Example) -> str:
    """The first piece of evidence (the CSV and JSON list them all)."""
    if not example.evidence:
        return example.subject
    more = len(example.evidence) - 1
    return example.evidence[0] + (f" and {more} more" if more else "")

"""The board pack as one self-contained HTML page: inline CSS, inline SVG charts, no script,
no link, no image or font fetched from anywhere, so it opens from an email attachment.

Every piece of data is escaped (`html.escape`) after masking (`privacy.mask_text`), and the
finished page is masked once more as a safety net: no full NHS number can appear in it.
"""

from __future__ import annotations

from adapter.board.aggregate import Board, OwnerSection
from adapter.board.catalogue import RuleInfo
from adapter.board.charts import trend_svg
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
from adapter.board.privacy import mask_text
from adapter.board.quality import QualityLine
from adapter.board.sections import method_section, quality_section
from adapter.board.style import CSS
from adapter.board.tally import Tally, percent, points
from adapter.model import format_instant

QUALITY_LINES = 5


def render_html(board: Board) -> str:
    """The whole page."""
    parts = [
        _header(board),
        _contents(board),
        _headline(board),
        _ranking(board),
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
    links = [("headline", "At a glance"), ("trusts", "Trusts ranked")]
    links += [(f"trust-{t.rank}", owner_label(t)) for t in board.trusts]
    links += [
        ("practices", "Practice side"),
        ("quality", "Data quality"),
        ("worst", "Worst examples"),
        ("method", "Method"),
    ]
    items = "".join(f'<li><a href="#{esc(a)}">{esc(text)}</a></li>' for a, text in links)
    return f'<nav aria-label="Contents"><ul>{items}</ul></nav>'


def _headline(board: Board) -> str:
    now = board.headline
    summary = (
        f'<p class="lead">Trusts owed <strong>{now.total:,}</strong> interface obligations '
        f"in the period. Of the <strong>{now.judged:,}</strong> that could be judged, "
        f"<strong>{percent(now.rate)}</strong> were met ({esc(points(board.headline_change))}"
        f" against the previous period). {now.pending:,} are still pending and "
        f"{now.not_assessable:,} could not be assessed from the data.{_undated(board)}</p>"
    )
    cards = "".join(_card(a.label, a.current, a.change) for a in board.areas)
    cards += _card(
        board.practice_side.label,
        board.practice_side.current,
        board.practice_side.change,
        practice=True,
    )
    rows = [
        [
            a.label,
            a.current.judged,
            *tally_cells(a.current),
            percent(a.previous.rate),
            points(a.change),
        ]
        for a in [*board.areas, board.practice_side]
    ]
    chart = trend_svg(
        "Met rate per Delivery Plan area by month, all trusts",
        board.trend.months,
        board.trend.series,
        "Line chart of the monthly met rate, in per cent, for each Delivery Plan area, "
        "over the previous and the reporting period.",
        prefix="icb",
        current_from=board.trend.current_from,
    )
    return (
        '<section id="headline"><h2>At a glance</h2>'
        f'{summary}<div class="cards">{cards}</div>'
        + table(
            "Met rate per Delivery Plan area (trust side) and referral completeness "
            "(practice side)",
            ["Area", "Judged", *STATUS_HEADERS, "Previous period", "Change"],
            rows,
        )
        + f"<figure>{chart}<figcaption>Monthly met rate per area, all trusts, over the "
        "previous and the reporting period. Months with nothing judged are left blank; areas "
        "with nothing judged are not drawn.</figcaption></figure></section>"
    )


def _undated(board: Board) -> str:
    if not board.undated_count or board.undated == "include":
        return ""
    return (
        f' <a href="#quality">{_count(board.undated_count, "obligation")} could not be '
        f"dated</a> and {'is' if board.undated_count == 1 else 'are'} in none of these figures."
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _card(label: str, tally: Tally, change: float | None, practice: bool = False) -> str:
    kind = " practice" if practice else ""
    return (
        f'<div class="card{kind}"><div class="label">{esc(label)}</div>'
        f'<div class="big">{esc(percent(tally.rate))}</div>'
        f'<div class="small">{tally.met:,} of {tally.judged:,} met · '
        f"{esc(points(change))}</div></div>"
    )


def _ranking(board: Board) -> str:
    rows = [
        [
            t.rank,
            owner_label(t),
            t.interface_lead or "not named",
            t.overall.judged,
            percent(t.overall.rate),
            percent(t.previous.rate),
            points(t.change),
            t.overall.pending,
            t.overall.not_assessable,
        ]
        for t in board.trusts
    ]
    return (
        '<section id="trusts"><h2>Trusts ranked by met rate</h2>'
        + table(
            "Trusts, best met rate first (met ÷ (met + breached), trust-side rules)",
            [
                "Rank",
                "Trust",
                "Interface lead",
                "Judged",
                "Met rate",
                "Previous",
                "Change",
                "Pending",
                "Not assessable",
            ],
            rows,
            numeric_from=3,
        )
        + "</section>"
    )


def _trust(board: Board, trust: OwnerSection) -> str:
    rows = [
        [f"{board.info(rule).title} ({rule})", *tally_cells(tally)]
        for rule, tally in trust.rules.items()
    ]
    rows.append(["All rules", *tally_cells(trust.overall)])
    chart = trend_svg(
        f"Met rate per area by month, {owner_label(trust)}",
        trust.trend.months,
        trust.trend.series,
        f"Line chart of the monthly met rate, in per cent, per Delivery Plan area for "
        f"{owner_label(trust)}.",
        prefix=f"t{trust.rank}",
        current_from=trust.trend.current_from,
    )
    lead = esc(trust.interface_lead) if trust.interface_lead else "not named in the policy file"
    return (
        f'<section class="trust" id="trust-{trust.rank}">'
        f"<h3>{trust.rank}. {esc(owner_label(trust))}</h3>"
        f'<p class="meta">Interface lead: {lead}. Met rate {esc(percent(trust.overall.rate))}'
        f" ({esc(points(trust.change))}).</p>"
        + table(f"{owner_label(trust)}: obligations per rule", ["Rule", *STATUS_HEADERS], rows)
        + f"<figure>{chart}<figcaption>Monthly met rate per area, {esc(owner_label(trust))}. "
        "Areas with nothing judged are not drawn.</figcaption></figure>"
        + _quality_list(board, trust.quality)
        + "</section>"
    )


def _quality_list(board: Board, lines: list[QualityLine]) -> str:
    if not lines:
        return '<p class="ok">Every obligation of this trust could be assessed.</p>'
    items = "".join(
        f"<li><strong>{esc(percent(q.share))}</strong> of {esc(board.info(q.rule).title.lower())} "
        f"obligations ({q.count:,} of {q.rule_total:,}) could not be judged: "
        f"<q>{esc(q.pattern)}</q></li>"
        for q in lines[:QUALITY_LINES]
    )
    more = len(lines) - QUALITY_LINES
    if more > 0:
        items += f'<li><a href="#quality">{more} more reasons</a> in the data-quality table</li>'
    return f'<div class="quality"><h4>What could not be judged</h4><ul>{items}</ul></div>'


def _practices(board: Board) -> str:
    rows = [
        [
            p.ods,
            p.overall.total,
            p.overall.met,
            p.overall.breached,
            percent(p.overall.rate),
            percent(p.previous.rate),
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
            ["Practice", "Referrals", "Complete", "Incomplete", "Complete rate", "Previous"],
            rows,
        )
        + gap_list
        + "</section>"
    )


def _worst(board: Board) -> str:
    parts = [
        '<section id="worst"><h2>Worst examples</h2><p>Up to ten breaches per rule, '
        "largest shortfall first (hours late, or days of medicine missing), otherwise the "
        "most recent first. Patients are shown by the last three digits of the NHS number "
        "only.</p>"
    ]
    for rule, examples in board.worst.items():
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
        ", ".join(example.evidence) or example.subject,
        example.detail,
    ]

"""Page one of the board pack, the page a board member reads in five minutes: the headline,
the four Delivery Plan areas and the practice side (each with its rate, 95 % interval,
change and n), three questions for the board, the trend and the trusts ranked.

Rates with fewer than `MIN_CASES_FOR_RATE` judged cases are shown as counts, not
percentages, so a month or a trust with two cases does not swing to 0 % or 100 %.
"""

from __future__ import annotations

from adapter.board.aggregate import AreaLine, Board, OwnerSection
from adapter.board.charts import trend_svg
from adapter.board.markup import esc, owner_label, table
from adapter.board.tally import MIN_CASES_FOR_RATE, Tally, change_text, rate_text

NOTABLE_FALL_POINTS = 5.0  # a smaller fall is not worth a board question


def page_one(board: Board) -> str:
    return (
        '<section id="headline" class="page-one"><h2>At a glance</h2>'
        + _lead(board)
        + _cards(board)
        + _asks(board)
        + _chart(board)
        + _ranking(board)
        + "</section>"
    )


def _lead(board: Board) -> str:
    now = board.headline
    change = change_text(board.headline_dated, board.headline_previous, board.headline_change)
    return (
        f'<p class="lead">Trusts owed <strong>{now.total:,}</strong> interface obligations '
        f"in the period. Of the <strong>{now.judged:,}</strong> that could be judged, "
        f"<strong>{esc(rate_text(now))}</strong> were met ({esc(change)} against the "
        f"previous period). {now.pending:,} are still pending and {now.not_assessable:,} "
        f"could not be assessed from the data.{_undated(board)}</p>"
    )


def _undated(board: Board) -> str:
    if not board.undated_count or board.undated == "include":
        return ""
    n = board.undated_count
    noun = "obligation" if n == 1 else "obligations"
    verb = "is" if n == 1 else "are"
    return f' <a href="#quality">{n:,} {noun} could not be dated</a> and {verb} in no figure.'


def _cards(board: Board) -> str:
    cards = "".join(_card(a) for a in board.areas)
    return f'<div class="cards">{cards}{_card(board.practice_side, practice=True)}</div>'


def _card(area: AreaLine, practice: bool = False) -> str:
    tally = area.current
    small = tally.judged < MIN_CASES_FOR_RATE
    big = f"{tally.met} of {tally.judged}" if small else f"{(tally.rate or 0.0) * 100:.0f} %"
    interval = "too few to rate" if small else "95 % CI " + rate_text(tally).partition(" (")[2]
    change = change_text(area.current_dated, area.previous, area.change)
    return (
        f'<div class="card{" practice" if practice else ""}"><div class="label">'
        f'{esc(area.label)}</div><div class="big">{esc(big)}</div>'
        f'<div class="small">n = {tally.judged:,} · {esc(interval.rstrip(")"))}<br>'
        f"{esc(change)}</div></div>"
    )


def asks(board: Board) -> list[str]:
    """Three questions for the board: the weakest trust, the steepest fall (or the most
    breaches), and what the data could not show."""
    rated = [t for t in board.trusts if t.overall.judged >= MIN_CASES_FOR_RATE]
    found: list[str] = []
    if rated:
        worst = min(rated, key=lambda t: (t.overall.rate or 0.0, -t.overall.judged))
        found.append(
            f"Why did {owner_label(worst)} meet only {rate_text(worst.overall)} of its "
            f"{worst.overall.judged:,} judged obligations, and what is its plan?"
        )
    found.append(_fall_or_breaches(board, rated))
    found.append(_data_gap(board))
    return found


def _fall_or_breaches(board: Board, rated: list[OwnerSection]) -> str:
    falls = [t for t in rated if t.change is not None and t.change <= -NOTABLE_FALL_POINTS]
    falls = [t for t in falls if t.previous.judged >= MIN_CASES_FOR_RATE]
    if falls:
        trust = min(falls, key=lambda t: t.change or 0.0)
        return (
            f"What changed at {owner_label(trust)}? Its met rate fell by "
            f"{abs(trust.change or 0.0):.1f} percentage points, to {rate_text(trust.overall)}."
        )
    areas = [a for a in board.areas if a.current.judged >= MIN_CASES_FOR_RATE]
    areas = areas or [a for a in board.areas if a.current.judged] or board.areas
    area = min(areas, key=lambda a: (a.current.rate or 1.0, -a.current.judged))
    return (
        f"What will reduce the {area.current.breached:,} breaches in {area.label.lower()}, "
        f"the weakest area ({_met(area.current)})?"
    )


def _met(tally: Tally) -> str:
    """`3 of 6 met` or `66.7 % (61–72 %) met`."""
    text = rate_text(tally)
    return text if text.endswith(" met") or text == "none judged" else f"{text} met"


def _data_gap(board: Board) -> str:
    gaps = [(t, q) for t in board.trusts for q in t.quality]
    if gaps:
        trust, line = max(gaps, key=lambda g: (g[1].count, g[1].share))
        noun = "obligation" if line.count == 1 else "obligations"
        return (
            f"{owner_label(trust)}: {line.count:,} {noun} could not be judged because "
            f"of how the data is recorded ({line.pattern.rstrip('.').lower()}). Who will fix "
            "the recording?"
        )
    practice = board.practice_side.current
    return (
        f"Practices sent {practice.breached:,} incomplete referrals of {practice.judged:,}: "
        "how will the ICB support them?"
    )


def _asks(board: Board) -> str:
    items = "".join(f"<li>{esc(q)}</li>" for q in asks(board))
    return f'<div class="asks"><h3>Three things to ask about</h3><ol>{items}</ol></div>'


def _chart(board: Board) -> str:
    chart = trend_svg(
        "Met rate per Delivery Plan area by month, all trusts",
        board.trend.months,
        board.trend.series,
        "Line chart of the monthly met rate, in per cent, for each Delivery Plan area, "
        "over the previous and the reporting period; each point's size shows how many "
        "obligations were judged that month.",
        prefix="icb",
        current_from=board.trend.current_from,
    )
    return (
        f"<figure>{chart}<figcaption>Monthly met rate per area, all trusts. Larger points "
        f"stand for more cases; months with fewer than {MIN_CASES_FOR_RATE} judged are drawn "
        "hollow and labelled with their n.</figcaption></figure>"
    )


def _ranking(board: Board) -> str:
    rows = [
        [
            t.rank,
            owner_label(t),
            t.overall.judged,
            rate_text(t.overall),
            change_text(t.dated, t.previous, t.change),
            t.overall.not_assessable,
        ]
        for t in board.trusts
    ]
    headers = ["Rank", "Trust", "Judged", "Met (95 % CI)", "Change", "Not assessable"]
    return table("Trusts ranked, best met rate first", headers, rows, numeric_from=2) + (
        _leads(board.trusts)
    )


def _leads(trusts: list[OwnerSection]) -> str:
    named = [f"{owner_label(t)}: {t.interface_lead}" for t in trusts if t.interface_lead]
    unnamed = [t.ods for t in trusts if not t.interface_lead]
    text = "Interface leads: " + ("; ".join(named) if named else "none named in the policy")
    if named and unnamed:
        text += f". Not named in the policy for {', '.join(unnamed)}"
    return f'<p class="meta">{esc(text)}.</p>'

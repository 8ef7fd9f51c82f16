"""Small HTML helpers shared by the board pack's sections: masked, escaped text and tables
with captions and header cells."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from adapter.board.aggregate import OwnerSection
from adapter.board.periods import LONDON
from adapter.board.privacy import mask_text
from adapter.board.tally import Tally, rate_text

Cell = object


def esc(value: object) -> str:
    """Masked and escaped text for the page."""
    return html.escape(mask_text("" if value is None else str(value)), quote=True)


def day(value: date) -> str:
    return f"{value.day} {value.strftime('%b %Y')}"


def instant(value: datetime | None) -> str:
    if value is None:
        return "–"
    local = value.astimezone(LONDON)
    return f"{day(local.date())} {local.strftime('%H:%M')}"


def table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    numeric_from: int = 1,
    raw: frozenset[int] = frozenset(),
) -> str:
    """A table with a caption and column headers; the first cell of each row is a row
    header. Columns from `numeric_from` are right-aligned; columns in `raw` hold markup
    that the caller has already escaped."""
    head = "".join(
        f'<th scope="col"{_num(i, numeric_from)}>{esc(h)}</th>' for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            text = str(cell) if i in raw else esc(_plain(cell))
            tag = "th" if i == 0 else "td"
            scope = ' scope="row"' if i == 0 else ""
            cells.append(f"<{tag}{scope}{_num(i, numeric_from)}>{text}</{tag}>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}">None in this period.</td></tr>')
    return (
        f"<table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _plain(cell: Cell) -> str:
    """A cell as text: thousands separated, an en dash for nothing."""
    if cell is None:
        return "–"
    if isinstance(cell, int) and not isinstance(cell, bool):
        return f"{cell:,}"
    return str(cell)


def _num(index: int, numeric_from: int) -> str:
    return ' class="num"' if index >= numeric_from else ""


def tally_cells(tally: Tally) -> list[Cell]:
    return [tally.met, tally.breached, tally.pending, tally.not_assessable, rate_text(tally)]


STATUS_HEADERS = ["Met", "Breached", "Pending", "Not assessable", "Met (95 % CI)"]


def owner_label(section: OwnerSection) -> str:
    return f"{section.name} ({section.ods})" if section.name else section.ods

"""The board pack's tables as CSV files in one folder, for analysts; and its data as JSON.

Files: headline.csv, trusts.csv, trend.csv, practices.csv, not_assessable.csv, worst.csv,
method.csv. Every text cell is masked like the HTML page (no full NHS number).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson

from adapter.board.aggregate import Board, OwnerSection, Trend
from adapter.board.privacy import mask_text
from adapter.board.tally import Tally

TALLY_COLUMNS = ["met", "breached", "pending", "not_assessable", "total", "rate"]


def board_json(board: Board) -> bytes:
    """The data behind the report, as indented JSON (masked)."""
    text = orjson.dumps(board.to_json(), option=orjson.OPT_INDENT_2).decode("utf-8")
    return (mask_text(text) + "\n").encode("utf-8")


def write_csv(board: Board, folder: Path) -> list[Path]:
    """Write every table into `folder` (created if missing); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "headline.csv": _headline(board),
        "trusts.csv": _owners(board.trusts),
        "trend.csv": _trend(board),
        "practices.csv": _owners(board.practices),
        "not_assessable.csv": _quality(board),
        "worst.csv": _worst(board),
        "method.csv": _method(board),
    }
    written = []
    for name, rows in tables.items():
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            for row in rows:
                writer.writerow([mask_text(c) if isinstance(c, str) else c for c in row])
        written.append(path)
    return written


def _cells(tally: Tally) -> list[object]:
    rate = Tally.rounded(tally.rate)
    return [tally.met, tally.breached, tally.pending, tally.not_assessable, tally.total, rate]


def _headline(board: Board) -> Iterable[Sequence[object]]:
    yield ["area", "label", *TALLY_COLUMNS, "previous_rate", "change_points"]
    yield [
        "all-trust-rules",
        "All trust-side rules",
        *_cells(board.headline),
        _rate(board.headline_previous),
        board.headline_change,
    ]
    for line in [*board.areas, board.practice_side]:
        yield [line.area, line.label, *_cells(line.current), _rate(line.previous), line.change]


def _rate(tally: Tally) -> float | None:
    return Tally.rounded(tally.rate)


def _owners(sections: list[OwnerSection]) -> Iterable[Sequence[object]]:
    yield ["rank", "ods", "name", "interface_lead", "rule", *TALLY_COLUMNS, "previous_rate"]
    for s in sections:
        head = [s.rank, s.ods, s.name, s.interface_lead]
        for rule, tally in s.rules.items():
            yield [*head, rule, *_cells(tally), None]
        yield [*head, "all", *_cells(s.overall), _rate(s.previous)]


def _trend(board: Board) -> Iterable[Sequence[object]]:
    yield ["scope", "area", "month", *TALLY_COLUMNS]
    yield from _trend_rows("all-trusts", board.trend)
    for section in board.trusts:
        yield from _trend_rows(section.ods, section.trend)


def _trend_rows(scope: str, trend: Trend) -> Iterable[Sequence[object]]:
    for area, tallies in trend.series.items():
        for month, tally in zip(trend.months, tallies, strict=True):
            yield [scope, area, month.isoformat()[:7], *_cells(tally)]


def _quality(board: Board) -> Iterable[Sequence[object]]:
    yield ["owner", "rule", "reason", "count", "of", "share"]
    for section in [*board.trusts, *board.practices]:
        for q in section.quality:
            yield [section.ods, q.rule, q.pattern, q.count, q.rule_total, round(q.share, 4)]


def _worst(board: Board) -> Iterable[Sequence[object]]:
    columns = [
        "rule",
        "position",
        "owner",
        "owed_to",
        "patient",
        "date",
        "due",
        "fulfilled_at",
        "hours_late",
        "days_short",
        "shortfall",
        "subject",
        "evidence",
        "detail",
    ]
    yield columns
    for rule, examples in board.worst.items():
        for position, example in enumerate(examples, start=1):
            data = example.to_json()
            data["evidence"] = " ".join(example.evidence)
            yield [rule, position, *(data[c] for c in columns[2:])]


def _method(board: Board) -> Iterable[Sequence[object]]:
    yield ["rule", "title", "side", "area", "clause", "definition", "parameters", "overrides"]
    for m in board.method:
        i = m.info
        yield [
            i.rule,
            i.title,
            i.side,
            i.area,
            i.clause,
            i.definition,
            json.dumps(m.params, sort_keys=True),
            json.dumps(m.overrides, sort_keys=True),
        ]

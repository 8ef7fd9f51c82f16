"""The ICB board pack (`referee report`): obligations → tables → one self-contained HTML
page, CSV files or JSON.

    aggregate.build_board   obligations, period, as-of → Board (every table and figure)
    html.render_html        Board → the page (inline CSS and SVG, nothing fetched)
    csv_out.write_csv       Board → a folder of CSV files
    csv_out.board_json      Board → JSON bytes
"""

from __future__ import annotations

from adapter.board.aggregate import Board, Options, build_board
from adapter.board.csv_out import board_json, write_csv
from adapter.board.html import render_html
from adapter.board.periods import Period

__all__ = ["Board", "Options", "Period", "board_json", "build_board", "render_html", "write_csv"]

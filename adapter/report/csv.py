"""`--format csv`: one row per obligation, the fields of rules.md §4 in that order, then the
contract edition that judged it (docs/contract.md §11.4).

RFC 4180: a header row, comma separated, `"` quoting where needed (doubled inside a field),
CRLF line ends, UTF-8 without a byte-order mark. A null field is empty; `evidence` is the
list of references joined by `;` (an empty field when there is none). Instants are ISO 8601
UTC with a `Z`, as in the JSON output.

Values are written as they are, so that the file reads back exactly; a spreadsheet user who
opens a file built from untrusted input should import it as text (a field such as a patient
reference could begin with `=`).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from adapter.model import Result

FIELDS: tuple[str, ...] = (
    "rule",
    "status",
    "subject",
    "patient",
    "owner",
    "owed_to",
    "due",
    "fulfilled_at",
    "evidence",
    "detail",
    "domain4",
    "clause",
    "edition",  # the contract edition that judged it: an extension (docs/contract.md §11.4)
)

EVIDENCE_SEPARATOR = ";"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return EVIDENCE_SEPARATOR.join(value)
    return str(value)


def render(result: Result) -> bytes:
    """The obligations of `result` as CSV bytes (header row first)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for obligation in result.obligations:
        row = obligation.to_json()
        writer.writerow([_cell(row[name]) for name in FIELDS])
    return buffer.getvalue().encode("utf-8")

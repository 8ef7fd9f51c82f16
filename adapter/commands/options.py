"""The options several sub-commands share, parsed one way everywhere, and the checks that
stop a run before any long work when its paths or output cannot be right.

Every user error is an `UsageError` whose message names the thing and the fix; the CLI
prints it as one line on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from adapter.errors import UsageError
from adapter.instants import LONDON, parse_instant

URLS = ("http://", "https://")  # a FHIR server's base, pulled (commands/pull.py)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
AS_OF_HELP = (
    "judge as if run at this instant: 2025-03-31T17:00:00Z, a local time "
    "2025-03-31T17:00:00 (Europe/London), or a date 2025-03-31 (00:00 Europe/London "
    "that day); default now"
)


def as_of_value(text: str) -> datetime:
    """`--as-of`: an instant, a zone-less local time or a date, as rules.md §3 reads them."""
    value = parse_instant(text) if _DATE.fullmatch(text) or _DATETIME.fullmatch(text) else None
    if value is None:
        raise argparse.ArgumentTypeError(
            f"expected an instant such as 2025-03-31T17:00:00Z or a date such as 2025-03-31, "
            f"got {text!r}"
        )
    return value


def day_value(text: str) -> date:
    """`--from` / `--to`: a calendar date."""
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected a date such as 2025-03-31, got {text!r}")


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return int(text)


class _AsOf(argparse.Action):
    """Keeps the instant in `as_of` and the text as typed in `as_of_text` (to show back)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, *_: Any
    ) -> None:
        try:
            setattr(namespace, self.dest, as_of_value(str(values)))
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentError(self, str(exc)) from None
        namespace.as_of_text = str(values)


def add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", action=_AsOf, metavar="INSTANT", help=AS_OF_HELP)
    parser.set_defaults(as_of_text=None)


def add_out(
    parser: argparse.ArgumentParser, metavar: str, help: str, *, old: str | None = None
) -> None:
    """`--out`/`-o`, the one spelling of every command; `old` is a former spelling kept
    working but hidden from the help."""
    parser.add_argument("--out", "-o", dest="out", metavar=metavar, help=help)
    if old:
        parser.add_argument(old, dest="out", help=argparse.SUPPRESS)


def add_allow_empty(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 or 1 even when no resource was accepted (default: that is an error, exit 2)",
    )


def say_as_of(text: str | None, value: datetime | None) -> None:
    """Show the instant a date or local time became, in UTC, so nobody has to guess."""
    if text is None or value is None or text.endswith("Z") or text.endswith("+00:00"):
        return
    shown = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    local = value.astimezone(LONDON).strftime("%H:%M %Z")
    sys.stderr.write(f"referee: --as-of {text} is {shown} ({local} in Europe/London)\n")


def check_inputs(paths: Sequence[str]) -> list[str]:
    """Missing paths (standard input aside), found before anything is read. When none of
    the paths exists that is a usage error; otherwise each missing one is said at once on
    stderr and the others are read (rules.md §7: a bad input never stops the run; it is
    reported, as an unreadable file, in the output too). Returns the missing paths."""
    missing = [p for p in paths if p != "-" and not p.startswith(URLS) and not os.path.exists(p)]
    for path in missing:
        message = (
            f"{path}: no such file or folder; give a FHIR file, a folder of them, or - for "
            "standard input"
        )
        if len(missing) == len(paths):
            raise UsageError(message)
        sys.stderr.write(f"referee: {message} (the other paths are read)\n")
    return missing


def check_output_file(out: str | None, option: str = "--out") -> None:
    """An output file can be written: its folder exists and is writable, and it is not a
    folder itself. Checked before the run, so a long check is not thrown away."""
    if out is None or out == "-":
        return
    path = Path(out)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"{option} {out}: is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"{option} {out}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"{option} {out}: cannot write there; choose a writable place")


def check_output_folder(out: str, option: str = "--out") -> None:
    """An output folder (CSV tables): it, or the folder it will be made in, is writable."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {out}: is a file; --format csv writes a folder of tables")
    target = path if path.exists() else path.parent if str(path.parent) else Path(".")
    if not target.is_dir():
        raise UsageError(f"{option} {out}: the folder {target} does not exist; create it first")
    if not os.access(target, os.W_OK):
        raise UsageError(f"{option} {out}: cannot write there; choose a writable place")

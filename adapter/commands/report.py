"""`referee report`: the ICB board pack, from FHIR files or from the service's database."""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapter.commands import outcome
from adapter.commands.options import (
    add_allow_empty,
    add_as_of,
    add_out,
    check_inputs,
    check_output_file,
    check_output_folder,
    day_value,
    say_as_of,
)
from adapter.commands.progress import terminal_progress
from adapter.errors import PolicyError, UsageError

DESCRIPTION = """\
Build the ICB board pack for a period. Page one: the met rate of each Delivery Plan area
and of the practice side (complete referrals), each with its 95 % interval, its change
against the previous period of the same length and its n (counts, not percentages, under
10 cases), three questions for the board, the trend and the trusts ranked. Then each
trust, the practices, what could not be judged and why, the worst examples with their
evidence (patients masked to the last three digits of the NHS number) and the method.
Organisations are named from the data (Organization.name) or the policy.

An obligation belongs to the date (in England) of its due time, else of its fulfilment
time, else of the event that made it (the letter sent, the request or prescription
authored, the attendance). Obligations with none of these are 'undated': left out of the
figures and counted under data quality (--undated include counts them in the period, never
in the previous period or the trend).

The HTML page is self-contained (inline CSS and SVG charts, nothing fetched), so it can
be emailed; --format pdf prints it at A4 with headless Chromium. --format csv writes the
same tables as CSV files into the --out folder; --format json writes the data behind the
report. A period with no obligations in it is an error (exit 2) unless --allow-empty."""

EPILOG = """\
examples:
  referee report exports/ --from 2026-01-01 --to 2026-03-31 --policy icb.toml \\
      --icb-name "Example ICB" --out board.html
  referee report --database-url sqlite:///referee.sqlite --from 2026-01-01 --to 2026-03-31 \\
      --format csv --out board-tables/
  referee report exports/ --from 2026-01-01 --to 2026-03-31 --format pdf --out board.pdf"""

DEFAULT_OUT = {
    "html": "report.html",
    "pdf": "report.pdf",
    "json": "report.json",
    "csv": "report-csv",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="the ICB board pack (HTML, PDF, CSV tables or JSON) for a period",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="FHIR files or folders")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="read obligations from the store of `referee serve` (sqlite:///referee.sqlite, "
        "postgresql+psycopg://user@host/db) instead of PATH...",
    )
    parser.add_argument(
        "--from",
        dest="start",
        required=True,
        type=day_value,
        metavar="DATE",
        help="first day of the period (YYYY-MM-DD, included)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        required=True,
        type=day_value,
        metavar="DATE",
        help="last day of the period (YYYY-MM-DD, included)",
    )
    add_as_of(parser)
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="local policy (TOML); [trusts.<ODS>] name and interface_lead label the trusts",
    )
    parser.add_argument(
        "--icb-name",
        default="Integrated Care Board",
        metavar="NAME",
        help="the ICB named in the report heading",
    )
    parser.add_argument(
        "--format",
        choices=("html", "pdf", "csv", "json"),
        default="html",
        help="html (default), pdf (the same page printed at A4 by headless Chromium), "
        "csv (a folder of tables) or json",
    )
    add_out(
        parser,
        "PATH",
        "output file (html, pdf, json; '-' for standard output) or folder (csv); "
        "default report.html, report.pdf, report.json or report-csv/",
    )
    parser.add_argument(
        "--undated",
        choices=("include", "exclude"),
        default="exclude",
        help="obligations that cannot be dated: leave them out (default) or count them "
        "in the period",
    )
    add_allow_empty(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from adapter.board import Options

    out = args.out or DEFAULT_OUT[args.format]
    _check_usage(args, out)
    say_as_of(args.as_of_text, args.as_of)
    policy = _policy(args.policy)
    trusts = _trusts(policy, args.policy)
    options = Options(icb_name=args.icb_name, undated=args.undated, trusts=trusts, policy=policy)
    if args.database_url:
        board, unreadable = _board_from_database(args, options), 0
    else:
        board, unreadable = _board_from_paths(args, options)
    if not args.allow_empty and _period_is_empty(board):
        raise UsageError(
            f"no obligations fall in {args.start} to {args.end} ({board.outside_count:,} "
            "are dated outside it and the period before it); check --from and --to, or pass "
            "--allow-empty"
        )
    try:
        _write(board, args.format, out)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write it ({exc.strerror or exc})") from exc
    return 2 if unreadable else 0  # as `referee check`: a file that could not be read


def _board_from_database(args: argparse.Namespace, options: Any) -> Any:
    """The board from the service's store, organisations named from its Organizations."""
    from adapter.board import Period, build_board
    from adapter.board.names import stored_names, with_names

    obligations = _from_database(args.database_url, args.as_of)
    _refuse_empty(args, len(obligations), f"the store at {args.database_url}")
    named = replace(options, trusts=with_names(options.trusts, stored_names(args.database_url)))
    period = Period(args.start, args.end)
    return build_board(obligations, period, args.as_of or datetime.now(UTC), named)


def _board_from_paths(args: argparse.Namespace, options: Any) -> tuple[Any, int]:
    """The board from FHIR files, and how many files could not be read at all."""
    from adapter.board import Period, build_board
    from adapter.board.names import with_names

    result, names = _from_paths(args.paths, args.as_of, options.policy, args.missing)
    empty = None if args.allow_empty else outcome.nothing_accepted(result, args.paths)
    if empty:
        raise UsageError(empty)
    named = replace(options, trusts=with_names(options.trusts, names))
    period = Period(args.start, args.end)
    board = build_board(
        result.obligations,
        period,
        result.as_of,
        named,
        inputs=result.counts,
        issues=result.issues,
        reported=getattr(result, "reported", None),  # the A&G and rejection counts
    )
    return board, result.unreadable_files


def _check_usage(args: argparse.Namespace, out: str) -> None:
    """Everything that can be wrong with the arguments, before anything is read."""
    if args.start > args.end:
        raise UsageError(f"--from {args.start} is after --to {args.end}; swap them")
    if bool(args.paths) == bool(args.database_url):
        raise UsageError("give either PATH... or --database-url, not both and not neither")
    args.missing = check_inputs(args.paths)
    if args.database_url:
        check_database_url(args.database_url)
    if args.format == "csv":
        check_output_folder(out)
    else:
        check_output_file(out)
    if args.format == "pdf":
        from adapter.board.pdf import find_chromium

        find_chromium()


def _refuse_empty(args: argparse.Namespace, count: int, where: str) -> None:
    if not count and not args.allow_empty:
        raise UsageError(
            f"no obligations in {where}; check the URL (is it the database `referee serve` "
            "writes?), or pass --allow-empty"
        )


def _period_is_empty(board: Any) -> bool:
    return not board.headline.total and not board.practice_side.current.total


def check_database_url(url: str) -> None:
    """A URL SQLAlchemy can open and, for SQLite, a file that exists: reading a mistyped
    path must not create an empty database and report on it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(
            f"--database-url {url!r}: not a database URL; expected e.g. "
            "sqlite:///referee.sqlite or postgresql+psycopg://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise UsageError(
            f"--database-url {url}: {backend} is not supported; use sqlite:///FILE or "
            "postgresql+psycopg://user@host/db"
        )
    if backend == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        raise UsageError(
            f"--database-url {url}: no such database file {parsed.database or '(none given)'}; "
            "give the file `referee serve` writes (default sqlite:///referee.sqlite)"
        )


def _write(board: Any, kind: str, out: str) -> None:
    from adapter.board import board_json, render_html, write_csv

    if kind == "csv":
        files = write_csv(board, Path(out))
        _say(f"referee report: wrote {len(files)} CSV files to {out}")
        return
    if kind == "pdf":
        from adapter.board.pdf import html_to_pdf

        data = html_to_pdf(render_html(board))
    else:
        data = render_html(board).encode("utf-8") if kind == "html" else board_json(board)
    if out == "-":
        sys.stdout.buffer.write(data)
        return
    Path(out).write_bytes(data)
    _say(
        f"referee report: wrote {out} ({board.headline.total:,} trust obligations, "
        f"{len(board.trusts)} trusts, {len(board.practices)} practices)"
    )


def _from_paths(
    paths: list[str], as_of: datetime | None, policy: Any, missing: list[str]
) -> tuple[Any, dict[str, str]]:
    """The engine's result for `paths`, exactly as `referee check` judges them, noting
    organisation names as the resources stream past, so the input is read once."""
    from adapter.board.names import OrganisationNames
    from adapter.engine import run
    from adapter.ingest import Limits, read_paths

    names = OrganisationNames()
    with terminal_progress() as progress:
        items = names.watch(read_paths(paths, Limits()))
        result = run(items, as_of=as_of, policy=policy, progress=progress)
    outcome.fatal_files(result, said=missing)
    outcome.warn_rejected(result)
    return result, names


def _from_database(url: str, as_of: datetime | None) -> list[Any]:
    from adapter.store import load_obligations, said_plainly

    with said_plainly(url):
        return list(load_obligations(url, as_of=as_of))


def _policy(path: str | None) -> Any:
    from adapter.policy import load_policy

    return load_policy(path)


def _trusts(policy: Any, path: str | None) -> dict[str, dict[str, str]]:
    """Trust names and interface leads: from the loaded policy, or from the file itself."""
    found = getattr(policy, "trusts", None)
    if found is not None or path is None:
        return dict(found or {})
    try:
        with open(path, "rb") as handle:
            table = tomllib.load(handle).get("trusts", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read the [trusts] table: {exc}") from exc
    return {str(k): {kk: str(vv) for kk, vv in v.items()} for k, v in table.items()}


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")

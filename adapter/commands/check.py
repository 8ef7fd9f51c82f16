"""`referee check`: evaluate FHIR files and report the obligations (rules.md §7)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapter.engine import check
from adapter.instants import parse_instant
from adapter.model import Result
from adapter.policy import load_policy
from adapter.report import FORMATS, write_report

EXIT_OK, EXIT_BREACH, EXIT_BAD_INPUT = 0, 1, 2

DESCRIPTION = """\
Read FHIR R4 resources (JSON, XML, NDJSON or Bundles of any type; files, folders read
recursively, or - for standard input), build the interface obligations and judge them.

exit codes:
  0  no breach
  1  at least one breach
  2  bad usage, an unreadable file, or (with --strict) any rejected resource
  3  an internal error (a bug), with a traceback
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="evaluate FHIR files against the interface rules",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a file, a folder (read recursively) or - for standard input",
    )
    parser.add_argument(
        "--as-of",
        type=as_of_instant,
        metavar="INSTANT",
        help="judge as if run at this instant (FHIR dateTime; default: now)",
    )
    parser.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="local policy (TOML) overriding rule parameters, phrases and codes",
    )
    parser.add_argument(
        "--format", choices=list(FORMATS), default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="write the report here instead of standard output",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 2 when any resource is rejected"
    )
    parser.add_argument(
        "--validate",
        choices=["rules", "full"],
        default="rules",
        help="rules: check the fields the rules read (fast, default); "
        "full: also validate every element against FHIR R4",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        default=1,
        metavar="N",
        help="read and translate files in N processes (default 1)",
    )
    parser.set_defaults(run=run)


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes ≥ 1, got {text!r}")
    return int(text)


def as_of_instant(text: str) -> datetime:
    value = parse_instant(text)
    if value is None:
        raise argparse.ArgumentTypeError(
            f"expected a FHIR dateTime such as 2024-03-01T12:00:00Z, got {text!r}"
        )
    return value


def run(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    result = check(
        args.paths,
        progress=_progress if sys.stderr.isatty() else None,
        as_of=args.as_of or datetime.now(UTC),
        policy=policy,
        validate=args.validate,
        jobs=args.jobs,
    )
    if args.output:
        with args.output.open("wb") as stream:
            write_report(args.format, result, stream)
    else:
        write_report(args.format, result, sys.stdout.buffer)
        sys.stdout.flush()
    return exit_code(result, strict=args.strict)


def _progress(received: int) -> None:
    sys.stderr.write(f"referee: {received:,} resources read…\n")


def exit_code(result: Result, *, strict: bool) -> int:
    """rules.md §7: when several apply, the highest wins."""
    if result.unreadable_files or (strict and result.counts.rejected):
        return EXIT_BAD_INPUT
    return EXIT_BREACH if result.breached else EXIT_OK

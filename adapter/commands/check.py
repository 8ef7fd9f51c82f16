"""`referee check`: evaluate FHIR files and report the obligations (rules.md §7)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapter.commands import outcome
from adapter.commands.options import (
    add_allow_empty,
    add_as_of,
    add_out,
    check_inputs,
    check_output_file,
    positive_int,
    say_as_of,
)
from adapter.commands.progress import terminal_progress
from adapter.commands.pull import add_source_options, fetch, is_url, options_from
from adapter.errors import UsageError
from adapter.report import FORMATS, write_report

if TYPE_CHECKING:  # the engine is imported in run(), so that `referee check --help` is quick
    from adapter.model import Result
    from adapter.policy import Policy

EXIT_OK, EXIT_BREACH, EXIT_BAD_INPUT = 0, 1, 2

DESCRIPTION = """\
Read FHIR R4 resources (JSON, XML, NDJSON or Bundles of any type; files, folders read
recursively, - for standard input, or a FHIR server's base URL, fetched as `referee pull`
does into a temporary folder), build the interface obligations and judge them.

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
        help="a file, a folder (read recursively), - for standard input, or a FHIR "
        "server's http(s) base URL (see the options for pulling)",
    )
    add_as_of(parser)
    parser.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="local policy (TOML) overriding rule parameters, phrases and codes",
    )
    parser.add_argument(
        "--edition",
        type=contract_edition,
        metavar="EDITION",
        help="judge every event under this NHS Standard Contract edition (e.g. 2025/26) "
        "instead of the one in force at its date (mappings/editions.toml)",
    )
    parser.add_argument(
        "--format", choices=list(FORMATS), default="table", help="output format (default: table)"
    )
    add_out(parser, "FILE", "write the report here instead of standard output", old="--output")
    parser.add_argument(
        "--strict", action="store_true", help="exit 2 when any resource is rejected"
    )
    add_allow_empty(parser)
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
        help="read, translate, link and judge in N processes (default 1)",
    )
    add_source_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from adapter.policy import load_policy

    missing = check_inputs(args.paths)
    check_output_file(args.out)
    policy = load_policy(args.policy).forcing(args.edition)
    say_as_of(args.as_of_text, args.as_of)
    if not any(is_url(p) for p in args.paths):
        result = _check(args, args.paths, policy)
    else:  # each URL pulled into a temporary folder first, which is checked like any other
        with tempfile.TemporaryDirectory(prefix="referee-pull-") as scratch:
            paths = list(args.paths)
            for n, path in enumerate(paths):
                if is_url(path):
                    paths[n] = str(Path(scratch) / f"source-{n + 1}")
                    fetch(options_from(args, path, Path(paths[n])))
            result = _check(args, paths, policy)
    outcome.fatal_files(result, said=missing)
    outcome.warn_rejected(result, always=args.strict)
    empty = None if args.allow_empty else outcome.nothing_accepted(result, args.paths)
    code = EXIT_BAD_INPUT if empty else exit_code(result, strict=args.strict)
    _write(args, result, code)
    if empty:
        raise UsageError(empty)
    return code


def _check(args: argparse.Namespace, paths: Sequence[str], policy: Policy) -> Result:
    from adapter.engine import check

    with terminal_progress() as progress:
        return check(
            paths,
            progress=progress,
            as_of=args.as_of or datetime.now(UTC),
            policy=policy,
            validate=args.validate,
            jobs=args.jobs,
        )


def _write(args: argparse.Namespace, result: Result, code: int) -> None:
    """The report, and under the table what its exit code means."""
    verdict = f"\n{outcome.verdict(code)}\n".encode() if args.format == "table" else b""
    if args.out and args.out != "-":
        with open(args.out, "wb") as stream:
            write_report(args.format, result, stream)
            stream.write(verdict)
    else:
        write_report(args.format, result, sys.stdout.buffer)
        sys.stdout.buffer.write(verdict)
        sys.stdout.flush()


def contract_edition(text: str) -> str:
    """An edition named in mappings/editions.toml (argparse: else exit 2 naming them)."""
    from adapter.editions import editions

    try:
        return editions().check(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def exit_code(result: Result, *, strict: bool) -> int:
    """rules.md §7: when several apply, the highest wins."""
    if result.unreadable_files or (strict and result.counts.rejected):
        return EXIT_BAD_INPUT
    return EXIT_BREACH if result.breached else EXIT_OK

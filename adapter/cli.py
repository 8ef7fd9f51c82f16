"""`referee`: arguments → pipeline → exit code; nothing else.

Each sub-command lives in `adapter/commands/<name>.py` with `register(subparsers)` (adds its
parser, with help) and `run(args) -> int`. Exit codes (rules.md §7): 0 no breach, 1 a breach,
2 bad usage or unreadable input, 3 an internal error (a bug), with a traceback.

Only the invoked sub-command is imported: `referee --help` lists the commands from `COMMANDS`
without importing any of them (the service and report commands pull in SQLAlchemy and
matplotlib), so every `--help` answers in well under half a second.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from adapter.errors import AdapterError

# name → the one-line help `referee --help` shows (a test keeps it equal to each command's).
COMMANDS: dict[str, str] = {
    "check": "evaluate FHIR files against the interface rules",
    "rules": "list the interface rules, or document one",
    "synth": "generate synthetic ICB FHIR data with known obligations (for tests, benchmarks)",
    "serve": "run the FHIR endpoint (stores resources, keeps obligations live)",
    "keys": "create, list and revoke API keys for `referee serve`",
    "pull": "fetch FHIR traffic from a FHIR server (Bulk export or search) into a folder",
    "report": "the ICB board pack (HTML, PDF, CSV tables or JSON) for a period",
    "completion": "print a shell completion script (bash or zsh)",
}

EXIT_OK, EXIT_BREACH, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a tool cut off by `| head`


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage, which is our code for it too; the message is one line
    on stderr naming the argument, with where to look for the fix."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message}; see '{self.prog} --help'\n")


class _Version(argparse.Action):
    """`--version`, read from the installed package only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import version

        sys.stdout.write(f"referee {version('interface-referee')}\n")
        parser.exit(0)


def build_parser(only: str | None = None, *, full: bool = False) -> argparse.ArgumentParser:
    """The `referee` parser. With `only`, that sub-command's parser is built from its module;
    with `full`, every one is (for shell completion and the docs test); otherwise the
    commands are listed by name and help alone."""
    parser = _Parser(
        prog="referee",
        description=(
            "Interface Referee: reads FHIR R4 traffic between GP practices and hospital "
            "trusts and reports the interface obligations (NHS Standard Contract, Delivery "
            "Plan 2023) as met, breached, pending or not assessable."
        ),
        epilog="Run 'referee COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_line in COMMANDS.items():
        if full or name == only:
            importlib.import_module(f"adapter.commands.{name}").register(sub)
        else:
            sub.add_parser(name, help=help_line, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        build_parser().print_help(sys.stderr)
        return EXIT_USAGE
    parser = build_parser(argv[0] if argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except AdapterError as exc:
        print(f"referee: {exc.message}", file=sys.stderr)  # noqa: T201
        for issue in (i for i in exc.issues if i.message != exc.message):
            print(f"  {issue.location.describe()}: {issue.message}", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _pipe_closed()
    except Exception:
        traceback.print_exc()
        sys.stderr.write(
            "referee: internal error (a bug); please report it with the traceback above\n"
        )
        return EXIT_BUG
    return code


def _pipe_closed() -> int:
    """The reader of standard output went away (`referee check ... | head`): stop quietly,
    as Unix tools do. Standard output is pointed at /dev/null so that the interpreter's
    final flush does not raise again (the recipe of the Python signal documentation)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_PIPE_CLOSED


def entry() -> None:
    sys.exit(main())

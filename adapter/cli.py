"""`referee`: arguments → pipeline → exit code; nothing else.

Each sub-command lives in `adapter/commands/<name>.py` with `register(subparsers)` (adds its
parser, with help) and `run(args) -> int`. Exit codes (rules.md §7): 0 no breach, 1 a breach,
2 bad usage or unreadable input, 3 an internal error (a bug), with a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Sequence

from adapter.errors import AdapterError

COMMANDS = ("check", "rules", "synth", "serve", "keys", "report")

EXIT_OK, EXIT_BREACH, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a tool cut off by `| head`


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage by itself, which is our code for it too."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The `referee` parser. With `only`, just that sub-command is imported: the service
    and report commands pull in SQLAlchemy and matplotlib, which `check` does not need."""
    parser = _Parser(
        prog="referee",
        description=(
            "Interface Referee: reads FHIR R4 traffic between GP practices and hospital "
            "trusts and reports the interface obligations (NHS Standard Contract, Delivery "
            "Plan 2023) as met, breached, pending or not assessable."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS if only is None else (only,):
        module = f"adapter.commands.{name}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
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

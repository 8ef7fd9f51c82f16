"""`referee report`: the ICB board pack, from FHIR files or from the service's database."""

from __future__ import annotations

import argparse
import sys
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from adapter.errors import PolicyError, UsageError

DESCRIPTION = """\
Build the ICB board pack for a period: met rates per Delivery Plan area and per trust,
the change against the previous period of the same length, the practice side (complete
referrals), what could not be judged and why, the worst examples with their evidence
(patients masked to the last three digits of the NHS number) and the method.

An obligation belongs to the date (in England) of its due time, else of its fulfilment
time, else of the event that made it (the letter sent, the request or prescription
authored, the attendance). Obligations with none of these are 'undated': left out of the
figures and counted under data quality (--undated include counts them in the period, never
in the previous period or the trend).

The HTML page is self-contained (inline CSS and SVG charts, nothing fetched), so it can
be emailed. --format csv writes the same tables as CSV files into the --out folder;
--format json writes the data behind the report."""

EPILOG = """\
examples:
  referee report exports/ --from 2026-01-01 --to 2026-03-31 --policy icb.toml \\
      --icb-name "Example ICB" --out board.html
  referee report --database-url sqlite:///referee.db --from 2026-01-01 --to 2026-03-31 \\
      --format csv --out board-tables/"""

DEFAULT_OUT = {"html": "report.html", "json": "report.json", "csv": "report-csv"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="the ICB board pack (self-contained HTML, CSV tables or JSON) for a period",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="FHIR files or folders")
    parser.add_argument("--database-url", help="read obligations from the service database")
    parser.add_argument(
        "--from",
        dest="start",
        required=True,
        type=_date,
        metavar="DATE",
        help="first day of the period (YYYY-MM-DD, included)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        required=True,
        type=_date,
        metavar="DATE",
        help="last day of the period (YYYY-MM-DD, included)",
    )
    parser.add_argument(
        "--as-of",
        metavar="INSTANT",
        help="judge as at this instant (default now); a time without a zone is Europe/London",
    )
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
        choices=("html", "csv", "json"),
        default="html",
        help="html (default), csv (a folder of tables) or json",
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="output file (html, json; '-' for standard output) or folder "
        "(csv); default report.html, report.json or report-csv/",
    )
    parser.add_argument(
        "--undated",
        choices=("include", "exclude"),
        default="exclude",
        help="obligations that cannot be dated: leave them out (default) or count them "
        "in the period",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from adapter.board import Options, Period, build_board

    if args.start > args.end:
        raise UsageError(f"--from {args.start} is after --to {args.end}")
    if bool(args.paths) == bool(args.database_url):
        raise UsageError("give either PATH... or --database-url, not both and not neither")
    as_of = _instant(args.as_of) if args.as_of else None
    policy = _policy(args.policy)
    options = Options(
        icb_name=args.icb_name,
        undated=args.undated,
        trusts=_trusts(policy, args.policy),
        policy=policy,
    )
    period = Period(args.start, args.end)
    if args.database_url:
        obligations = _from_database(args.database_url, as_of)
        board = build_board(obligations, period, as_of or datetime.now(UTC), options)
    else:
        result = _from_paths(args.paths, as_of, policy)
        board = build_board(
            result.obligations,
            period,
            result.as_of,
            options,
            inputs=result.counts,
            issues=result.issues,
        )
    out = args.out or DEFAULT_OUT[args.format]
    try:
        _write(board, args.format, out)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write it ({exc.strerror or exc})") from exc
    return 0


def _write(board: Any, kind: str, out: str) -> None:
    from adapter.board import board_json, render_html, write_csv

    if kind == "csv":
        files = write_csv(board, Path(out))
        _say(f"referee report: wrote {len(files)} CSV files to {out}")
        return
    data = render_html(board).encode("utf-8") if kind == "html" else board_json(board)
    if out == "-":
        sys.stdout.buffer.write(data)
        return
    Path(out).write_bytes(data)
    _say(
        f"referee report: wrote {out} ({board.headline.total:,} trust obligations, "
        f"{len(board.trusts)} trusts, {len(board.practices)} practices)"
    )


def _from_paths(paths: list[str], as_of: datetime | None, policy: Any) -> Any:
    """The engine's result for `paths`, exactly as `referee check` judges them."""
    from adapter.engine import check

    return check(paths, as_of=as_of, policy=policy)


def _from_database(url: str, as_of: datetime | None) -> list[Any]:
    from adapter.store import load_obligations

    return list(load_obligations(url, as_of=as_of))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _instant(text: str) -> datetime:
    from adapter.instants import parse_instant

    value = parse_instant(text)
    if value is None:
        raise UsageError(
            f"--as-of: expected an instant such as 2026-03-31T17:00:00Z or a date, got {text!r}"
        )
    return value


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

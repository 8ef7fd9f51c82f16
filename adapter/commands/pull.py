"""`referee pull`: fetch FHIR traffic from a server (Bulk export or paged search) into a
folder that `referee check` reads; a rerun continues where the last one stopped. The
options that say where and how to connect are shared with `referee check URL`."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapter.commands.options import URLS, as_of_value, positive_int
from adapter.errors import AdapterError, UsageError

if TYPE_CHECKING:  # the client (requests, PyJWT) is imported when a pull runs
    from adapter.pull import PullOptions
    from adapter.pull.run import Pulled

TOKEN_ENV = "REFEREE_PULL_TOKEN"  # noqa: S105 (the variable's name, not a token)

DESCRIPTION = """\
Fetch FHIR resources from a FHIR server into a folder: a Bulk Data $export (kick-off, poll,
download, gzip) when the server offers one, else a search per --type following its next
links. The folder gets one NDJSON file per export file or search page and a manifest.json of
what was fetched; run the same command again to continue a pull that stopped (nothing is
fetched twice). Then: referee check DIR.

exit codes:
  0  everything asked for was fetched
  2  bad usage, or the server could not be used (one line on stderr says why); run again
     to continue
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pull",
        help="fetch FHIR traffic from a FHIR server (Bulk export or search) into a folder",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", metavar="URL", help="the server's FHIR base URL")
    parser.add_argument(
        "--out", "-o", required=True, metavar="DIR", help="the folder to fetch into"
    )
    add_source_options(parser)
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(run=run)


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """What to fetch and how to connect (`pull`, and `check` given a URL)."""
    what = parser.add_argument_group("what to fetch")
    what.add_argument(
        "--since",
        type=as_of_value,
        metavar="INSTANT",
        help="only resources changed since this instant (Bulk _since, search _lastUpdated)",
    )
    what.add_argument(
        "--type",
        dest="types",
        action="append",
        default=[],
        metavar="TYPE",
        help="a resource type to fetch (repeat, or TYPE,TYPE); a search needs at least one",
    )
    what.add_argument("--group", metavar="ID", help="export one Group: Group/ID/$export")
    what.add_argument(
        "--via",
        choices=["auto", "bulk", "search"],
        default="auto",
        help="auto (default): Bulk export when the CapabilityStatement offers it, else search",
    )
    what.add_argument(
        "--count", type=positive_int, default=500, metavar="N", help="_count per search page"
    )
    how = parser.add_argument_group("connection")
    how.add_argument(
        "--timeout", type=_seconds, default=30.0, metavar="SECONDS", help="per request (30)"
    )
    how.add_argument(
        "--retries",
        type=_count,
        default=5,
        metavar="N",
        help="retries on 429, 5xx and dropped connections (5)",
    )
    how.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=f"a bearer token to send, read from FILE (or ${TOKEN_ENV})",
    )
    how.add_argument("--client-id", metavar="ID", help="SMART Backend Services client id")
    how.add_argument(
        "--private-key",
        type=Path,
        metavar="FILE",
        help="the client's PEM private key (RSA: RS384; EC P-384: ES384)",
    )
    how.add_argument("--key-id", metavar="KID", help="the kid of that key in the client's JWKS")
    how.add_argument("--scope", default="system/*.rs", help="scopes to ask for (system/*.rs)")
    how.add_argument(
        "--token-url", metavar="URL", help="token endpoint (default: from smart-configuration)"
    )
    how.add_argument("--cert", type=Path, metavar="FILE", help="client certificate (mutual TLS)")
    how.add_argument("--key", type=Path, metavar="FILE", help="the client certificate's key")
    how.add_argument("--ca-cert", type=Path, metavar="FILE", help="CA bundle to trust")


def options_from(args: argparse.Namespace, url: str, out: Path) -> PullOptions:
    """The pull's options from the parsed arguments; files named are checked now."""
    from adapter.pull import PullOptions

    types = tuple(t.strip() for value in args.types for t in value.split(",") if t.strip())
    for kind in types:
        if not kind.isalpha() or not kind[0].isupper():
            raise UsageError(f"--type {kind!r}: not a FHIR resource type, such as Encounter")
    if bool(args.cert) != bool(args.key):
        raise UsageError("mutual TLS needs both --cert and --key")
    for option, path in (
        ("--cert", args.cert),
        ("--key", args.key),
        ("--ca-cert", args.ca_cert),
        ("--private-key", args.private_key),
        ("--token-file", args.token_file),
    ):
        if path is not None and not path.is_file():
            raise UsageError(f"{option} {path}: no such file")
    since = args.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if args.since else None
    return PullOptions(
        url=url,
        out=out,
        since=since,
        types=types,
        group=args.group,
        via=args.via,
        count=args.count,
        timeout=args.timeout,
        retries=args.retries,
        bearer=_bearer(args.token_file),
        client_id=args.client_id,
        private_key=args.private_key,
        key_id=args.key_id,
        scope=args.scope,
        token_url=args.token_url,
        cert=(str(args.cert), str(args.key)) if args.cert else None,
        ca_cert=str(args.ca_cert) if args.ca_cert else None,
    )


def fetch(options: PullOptions, *, quiet: bool = False) -> Pulled:
    """Run the pull with progress lines on stderr and a closing summary line."""
    from adapter.pull import pull

    def say(line: str) -> None:
        if not quiet:
            sys.stderr.write(f"referee pull: {line}\n")
            sys.stderr.flush()

    try:
        done = pull(options, say)
    except OSError as exc:  # the folder: disk full, permissions changed under us
        raise AdapterError(f"--out {options.out}: {exc.strerror or exc}") from None
    if done.already_complete:
        say(f"{options.out} already holds this pull, complete; nothing fetched")
    from adapter.pull.session import counted

    more = f"; {counted(len(done.errors), 'error file')} from the server" if done.errors else ""
    say(
        f"{counted(done.resources, 'resource')} in {counted(done.files, 'file')} "
        f"({_size(done.bytes)}) in {options.out} via {done.via}; "
        f"{done.fetched_now:,} fetched in this run{more}"
    )
    return done


def is_url(path: str) -> bool:
    return path.startswith(URLS)


def run(args: argparse.Namespace) -> int:
    fetch(options_from(args, args.url, Path(args.out)), quiet=args.quiet)
    return 0


def _bearer(path: Path | None) -> str | None:
    if path is None:
        return os.environ.get(TOKEN_ENV) or None
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--token-file {path}: cannot be read ({exc})") from None
    if not token or any(c.isspace() for c in token):
        raise UsageError(f"--token-file {path}: holds no token (one line, no spaces)")
    return token


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 3600, got {text!r}")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or int(text) > 100:
        raise argparse.ArgumentTypeError(f"expected a whole number 0-100, got {text!r}")
    return int(text)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    return f"{n / 1024:,.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"

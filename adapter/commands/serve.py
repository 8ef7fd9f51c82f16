"""`referee serve`: the FHIR endpoint with a persistent store."""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import replace
from secrets import token_hex
from typing import Any

DESCRIPTION = """\
Run the FHIR endpoint: post Bundles or single resources (FHIR R4, JSON or XML) and read
the interface obligations they create, kept up to date as data arrives. Every accepted
resource is stored before the answer is sent; re-sending the same resource changes nothing.

With no flags it stores everything in ./referee.sqlite (created and migrated on start).
For production give a PostgreSQL URL: --database-url postgresql+psycopg://user@host/db.
Each flag can also be set by an environment variable (REFEREE_DATABASE_URL, REFEREE_HOST,
REFEREE_PORT, REFEREE_MAX_BODY_BYTES, REFEREE_MAX_ENTRIES, REFEREE_POLICY,
REFEREE_EXPORT_DIR, REFEREE_MAX_LOAD_BYTES for NDJSON loads, default 1 GiB); a flag wins.
REFEREE_PAGE_SECRET signs search page tokens (default: random at each start).
A client has 10 s to send a request's headers and 60 s for its body, then it is
disconnected (REFEREE_HEADER_TIMEOUT, REFEREE_BODY_TIMEOUT, in seconds).

Every call except GET /fhir/metadata needs an API key: make one with `referee keys create`.
API docs: http://HOST:PORT/docs and /redoc, served from bundled files (no CDN; OpenAPI at
/openapi.json). Probes without a key: GET /healthz (the process answers), GET /readyz (and
its database does). A wrong or unreachable database, or a missing policy file, is one line
on stderr and exit 2 before the server starts. SIGTERM or Ctrl-C stops taking connections
and lets requests in flight finish (up to 30 s)."""

EPILOG = """\
examples:
  referee keys create --name ward-feed --scope submit
  referee serve --port 8080
  REFEREE_DATABASE_URL=postgresql+psycopg://referee@db/referee referee serve --host 0.0.0.0"""


GRACE_SECONDS = 30


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the FHIR endpoint (stores resources, keeps obligations live)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", metavar="HOST", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, metavar="PORT", help="port to listen on (default 8000)")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="SQLAlchemy URL of the store (default sqlite:///referee.sqlite)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        metavar="N",
        help="largest request body accepted (default 10 MB)",
    )
    parser.add_argument(
        "--max-entries", type=int, metavar="N", help="most resources in one Bundle (default 10000)"
    )
    parser.add_argument("--policy", metavar="FILE", help="local policy file (TOML)")
    parser.add_argument(
        "--export-dir",
        metavar="DIR",
        help="where Bulk $export files are written (default ./referee-exports)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        default=1,
        help="worker processes (default 1); writes stay serialised, reads run in parallel",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="how much the service logs (default info); never patient identifiers",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from adapter.api.access_log import configure
    from adapter.api.app import create_app
    from adapter.api.settings import resolve
    from adapter.policy import load_policy
    from adapter.store import open_store

    settings = resolve(
        database_url=args.database_url,
        max_body_bytes=args.max_body_bytes,
        max_entries=args.max_entries,
        policy=args.policy,
        export_dir=args.export_dir,
        host=args.host,
        port=args.port,
    )
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    configure()  # one JSON line per request on stderr (adapter/api/access_log.py)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": args.log_level,
        "access_log": False,  # uvicorn's prints query strings (?patient=...): ours does not
        "http": "adapter.api.timeouts:DeadlineH11Protocol",  # header and body deadlines
        "timeout_keep_alive": 5,
        # on SIGTERM/SIGINT: stop accepting, let in-flight requests finish for up to 30 s
        "timeout_graceful_shutdown": GRACE_SECONDS,
    }
    # a wrong URL, an unreachable database or a missing policy is one line and exit 2 here,
    # before any worker starts; opening also migrates, so workers never race to do it
    store = open_store(settings.database_url, load_policy(settings.policy))
    if args.workers <= 1:
        try:
            uvicorn.run(create_app(settings, store), **options)
        finally:
            store.close()
        return 0
    store.close()
    # one page-token secret for every worker, so a token made by one is honoured by all
    os.environ.update(
        _environment(replace(settings, page_secret=settings.page_secret or token_hex(32)))
    )
    uvicorn.run("adapter.api.app:app_from_env", factory=True, workers=args.workers, **options)
    return 0


def _environment(settings: Any) -> dict[str, str]:
    """The resolved settings as REFEREE_* variables, for worker processes to read."""
    values = {
        "REFEREE_DATABASE_URL": settings.database_url,
        "REFEREE_MAX_BODY_BYTES": str(settings.max_body_bytes),
        "REFEREE_MAX_ENTRIES": str(settings.max_entries),
        "REFEREE_EXPORT_DIR": settings.export_dir,
        "REFEREE_MAX_LOAD_BYTES": str(settings.max_load_bytes),
    }
    if settings.policy:
        values["REFEREE_POLICY"] = settings.policy
    if settings.page_secret:
        values["REFEREE_PAGE_SECRET"] = settings.page_secret
    return values

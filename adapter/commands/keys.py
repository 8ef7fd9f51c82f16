"""`referee keys`: create, list and revoke the API keys of `referee serve`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

SCOPES = ("submit", "read", "admin")  # adapter.store.access.SCOPES (a test keeps them equal)

DESCRIPTION = """\
API keys for `referee serve`. Only a hash of each key is stored: the key is printed once,
alone on the last line of the output of `create`; send it as `Authorization: Bearer <key>`.

Scopes: submit (post FHIR), read (obligations, summaries, FHIR reports), admin (all, and
the audit trail). A key with --org ODS reads only the obligations that organisation owes or
is owed; a key without one (an ICB) reads them all.

The database is the one `referee serve` uses: --database-url, else REFEREE_DATABASE_URL,
else sqlite:///referee.sqlite.

With --jwks FILE, `create` registers a SMART Backend Services client instead of making a
key: FILE is a JWKS of the client's PUBLIC keys (RSA for RS384, EC P-384 for ES384, each
with a kid). The client's id is --name; it earns short-lived access tokens at POST /token
with a JWT signed by its private key, with the same scope and organisation limit as a key.
`revoke` ends a client and every token it holds."""

EPILOG = """\
examples:
  referee keys create --name rxq-pas --scope submit
  referee keys create --name k81001 --scope read --org K81001
  referee keys create --name k81001-bulk --scope read --org K81001 --jwks k81001.jwks.json
  referee keys list
  referee keys revoke rxq-pas"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="create, list and revoke API keys for `referee serve`",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="make a key and print it once")
    create.add_argument("--name", required=True, help="a unique name for the key")
    create.add_argument("--scope", required=True, choices=SCOPES, help="what the key may do")
    create.add_argument("--org", metavar="ODS", help="restrict reads to this organisation")
    create.add_argument(
        "--jwks",
        metavar="FILE",
        help="register a SMART Backend Services client with these public keys (a JWKS)",
    )
    revoke = actions.add_parser("revoke", help="revoke a key by name")
    revoke.add_argument("name", help="the key's name")
    listing = actions.add_parser("list", help="list keys (names, scopes, never the keys)")
    for sub in (create, revoke, listing):
        sub.add_argument("--database-url", metavar="URL", help="SQLAlchemy URL of the store")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from adapter.store import database_url, open_store

    store = open_store(database_url(args.database_url))
    try:
        if args.action == "create" and args.jwks:
            _client(store, args)
        elif args.action == "create":
            token = store.create_key(args.name, args.scope, args.org)
            org = f" for {args.org}" if args.org else " (all organisations)"
            _say(f"created key {args.name!r}, scope {args.scope}{org}; it is shown only once:")
            _say(token)
        elif args.action == "revoke":
            store.revoke_key(args.name)
            _say(f"revoked key {args.name!r}")
        else:
            for key in store.list_keys():
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                kind = "client" if key.client else "key"
                _say(f"{key.name}\t{key.scope}\t{key.org or '-'}\t{state}\t{kind}")
    finally:
        store.close()
    return 0


def _client(store: Any, args: argparse.Namespace) -> None:
    from adapter.errors import UsageError
    from adapter.store import read_jwks

    try:
        text = Path(args.jwks).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--jwks {args.jwks}: cannot read it: {exc}") from exc
    jwks = read_jwks(text, f"--jwks {args.jwks}")
    store.create_client(args.name, args.scope, args.org, jwks)
    org = f" for {args.org}" if args.org else " (all organisations)"
    kids = ", ".join(key["kid"] for key in jwks["keys"])
    _say(f"registered SMART client, scope {args.scope}{org}, keys {kids}; its client_id:")
    _say(args.name)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")

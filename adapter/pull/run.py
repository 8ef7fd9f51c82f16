"""A whole pull from its options: open the folder (new, or continue the pull it holds),
choose Bulk export or search, fetch, and mark the manifest complete."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson

from adapter.pull.bulk import export
from adapter.pull.folder import Asked, Folder
from adapter.pull.search import search_type
from adapter.pull.session import (
    Credentials,
    PullError,
    Say,
    Session,
    check_url,
    read_body,
    where,
)
from adapter.pull.smart import DEFAULT_SCOPE, SmartClient


@dataclass(frozen=True)
class PullOptions:
    url: str
    out: Path
    since: str | None = None  # a FHIR instant, UTC
    types: tuple[str, ...] = ()
    group: str | None = None
    via: str = "auto"  # auto | bulk | search
    count: int = 500  # _count for search
    timeout: float = 30.0
    retries: int = 5
    bearer: str | None = None
    client_id: str | None = None
    private_key: Path | None = None
    key_id: str | None = None
    scope: str = DEFAULT_SCOPE
    token_url: str | None = None
    cert: tuple[str, str] | None = None
    ca_cert: str | None = None
    backoff: float = 1.0


@dataclass
class Pulled:
    folder: Path
    via: str
    files: int
    resources: int
    bytes: int
    fetched_now: int
    tokens: int = 0
    already_complete: bool = False
    errors: list[str] = field(default_factory=list)


def pull(options: PullOptions, say: Say) -> Pulled:
    base = check_url(options.url).rstrip("/")
    smart = None
    if options.client_id or options.private_key:
        if not (options.client_id and options.private_key):
            raise PullError("SMART Backend Services needs both --client-id and --private-key")
        smart = SmartClient(
            options.client_id,
            options.private_key,
            fhir_base=base,
            token_url=options.token_url,
            scope=options.scope,
            key_id=options.key_id,
        )
    credentials = Credentials(
        bearer=options.bearer,
        smart=smart,
        cert=options.cert,
        verify=options.ca_cert or True,
        home=base,
    )
    with Session(
        credentials,
        timeout=options.timeout,
        retries=options.retries,
        say=say,
        backoff=options.backoff,
    ) as session:
        via = options.via
        if via == "auto":
            via = "bulk" if options.group or _offers_export(session, base) else "search"
        if via == "search" and options.group:
            raise PullError("--group needs a Bulk export; drop --via search")
        if via == "search" and not options.types:
            raise PullError(
                "a search pull needs the types to fetch: give --type, e.g. --type Encounter"
            )
        asked = Asked(base, via, options.since, options.types, options.group)
        folder = Folder(options.out, asked)
        if folder.complete:
            files, resources, size = folder.totals()
            return Pulled(options.out, via, files, resources, size, 0, already_complete=True)
        if via == "bulk":
            fetched = export(
                session,
                folder,
                base,
                group=options.group,
                types=options.types,
                since=options.since,
                say=say,
            )
        else:
            fetched = 0
            if folder.data["transactionTime"] is None:
                folder.data["transactionTime"] = folder.state["started"]
                folder.data["request"] = f"{base}/[type]?_count={options.count}"
                folder.save()
            for kind in options.types:
                fetched += search_type(
                    session, folder, base, kind, since=options.since, count=options.count, say=say
                )
        folder.finish()
    files, resources, size = folder.totals()
    errors = [e["url"] for e in folder.data["error"]]
    return Pulled(
        options.out,
        via,
        files,
        resources,
        size,
        fetched,
        tokens=smart.issued if smart else 0,
        errors=errors,
    )


def _offers_export(session: Session, base: str) -> bool:
    """Whether the CapabilityStatement declares a system-level `export` operation."""
    url = f"{base}/metadata"
    response = session.get(url, headers={"Accept": "application/fhir+json"}, stream=True)
    try:
        statement = orjson.loads(read_body(response))
    except orjson.JSONDecodeError:
        raise PullError(f"GET {where(url)}: the CapabilityStatement is not JSON") from None
    if not isinstance(statement, dict):
        return False
    for rest in statement.get("rest") or []:
        for operation in (rest or {}).get("operation") or []:
            if isinstance(operation, dict) and operation.get("name") == "export":
                return True
    return False

"""The version history of stored traffic: version ids, and reading a resource as FHIR
`read` and `vread` answer it (issue 12, part 1; docs/contract.md §12.5).

A version's id is the client's `meta.versionId` when it sent one that this resource has not
used before; else the server numbers it, one more than the highest number the resource has
used (1 for a first version). The stored body is kept as sent; a read shows it with
`meta.versionId` set to the version's id, and `meta.lastUpdated` set to when the store wrote
it unless the client gave one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from adapter.model import format_instant
from adapter.store.schema import ResourceVersion, StoredResource

_VERSIONS = cast(Table, ResourceVersion.__table__)


def taken(session: Session, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """The version ids each (type, key) has used."""
    want = set(wanted)
    found: dict[tuple[str, str], set[str]] = {k: set() for k in want}
    keys = sorted({key for _, key in want})
    v = ResourceVersion
    for start in range(0, len(keys), 500):
        query = select(v.resource_type, v.resource_key, v.vid).where(
            v.resource_key.in_(keys[start : start + 500])
        )
        for kind, key, vid in session.execute(query):
            if (kind, key) in want:
                found[(kind, key)].add(vid)
    return found


def assign(client_version: str | None, used: set[str]) -> str:
    """The id of a new version: the client's when it has not been used, else the next
    number."""
    if client_version and client_version not in used:
        return client_version
    numbers = [int(vid) for vid in used if vid.isdigit()]
    number = max(numbers, default=0) + 1
    while str(number) in used:  # pragma: no cover - max + 1 is never used
        number += 1
    return str(number)


def record(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add written versions (type, key, vid, stored_at, key_name, body)."""
    if rows:
        session.execute(insert(_VERSIONS), rows)


@dataclass(frozen=True, slots=True)
class Version:
    """One stored version as read: the resource, its version id and when it was stored."""

    kind: str
    key: str
    vid: str
    stored_at: datetime
    key_name: str | None
    resource: dict[str, Any]
    current: bool
    pk: int | None = None  # the stored resource's row (which organisations see it)


def shown(body: str, vid: str, stored_at: datetime) -> dict[str, Any]:
    """The resource as read: meta.versionId is the version's id; meta.lastUpdated the
    client's, else when the store wrote it."""
    resource: dict[str, Any] = orjson.loads(body)
    meta = resource.get("meta")
    meta = dict(meta) if isinstance(meta, dict) else {}
    meta["versionId"] = vid
    if not isinstance(meta.get("lastUpdated"), str):
        meta["lastUpdated"] = format_instant(stored_at)
    resource["meta"] = meta
    return resource


def current(session: Session, kind: str, key: str) -> Version | None:
    r = StoredResource
    row = session.execute(
        select(r.id, r.vid, r.version_id, r.stored_at, r.key_name, r.body).where(
            r.resource_type == kind, r.resource_key == key
        )
    ).first()
    if row is None:
        return None
    vid = row.vid or row.version_id or "1"
    resource = shown(row.body, vid, row.stored_at)
    return Version(kind, key, vid, row.stored_at, row.key_name, resource, True, row.id)


def currents(session: Session, kind: str, ids: list[str] | None = None) -> Iterator[Version]:
    """The current version of every stored resource of type `kind` (of those ids), in the
    order they were first stored."""
    r = StoredResource
    query = select(
        r.id, r.resource_key, r.vid, r.version_id, r.stored_at, r.key_name, r.body
    ).where(r.resource_type == kind)
    if ids is not None:
        query = query.where(r.resource_key.in_(ids))
    for row in session.execute(query.order_by(r.id)):
        vid = row.vid or row.version_id or "1"
        resource = shown(row.body, vid, row.stored_at)
        yield Version(
            kind, row.resource_key, vid, row.stored_at, row.key_name, resource, True, row.id
        )


def version(session: Session, kind: str, key: str, vid: str) -> Version | None:
    v = ResourceVersion
    row = session.execute(
        select(v.stored_at, v.key_name, v.body).where(
            v.resource_type == kind, v.resource_key == key, v.vid == vid
        )
    ).first()
    if row is None:
        return None
    now = current(session, kind, key)
    resource = shown(row.body, vid, row.stored_at)
    is_current = now is not None and now.vid == vid
    pk = now.pk if now is not None else None
    return Version(kind, key, vid, row.stored_at, row.key_name, resource, is_current, pk)

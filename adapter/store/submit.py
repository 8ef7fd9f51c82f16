"""Storing accepted resources: nothing lost, nothing doubled.

Each entry is `created`, `updated` (a newer version replaced the stored one), `unchanged`
(the same type, id and version, or the same content), `stale` (older than the stored
version, which is kept) or `rejected` (kept in the rejected table with its issues).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from adapter.instants import parse_instant
from adapter.store.entries import Container, Entry
from adapter.store.links import is_hub, links_of
from adapter.store.schema import Origin, RejectedResource, ResourceLink, StoredResource

Outcome = Literal["created", "updated", "unchanged", "stale", "rejected"]


@dataclass(frozen=True, slots=True)
class Stored:
    """What happened to one entry, and the tokens it had before and after (for finding
    what to re-evaluate)."""

    outcome: Outcome
    reference: str | None
    version: str | None
    tokens: frozenset[tuple[str, str]] = frozenset()


def content_hash(resource: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)).hexdigest()


class Writer:
    """Stores the entries of one request inside its transaction."""

    def __init__(self, session: Session, now: datetime, key_name: str | None) -> None:
        self.session = session
        self.now = now
        self.key_name = key_name
        self._origins: dict[Container, int] = {}

    def reject(self, entry: Entry) -> Stored:
        body = orjson.dumps(entry.resource).decode()
        issues = orjson.dumps([i.to_json() for i in entry.issues]).decode()
        ident = entry.resource.get("id") if isinstance(entry.resource, dict) else None
        self.session.add(
            RejectedResource(
                received_at=self.now,
                key_name=self.key_name,
                resource_type=entry.resource_type,
                resource_id=ident if isinstance(ident, str) else entry.full_url,
                body=body,
                issues=issues,
            )
        )
        return Stored("rejected", entry.reference, None)

    def store(self, entry: Entry) -> Stored:
        resource: dict[str, Any] = entry.resource
        if not isinstance(resource.get("id"), str) and not entry.full_url:
            resource["id"] = str(uuid.uuid4())  # a create without an id: we assign one
        kind = str(resource["resourceType"])
        key = resource["id"] if isinstance(resource.get("id"), str) else str(entry.full_url)
        digest = content_hash(resource)
        version, updated = _version(resource)
        row = self.session.scalars(
            select(StoredResource).where(
                StoredResource.resource_type == kind, StoredResource.resource_key == key
            )
        ).one_or_none()
        if row is None:
            row = StoredResource(resource_type=kind, resource_key=key)
            self._fill(row, entry, digest, version, updated)
            self.session.add(row)
            self.session.flush()
            return Stored("created", entry.reference, version, self._link(row, entry))
        if row.content_hash == digest or (version is not None and version == row.version_id):
            return Stored("unchanged", entry.reference, row.version_id)
        if _older(version, updated, row):
            return Stored("stale", entry.reference, row.version_id)
        before = self._tokens(row.id)
        self._fill(row, entry, digest, version, updated)
        self.session.execute(delete(ResourceLink).where(ResourceLink.resource_pk == row.id))
        self.session.flush()
        return Stored("updated", entry.reference, version, before | self._link(row, entry))

    def _fill(
        self,
        row: StoredResource,
        entry: Entry,
        digest: str,
        version: str | None,
        updated: datetime | None,
    ) -> None:
        row.version_id = version
        row.last_updated = updated
        row.content_hash = digest
        row.body = orjson.dumps(entry.resource).decode()
        row.full_url = entry.full_url
        row.origin_id = self._origin(entry.container)
        row.entry_index = entry.position
        row.hub = int(is_hub(row.resource_type))
        row.stored_at = self.now

    def _origin(self, container: Container | None) -> int | None:
        if container is None:
            return None
        if container not in self._origins:
            origin = Origin(
                bundle_type=container.bundle_type,
                bundle_id=container.bundle_id,
                timestamp=container.timestamp,
                received_at=self.now,
            )
            self.session.add(origin)
            self.session.flush()
            self._origins[container] = origin.id
        return self._origins[container]

    def _link(self, row: StoredResource, entry: Entry) -> frozenset[tuple[str, str]]:
        pairs = links_of(entry.resource, entry.full_url).rows(bool(row.hub))
        self.session.add_all(ResourceLink(resource_pk=row.id, token=t, kind=k) for t, k in pairs)
        return frozenset(pairs)

    def _tokens(self, pk: int) -> frozenset[tuple[str, str]]:
        rows = self.session.execute(
            select(ResourceLink.token, ResourceLink.kind).where(ResourceLink.resource_pk == pk)
        )
        return frozenset((t, k) for t, k in rows)


def _version(resource: dict[str, Any]) -> tuple[str | None, datetime | None]:
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return None, None
    version = meta.get("versionId")
    updated = meta.get("lastUpdated")
    return (
        version if isinstance(version, str) else None,
        parse_instant(updated) if isinstance(updated, str) else None,
    )


def _older(version: str | None, updated: datetime | None, row: StoredResource) -> bool:
    """Is the incoming version older than the stored one? Numeric versionIds compare as
    numbers; else lastUpdated decides; else the newcomer wins (PUT semantics)."""
    if version and row.version_id and version.isdigit() and row.version_id.isdigit():
        return int(version) < int(row.version_id)
    if updated is not None and row.last_updated is not None:
        return updated < row.last_updated
    return False

"""Bulk Data $export jobs in the database, and the stored traffic they read.

A job row says who asked (key and organisation), for what (types, `_since`, the group),
and how far it got. The files are on disk (`adapter/api/bulk.py`); the row is what any
worker process of the service answers a poll from. A running job moves `heartbeat_at`;
one that stopped moving (its process died) is reported failed when polled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapter.store.schema import ExportJob, StoredResource

STALE = timedelta(seconds=60)  # a running job silent this long has lost its process
_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    key_name: str
    org: str | None
    group_id: str | None
    types: tuple[str, ...] | None
    since: datetime | None
    request: str
    status: str  # running, complete, failed
    progress: str
    transaction_time: datetime
    finished_at: datetime | None
    output: list[dict[str, Any]]
    error: str | None

    @property
    def reader(self) -> str | None:
        """The organisation whose view of the store this job exports (None: all)."""
        return self.org or self.group_id


def _job(row: ExportJob, now: datetime) -> Job:
    status, error = row.status, row.error
    if status == "running" and now - row.heartbeat_at > STALE:
        status, error = "failed", "the server stopped while the export ran; start it again"
    return Job(
        id=row.id,
        key_name=row.key_name,
        org=row.org,
        group_id=row.group_id,
        types=tuple(orjson.loads(row.types)) if row.types else None,
        since=row.since,
        request=row.request,
        status=status,
        progress=row.progress,
        transaction_time=row.transaction_time,
        finished_at=row.finished_at,
        output=orjson.loads(row.output) if row.output else [],
        error=error,
    )


def create_job(
    session: Session,
    *,
    key_name: str,
    org: str | None,
    group_id: str | None,
    types: list[str] | None,
    since: datetime | None,
    request: str,
    now: datetime,
) -> Job:
    row = ExportJob(
        id=uuid.uuid4().hex,
        key_name=key_name,
        org=org,
        group_id=group_id,
        types=orjson.dumps(types).decode() if types else None,
        since=since,
        request=request,
        status="running",
        progress="queued",
        transaction_time=now,
        heartbeat_at=now,
    )
    session.add(row)
    session.flush()
    return _job(row, now)


def get_job(session: Session, ident: str, now: datetime) -> Job | None:
    row = session.get(ExportJob, ident)
    return None if row is None else _job(row, now)


def running_jobs(session: Session, org: str | None, now: datetime) -> int:
    """Jobs still running (not stale) for the keys of organisation `org`."""
    query = select(func.count()).where(
        ExportJob.status == "running",
        ExportJob.heartbeat_at >= now - STALE,
        ExportJob.org.is_(None) if org is None else ExportJob.org == org,
    )
    return int(session.scalar(query) or 0)


def progress(session: Session, ident: str, text: str, now: datetime) -> bool:
    """Record progress; False when the job is gone (cancelled): the runner then stops."""
    row = session.get(ExportJob, ident)
    if row is None:
        return False
    row.progress = text[:256]
    row.heartbeat_at = now
    return True


def finish(
    session: Session,
    ident: str,
    output: list[dict[str, Any]] | None,
    error: str | None,
    now: datetime,
) -> bool:
    row = session.get(ExportJob, ident)
    if row is None:
        return False
    row.status = "failed" if error else "complete"
    row.output = orjson.dumps(output or []).decode()
    row.error = error
    row.finished_at = now
    row.heartbeat_at = now
    row.progress = "failed" if error else "complete"
    return True


def delete_job(session: Session, ident: str) -> None:
    row = session.get(ExportJob, ident)
    if row is not None:
        session.delete(row)


def expired_jobs(session: Session, before: datetime) -> list[str]:
    """Jobs finished before `before`, or running but silent since then."""
    query = select(ExportJob.id).where(
        ((ExportJob.finished_at.is_not(None)) & (ExportJob.finished_at < before))
        | ((ExportJob.finished_at.is_(None)) & (ExportJob.heartbeat_at < before))
    )
    return list(session.scalars(query))


def type_counts(session: Session, since: datetime | None) -> dict[str, int]:
    """Stored resources by type (changed after `since`), to plan and report progress."""
    r = StoredResource
    query = select(r.resource_type, func.count()).group_by(r.resource_type)
    if since is not None:
        query = query.where(r.stored_at > since)
    return {kind: int(count) for kind, count in session.execute(query)}


def resources(
    session: Session, kind: str, since: datetime | None, after: int
) -> list[tuple[int, str]]:
    """One batch of (primary key, body) of type `kind` stored after `since`, by key."""
    r = StoredResource
    query = select(r.id, r.body).where(r.resource_type == kind, r.id > after)
    if since is not None:
        query = query.where(r.stored_at > since)
    return [(pk, body) for pk, body in session.execute(query.order_by(r.id).limit(_BATCH))]

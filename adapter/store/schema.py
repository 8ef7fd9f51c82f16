"""The tables of the store (SQLAlchemy 2 declarative models).

The schema is created and upgraded only by the alembic migrations in `adapter/migrations/`;
these classes describe it for queries. Instants are stored as naive UTC (`UtcDateTime`) so
SQLite and PostgreSQL behave the same.

    resources        the current version of every accepted resource (one row per type + key)
    resource_versions   every version written, for vread (issue 12)
    resource_links   tokens that tie resources together: identities and references
    obligations      the obligations as evaluated, with the instant they were evaluated
    rejected         every rejected resource, with its issues
    api_keys         hashed API keys with their scope and organisation; SMART clients too
    audit            every submission and read: who, when, what, counts
    access_tokens    short-lived bearer tokens issued to SMART clients (hashed)
    client_assertions  the `jti` of each JWT assertion used, until it expires (no replay)
    export_jobs      Bulk Data $export jobs
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC and read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - SQLite returns datetime already
            value = datetime.fromisoformat(value)
        result: datetime = value.replace(tzinfo=UTC)
        return result


class Base(DeclarativeBase):
    pass


class StoredResource(Base):
    """The current version of one accepted resource. `resource_key` is its id, or its Bundle
    fullUrl when it has none; `sent_at` and `message_at` the timestamps of the document and
    message Bundles that carried it, `release` "STU3" when it was read as STU3, `scope` the
    Bundle its urn:uuid references resolve in (adapter/scopes.py): what
    `adapter.ingest.Received` carries besides the resource, so it is judged as when posted."""

    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("resource_type", "resource_key", name="uq_resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_key: Mapped[str] = mapped_column(String(2048))
    version_id: Mapped[str | None] = mapped_column(String(64))
    last_updated: Mapped[datetime | None] = mapped_column(UtcDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    full_url: Mapped[str | None] = mapped_column(String(2048))
    sent_at: Mapped[str | None] = mapped_column(String(64))
    message_at: Mapped[str | None] = mapped_column(String(64))
    release: Mapped[str | None] = mapped_column(String(8))
    message: Mapped[str | None] = mapped_column(String(2048))  # its MessageHeader (§2)
    scope: Mapped[str | None] = mapped_column(String(2048))
    hub: Mapped[int] = mapped_column(Integer, default=0)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime())
    key_name: Mapped[str | None] = mapped_column(String(128))  # the key that wrote this version
    vid: Mapped[str | None] = mapped_column(String(64))  # the current version's id (history)


class ResourceVersion(Base):
    """Every version of a stored resource that the store wrote, readable by `vread` at
    `vid`: the client's meta.versionId when it sent one this resource had not used, else
    the next number the server gave (adapter/store/history.py)."""

    __tablename__ = "resource_versions"
    __table_args__ = (
        UniqueConstraint("resource_type", "resource_key", "vid", name="uq_resource_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_key: Mapped[str] = mapped_column(String(2048))
    vid: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime())
    key_name: Mapped[str | None] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)


class ResourceLink(Base):
    """One token of a resource: `id` (its own identity), `ref` (what it points at),
    `hubid` / `hubref` (the same for shared context: organisations, practitioners)."""

    __tablename__ = "resource_links"
    __table_args__ = (Index("ix_resource_links_token", "token", "kind"),)

    resource_pk: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(2048), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)


class StoredObligation(Base):
    """An obligation as evaluated at `evaluated_at`. `clock` (JSON of `adapter.deadline.Clock`)
    is set when only the clock decides it: its status and detail are then judged when read,
    at the instant asked for (docs/contract.md §8)."""

    __tablename__ = "obligations"
    __table_args__ = (
        Index("ix_obligations_rule_subject", "rule", "subject"),
        Index("ix_obligations_owner", "owner"),
        Index("ix_obligations_owed_to", "owed_to"),
        Index("ix_obligations_patient", "patient"),
        Index("ix_obligations_due", "due"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(16))
    patient: Mapped[str | None] = mapped_column(String(2048))
    owner: Mapped[str | None] = mapped_column(String(64))
    owed_to: Mapped[str | None] = mapped_column(String(64))
    due: Mapped[datetime | None] = mapped_column(UtcDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    evidence: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    domain4: Mapped[str | None] = mapped_column(String(32))
    clause: Mapped[str] = mapped_column(String(64))
    event_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    clock: Mapped[str | None] = mapped_column(Text)
    edition: Mapped[str | None] = mapped_column(String(16))  # contract edition that judged it
    evaluated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RejectedResource(Base):
    """A resource that was refused, with every issue found in it."""

    __tablename__ = "rejected"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    key_name: Mapped[str | None] = mapped_column(String(128))
    resource_type: Mapped[str | None] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(2048))
    body: Mapped[str] = mapped_column(Text)
    issues: Mapped[str] = mapped_column(Text)


class ApiKey(Base):
    """An API key: only the sha256 of the token is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    org: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    jwks: Mapped[str | None] = mapped_column(Text)  # a SMART client's public keys


class AuditEntry(Base):
    """One submission or read: which key, when, what, and the counts (never patient data)."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    key_name: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)


class AccessToken(Base):
    """A bearer token issued at /token to the SMART client `key_name`: only its sha256."""

    __tablename__ = "access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_name: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(16))  # submit, read or admin
    granted: Mapped[str] = mapped_column(String(256))  # the SMART scopes granted
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ClientAssertion(Base):
    """A JWT assertion's `jti`, kept until the assertion expires, so it is used once."""

    __tablename__ = "client_assertions"

    key_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    jti: Mapped[str] = mapped_column(String(256), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ExportJob(Base):
    """One Bulk Data $export: asked by `key_name` (of organisation `org`), for the types
    `types` (JSON list, None: all) changed since `since`; `output` is the manifest's JSON
    list when complete. `heartbeat_at` moves while it runs: a job whose process died stops
    moving and is reported as failed."""

    __tablename__ = "export_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_name: Mapped[str] = mapped_column(String(128))
    org: Mapped[str | None] = mapped_column(String(64))
    group_id: Mapped[str | None] = mapped_column(String(64))
    types: Mapped[str | None] = mapped_column(Text)
    since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    request: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # running, complete, failed
    progress: Mapped[str] = mapped_column(String(256))
    transaction_time: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    output: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)

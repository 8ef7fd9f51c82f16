"""API keys and the audit trail.

A key is `rk_` + 32 random bytes (urlsafe base64); only its sha256 is stored, and a
presented key is checked with `hmac.compare_digest`. Scopes: `submit` (post FHIR), `read`
(obligations, summaries, FHIR reports), `admin` (everything, and the audit trail). A key
with an organisation (ODS code) reads only what that organisation owes or is owed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.errors import UsageError
from adapter.store.schema import ApiKey, AuditEntry

SCOPES = ("submit", "read", "admin")


@dataclass(frozen=True, slots=True)
class KeyInfo:
    name: str
    scope: str
    org: str | None
    created_at: datetime
    revoked_at: datetime | None = None
    client: bool = False  # a SMART Backend Services client (public keys, no API key)

    def allows(self, scope: str) -> bool:
        return self.scope in (scope, "admin")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope,
            "org": self.org,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(session: Session, name: str, scope: str, org: str | None, now: datetime) -> str:
    """A new key; the token is returned once and never stored."""
    if scope not in SCOPES:
        raise UsageError(f"scope must be one of {', '.join(SCOPES)} (got {scope!r})")
    if not name.strip():
        raise UsageError("a key needs a non-empty --name")
    if session.scalars(select(ApiKey).where(ApiKey.name == name)).first() is not None:
        raise UsageError(f"a key named {name!r} already exists; revoke it or choose another name")
    token = "rk_" + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, token_hash=_digest(token), scope=scope, org=org, created_at=now))
    return token


def revoke_key(session: Session, name: str, now: datetime) -> None:
    row = session.scalars(select(ApiKey).where(ApiKey.name == name)).first()
    if row is None:
        raise UsageError(f"no key named {name!r}; `referee keys list` shows them")
    if row.revoked_at is None:
        row.revoked_at = now


def list_keys(session: Session) -> list[KeyInfo]:
    rows = session.scalars(select(ApiKey).order_by(ApiKey.name))
    return [_info(row) for row in rows]


def authenticate(session: Session, token: str) -> KeyInfo | None:
    """The live key a presented token belongs to, or None."""
    digest = _digest(token)
    row = session.scalars(select(ApiKey).where(ApiKey.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return None if row.revoked_at is not None else _info(row)


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        row.name, row.scope, row.org, row.created_at, row.revoked_at, row.jwks is not None
    )


def record(
    session: Session,
    now: datetime,
    key_name: str | None,
    action: str,
    status_code: int,
    detail: dict[str, Any],
) -> None:
    """One audit entry: counts and resource types only, never patient data."""
    session.add(
        AuditEntry(
            at=now,
            key_name=key_name,
            action=action,
            status_code=status_code,
            detail=orjson.dumps(detail).decode(),
        )
    )


def audit_page(
    session: Session, after: int | None, limit: int, org: str | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first. With `org` (an organisation-scoped admin key), only the entries of that
    organisation's keys: not other organisations' keys, not unauthenticated calls."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if org is not None:
        own = select(ApiKey.name).where(ApiKey.org == org)
        query = query.where(AuditEntry.key_name.in_(own))
    if after is not None:
        query = query.where(AuditEntry.id < after)
    rows = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    entries = [
        {
            "id": r.id,
            "at": r.at.isoformat(),
            "key": r.key_name,
            "action": r.action,
            "status": r.status_code,
            "detail": orjson.loads(r.detail),
        }
        for r in rows
    ]
    return entries, (rows[-1].id if more and rows else None)

"""Persistence behind one small interface: the store of `referee serve`. Everything
outside `adapter/store/` imports from here, never from its modules (tests/test_layers.py).

    load_obligations(url, as_of=)   every stored obligation, status judged at `as_of`
    stored_resources(url, type)     the stored resources of one type, as JSON
    Store(url)                      submit resources, read them back (read, vread), read
                                    obligations, keys, audit
    open_store(url, policy)         a Store, or one UsageError line saying why not
    said_plainly(url) / ping(engine)   database errors said in one line; /readyz's check

The schema is made only by the alembic migrations in `adapter/migrations/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select

from adapter.model import Obligation
from adapter.store.access import SCOPES, KeyInfo
from adapter.store.clients import ASSERTION_TYPE, SMART_SCOPES, Grant, TokenRefused, read_jwks
from adapter.store.database import DEFAULT_URL, database_url, migrate, open_engine, reading
from adapter.store.evaluation import obligation_id
from adapter.store.exports import Job
from adapter.store.history import Version
from adapter.store.opening import open_store, ping, said_plainly
from adapter.store.posted import Entry
from adapter.store.reads import GROUPS, Filters, all_obligations, decode_cursor
from adapter.store.schema import StoredResource
from adapter.store.scope import FORBIDDEN
from adapter.store.service import PRECONDITION, Store, SubmitReport
from adapter.store.submit import Stored

__all__ = [
    "ASSERTION_TYPE",
    "DEFAULT_URL",
    "FORBIDDEN",
    "GROUPS",
    "PRECONDITION",
    "SCOPES",
    "SMART_SCOPES",
    "Entry",
    "Filters",
    "Grant",
    "Job",
    "KeyInfo",
    "Store",
    "Stored",
    "SubmitReport",
    "TokenRefused",
    "Version",
    "database_url",
    "decode_cursor",
    "load_obligations",
    "migrate",
    "obligation_id",
    "open_engine",
    "open_store",
    "ping",
    "read_jwks",
    "said_plainly",
    "stored_resources",
]


def stored_resources(database_url: str, resource_type: str) -> Iterator[dict[str, Any]]:
    """The stored resources of one type, as JSON (read-only), e.g. the Organizations whose
    names the board pack shows."""
    engine = open_engine(database_url)
    query = select(StoredResource.body).where(StoredResource.resource_type == resource_type)
    try:
        with reading(engine) as session:
            for (body,) in session.execute(query):
                resource: Any = orjson.loads(body)
                if isinstance(resource, dict):
                    yield resource
    finally:
        engine.dispose()


def load_obligations(database_url: str, *, as_of: datetime | None = None) -> list[Obligation]:
    """Every obligation in the store at `database_url`, sorted by rule then subject, with
    the status it has at `as_of` (default now): a pending one past its due is breached."""
    now = as_of or datetime.now(UTC)
    engine = open_engine(database_url)
    try:
        migrate(engine)
        with reading(engine) as session:
            return all_obligations(session, Filters(), now)
    finally:
        engine.dispose()

"""Persistence behind one small interface: the store of `referee serve`.

    load_obligations(url, as_of=)   every stored obligation, status judged at `as_of`
    Store(url)                      submit resources, read obligations, keys, audit

The schema is made only by the alembic migrations in `adapter/migrations/`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapter.model import Obligation
from adapter.store.database import database_url, migrate, open_engine, reading
from adapter.store.reads import Filters, all_obligations

__all__ = ["database_url", "load_obligations"]


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

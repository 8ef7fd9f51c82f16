"""Event dates for the board pack when obligations come from the service's store: the same
rule as `adapter.board.dating`, read from the stored resources (read-only)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select

from adapter.board.dating import EventDates, dated_types
from adapter.store.database import open_engine, reading
from adapter.store.schema import Origin, StoredResource


def stored_event_dates(database_url: str) -> EventDates:
    """Event instants by subject key, for every stored resource of a dated type."""
    events = EventDates()
    engine = open_engine(database_url)
    query = (
        select(StoredResource.body, StoredResource.full_url, Origin.bundle_type, Origin.timestamp)
        .outerjoin(Origin, StoredResource.origin_id == Origin.id)
        .where(StoredResource.resource_type.in_(dated_types()))
    )
    try:
        with reading(engine) as session:
            for body, full_url, bundle_type, timestamp in session.execute(query):
                resource: Any = orjson.loads(body)
                if isinstance(resource, dict):
                    sent = timestamp if bundle_type == "document" else None
                    events.note(resource, full_url, sent)
    finally:
        engine.dispose()
    return events

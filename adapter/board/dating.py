"""When the event behind an obligation happened, read from its subject resource.

Most rules have no deadline, so their obligations carry neither `due` nor `fulfilled_at`.
The board pack still has to put them in a month: it takes the time of the event that made
the obligation, from the subject resource (the obligation's `subject` key, `Type/id` or
the Bundle fullUrl):

    Composition        the timestamp of the document Bundle that carried it, else `date`
    ServiceRequest     `authoredOn`, else `occurrenceDateTime`
    MedicationRequest  `authoredOn`, else `dispenseRequest.validityPeriod.start`
    MedicationStatement `dateAsserted`, else `effectiveDateTime`, else `effectivePeriod.start`
    Encounter          `period.end`, else `period.start`
    Appointment        `start`

`EventDates.watch` notes these as resources stream past on their way into the engine, so
the input is read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from adapter.ingest import Item, Received
from adapter.instants import parse_instant

_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Composition": (("date",),),
    "ServiceRequest": (("authoredOn",), ("occurrenceDateTime",)),
    "MedicationRequest": (("authoredOn",), ("dispenseRequest", "validityPeriod", "start")),
    "MedicationStatement": (
        ("dateAsserted",),
        ("effectiveDateTime",),
        ("effectivePeriod", "start"),
    ),
    "Encounter": (("period", "end"), ("period", "start")),
    "Appointment": (("start",),),
}


def dated_types() -> list[str]:
    """The resource types an event date is read from."""
    return list(_PATHS)


def event_instant(resource: dict[str, Any], sent_at: str | None = None) -> datetime | None:
    """The instant of the event a subject resource records, or None."""
    kind = resource.get("resourceType")
    paths = _PATHS.get(kind) if isinstance(kind, str) else None
    if paths is None:
        return None
    candidates: list[Any] = [sent_at] if kind == "Composition" else []
    for path in paths:
        value: Any = resource
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        candidates.append(value)
    for value in candidates:
        if isinstance(value, str):
            instant = parse_instant(value)
            if instant is not None:
                return instant
    return None


def subject_key(resource: dict[str, Any], full_url: str | None) -> str | None:
    """The key the engine gives a resource's obligations: `Type/id`, else the fullUrl."""
    kind, rid = resource.get("resourceType"), resource.get("id")
    if isinstance(kind, str) and isinstance(rid, str) and rid:
        return f"{kind}/{rid}"
    return full_url


class EventDates(dict[str, datetime]):
    """Event instants by subject key."""

    def note(self, resource: dict[str, Any], full_url: str | None, sent_at: str | None) -> None:
        key = subject_key(resource, full_url)
        if key is None or key in self:
            return
        instant = event_instant(resource, sent_at)
        if instant is not None:
            self[key] = instant

    def watch(self, items: Iterable[Item]) -> Iterator[Item]:
        """Pass every item through unchanged, noting the event time of each resource."""
        for item in items:
            if isinstance(item, Received):
                self.note(item.resource, item.full_url, item.sent_at)
            yield item

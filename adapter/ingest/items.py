"""What ingest yields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapter.limits import Limits
from adapter.model import Issue, Location

__all__ = ["Item", "Limits", "Received", "Refused", "Unreadable"]


@dataclass(frozen=True, slots=True)
class Received:
    resource: dict[str, Any]
    location: Location
    full_url: str | None = None
    sent_at: str | None = None  # timestamp of the document Bundle that carried it
    release: str | None = None  # "STU3" when read as STU3 (adapter/version.py), else None (R4)
    message_at: str | None = None  # timestamp of the message Bundle that carried it
    message: str | None = None  # its MessageHeader (fullUrl, else Type/id): contract §2
    # Where its urn:uuid references resolve (adapter/scopes.py), when not from its location:
    # the service gives each request's Bundles their own, kept with the stored resource.
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    issue: Issue
    value: Any = None  # what was read in its place, when there was something (the service keeps it)


@dataclass(frozen=True, slots=True)
class Unreadable:
    issue: Issue


Item = Received | Refused | Unreadable

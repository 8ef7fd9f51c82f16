"""What ingest yields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapter.model import Issue, Location


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits. A single JSON or XML document is parsed whole, so it is bounded; NDJSON
    is streamed line by line, so only a line is."""

    max_document_bytes: int = 256 * 1024 * 1024
    max_line_bytes: int = 32 * 1024 * 1024
    max_depth: int = 64  # Bundles inside Bundles


@dataclass(frozen=True, slots=True)
class Received:
    resource: dict[str, Any]
    location: Location
    full_url: str | None = None
    sent_at: str | None = None  # timestamp of the document Bundle that carried it


@dataclass(frozen=True, slots=True)
class Refused:
    issue: Issue
    value: Any = None  # what was read in its place, when there was something (the service keeps it)


@dataclass(frozen=True, slots=True)
class Unreadable:
    issue: Issue


Item = Received | Refused | Unreadable

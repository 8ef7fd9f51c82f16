"""The exception tree. Bad input is an `AdapterError`; a breach is a result, never raised;
a bug is any other exception, and crashes loudly (exit 3).

    AdapterError                 bad input or bad usage; carries located issues
    ├── UnreadableInput          a file that is not JSON, XML or NDJSON at all, or is refused whole
    │   ├── HostileXml           a DOCTYPE, entity or external reference in XML
    │   └── TooLarge             over a size limit
    ├── PolicyError              a local policy or mapping file that does not load
    └── UsageError               bad command-line arguments

Foreign exceptions (orjson.JSONDecodeError, lxml XMLSyntaxError, pydantic ValidationError,
tomllib.TOMLDecodeError, requests errors) are translated once, where they are caught.
"""

from __future__ import annotations

from adapter.model import Issue


class AdapterError(Exception):
    """Bad input or usage. `issues` holds every problem found, not only the first."""

    def __init__(self, message: str, issues: tuple[Issue, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.issues = issues


class UnreadableInput(AdapterError):
    """A file or body that cannot be read as JSON, NDJSON or FHIR XML at all."""


class HostileXml(UnreadableInput):
    """XML that asks for a DTD, entity expansion or network access; refused, never expanded."""


class TooLarge(UnreadableInput):
    """Input over a configured size limit."""


class PolicyError(AdapterError):
    """A policy or mapping file that is malformed, or names an unknown rule or parameter."""


class UsageError(AdapterError):
    """Bad command-line usage (exit 2)."""

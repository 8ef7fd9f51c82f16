"""Where a `urn:uuid:` (or other `urn:`) reference resolves: inside its own Bundle only
(docs/contract.md §5). Published examples reuse urn:uuids from file to file, and two
Bundles in one run must not resolve into each other.

A urn reference and a urn fullUrl are kept with the Bundle they were read in, as
`"<urn> @<scope>"`; the scope names the file, line and entry path of that Bundle. A
reference resolves in its own Bundle, then in each Bundle around it, and last anywhere
inside the same outermost Bundle when only one entry there has that fullUrl (an ITK3
MessageHeader names the sender Organization held in the document Bundle it carries).
"""

from __future__ import annotations

from collections.abc import Iterator

from adapter.model import Location

_MARK = " @"


def bundle_scope(location: Location) -> str | None:
    """The Bundle a resource was read in (None for a resource read on its own)."""
    entry = location.entry
    if not entry:
        return None
    return f"{location.file or '-'}:{location.line or 0}:{entry[: entry.rfind('[')]}"


def scoped(reference: str | None, scope: str | None) -> str | None:
    """A urn reference tied to its Bundle; any other reference as it is."""
    if reference is None or scope is None or not reference.startswith("urn:"):
        return reference
    return f"{reference}{_MARK}{scope}"


def is_scoped(reference: str) -> bool:
    return _MARK in reference


def plain(reference: str) -> str:
    """The reference as the sender wrote it."""
    return reference.split(_MARK, 1)[0]


def widening(reference: str) -> Iterator[str]:
    """A scoped urn reference in its own Bundle, then in each enclosing Bundle."""
    yield reference
    head, mark, scope = reference.partition(_MARK)
    if not mark:
        return
    while scope.endswith("]"):
        scope = scope[: scope.rfind("[")]
        yield f"{head}{_MARK}{scope}"


def transmission(reference: str) -> str | None:
    """The reference tied to its outermost Bundle (file and line), for the last resort."""
    head, mark, scope = reference.partition(_MARK)
    if not mark:
        return None
    return f"{head}{_MARK}{scope.rsplit(':', 1)[0]}:*"

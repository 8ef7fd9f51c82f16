"""A request's resources as the store takes them: one `Entry` per item that ingest read from
the body (`adapter.ingest.unpack`, the same reader as `referee check`), with the store's own
checks (an `id` FHIR allows, an object `meta`, a bounded depth) added to the engine's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from adapter.ingest import Item, Received, Refused, resource_key
from adapter.limits import MAX_CODE, MAX_NESTING, MAX_TOKEN, MAX_VERSION_ID, deeper_than
from adapter.model import Issue, Location
from adapter.scopes import bundle_scope

ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
MAX_DEPTH = MAX_NESTING  # adapter.limits; orjson itself refuses to write beyond 255
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@dataclass(slots=True)
class Entry:
    """One item of a request: `index` is where it was (`[3]`, `[3][1]` in a nested Bundle,
    empty for a lone resource); `item` is None for what was not a resource at all."""

    index: str
    item: Received | None
    issues: list[Issue] = field(default_factory=list)
    refused: Any = None  # what was read in place of a resource, kept with its issues

    @property
    def resource(self) -> dict[str, Any] | None:
        return None if self.item is None else self.item.resource

    @property
    def resource_type(self) -> str | None:
        return None if self.item is None else str(self.item.resource["resourceType"])

    @property
    def reference(self) -> str | None:
        return None if self.item is None else resource_key(self.item.resource, self.full_url)

    @property
    def full_url(self) -> str | None:
        return None if self.item is None else self.item.full_url

    def location(self, field_path: str | None = None) -> Location:
        line = None if self.item is None else self.item.location.line  # an NDJSON line
        return Location(
            file="request",
            line=line,
            entry=self.index or None,
            resource=self.reference,
            field=field_path,
        )


def entries_of(items: list[Item], request: str) -> list[Entry]:
    """One Entry per item; refused items carry their issue; every resource without an id
    or fullUrl is given an id first (so its key is known before it is checked). The
    Bundles of a request get scopes of their own (`request` names it), so urn:uuid
    references resolve inside the Bundle they came in, then and whenever re-judged."""
    found: list[Entry] = []
    for item in items:
        if not isinstance(item, Received):
            value = item.value if isinstance(item, Refused) else None
            found.append(Entry(item.issue.location.entry or "", None, [item.issue], value))
            continue
        if "id" not in item.resource and not item.full_url:
            item.resource["id"] = str(uuid.uuid4())
        scope = bundle_scope(replace(item.location, file=request))
        entry = Entry(item.location.entry or "", replace(item, scope=scope))
        entry.issues.extend(_store_issues(entry, item.resource))
        found.append(entry)
    return found


def _store_issues(entry: Entry, resource: dict[str, Any]) -> list[Issue]:
    """What stops the store from keeping a resource, beyond what the engine checks."""
    issues: list[Issue] = []
    ident = resource.get("id")
    if ident is not None and not (isinstance(ident, str) and _ID.fullmatch(ident)):
        problem = f"must be 1-64 letters, digits, '-' or '.' (got {ident!r})"
        issues.append(_issue(entry, "value", "id", problem))
    meta = resource.get("meta")
    if meta is not None and not isinstance(meta, dict):
        issues.append(_issue(entry, "structure", "meta", "must be an object"))
    if deeper_than(resource, MAX_DEPTH):
        problem = f"nests objects and arrays more than {MAX_DEPTH} deep; no FHIR resource does"
        issues.append(_issue(entry, "too-costly", "resource", problem))
        return issues
    issues.extend(_column_issues(entry, resource))
    return issues


def _column_issues(entry: Entry, resource: dict[str, Any]) -> list[Issue]:
    """Values the store's columns cannot hold alike on every database (adapter.limits)."""
    issues: list[Issue] = []
    meta = resource.get("meta")
    version = meta.get("versionId") if isinstance(meta, dict) else None
    if isinstance(version, str) and len(version) > MAX_VERSION_ID:
        problem = f"must be at most {MAX_VERSION_ID} characters (a FHIR id; got {len(version)})"
        issues.append(_issue(entry, "value", "meta.versionId", problem))
    if entry.full_url is not None and len(entry.full_url) > MAX_TOKEN:
        problem = f"must be at most {MAX_TOKEN} characters (got {len(entry.full_url)})"
        issues.append(_issue(entry, "value", "fullUrl", problem))
    for path, problem in _bad_strings(resource):
        issues.append(_issue(entry, "value", path, problem))
    return issues


def _bad_strings(resource: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(FHIR path, problem) for a NUL anywhere, an over-long reference or identifier, and
    an ODS code longer than an obligation's owner column (iterative, like deeper_than)."""
    stack: list[tuple[Any, str]] = [(resource, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                yield path or "resource", "holds a NUL character, which FHIR text may not hold"
            continue
        if isinstance(node, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        yield from _bad_token(node, path)
        for key, child in node.items():
            stack.append((child, f"{path}.{key}" if path else str(key)))


def _bad_token(node: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    where = f"{path}." if path else ""
    for key in ("reference", "system", "value"):
        text = node.get(key)
        if isinstance(text, str) and len(text) > MAX_TOKEN:
            yield f"{where}{key}", f"must be at most {MAX_TOKEN} characters (got {len(text)})"
    value = node.get("value")
    if node.get("system") == ODS_SYSTEM and isinstance(value, str) and len(value) > MAX_CODE:
        problem = f"is an ODS code: at most {MAX_CODE} characters (got {len(value)})"
        yield f"{where}value", problem


def _issue(entry: Entry, code: str, field_path: str, problem: str) -> Issue:
    where = entry.reference or (f"entry{entry.index}" if entry.index else "the resource")
    return Issue("error", code, entry.location(field_path), f"{where}: {field_path} {problem}")

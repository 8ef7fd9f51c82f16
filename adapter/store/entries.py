"""A posted body as a flat list of entries: each resource with its fullUrl, the Bundle it
came in (type, id, timestamp) and where it was (`[3]`, or `[3][1]` inside a nested Bundle).

Bundles are containers (rules.md §1): their entries are read recursively, and the Bundle
itself is not stored. An entry is checked only as far as the store needs: a JSON object with
a known-looking `resourceType`, and an `id` that FHIR allows. The engine's own per-resource
validator, when it has one, adds the rule-level checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from adapter.fhir import RESOURCE_TYPES
from adapter.model import Issue, Location

_NO_RESOURCE = "is missing; only entries that carry a resource are accepted (no DELETE, no GET)"
MAX_BUNDLE_DEPTH = 64  # Bundles inside Bundles, as `referee check` allows
MAX_DEPTH = 64  # objects within objects; orjson itself refuses to write beyond 255
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True, slots=True)
class Container:
    """The Bundle an entry arrived in, as sent (`at`: where it was in the request, so two
    Bundles that look alike stay two)."""

    bundle_type: str | None
    bundle_id: str | None
    timestamp: str | None
    at: str = ""


@dataclass(slots=True)
class Entry:
    index: str
    resource: Any
    full_url: str | None
    container: Container | None
    position: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def resource_type(self) -> str | None:
        kind = self.resource.get("resourceType") if isinstance(self.resource, dict) else None
        return kind if isinstance(kind, str) else None

    @property
    def reference(self) -> str | None:
        kind = self.resource_type
        if kind is None:
            return None
        ident = self.resource.get("id")
        return f"{kind}/{ident}" if isinstance(ident, str) else self.full_url

    def location(self, field_path: str | None = None) -> Location:
        return Location(
            file="request", entry=self.index or None, resource=self.reference, field=field_path
        )


def flatten(body: Any) -> list[Entry]:
    """Every resource in `body` (a Bundle, read recursively, or a single resource)."""
    if isinstance(body, dict) and body.get("resourceType") == "Bundle":
        return _bundle_entries(body, "", 0)
    return [Entry("", body, None, None)]


def _bundle_entries(bundle: dict[str, Any], prefix: str, depth: int) -> list[Entry]:
    if depth >= MAX_BUNDLE_DEPTH:
        entry = Entry(prefix, bundle, None, None)
        problem = f"holds Bundles nested more than {MAX_BUNDLE_DEPTH} deep"
        entry.issues.append(_issue(entry, "too-costly", "Bundle.entry", problem))
        return [entry]
    container = Container(
        _text(bundle.get("type")), _text(bundle.get("id")), _text(bundle.get("timestamp")), prefix
    )
    raw = bundle.get("entry", [])
    if not isinstance(raw, list):
        entry = Entry(prefix, bundle, None, container)
        entry.issues.append(_issue(entry, "structure", "Bundle.entry", "must be a list"))
        return [entry]
    found: list[Entry] = []
    for n, item in enumerate(raw):
        index = f"{prefix}[{n}]"
        item = item if isinstance(item, dict) else {}
        resource = item.get("resource")
        full_url = _text(item.get("fullUrl"))
        if "resource" not in item:
            entry = Entry(index, None, full_url, container, position=n)
            entry.issues.append(_issue(entry, "not-supported", "entry.resource", _NO_RESOURCE))
            found.append(entry)
            continue
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            found.extend(_bundle_entries(resource, index, depth + 1))
            continue
        found.append(Entry(index, resource, full_url, container, position=n))
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _issue(entry: Entry, code: str, field_path: str, problem: str) -> Issue:
    where = entry.reference or (f"entry{entry.index}" if entry.index else "the resource")
    message = f"{where}: {field_path} {problem}"
    return Issue("error", code, entry.location(field_path), message)


def check_entry(entry: Entry) -> None:
    """Add to `entry.issues` everything that stops the store from keeping it."""
    resource = entry.resource
    if not isinstance(resource, dict):
        found = "nothing" if resource is None else type(resource).__name__
        entry.issues.append(
            _issue(entry, "structure", "resource", f"must be a JSON object (got {found})")
        )
        return
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or kind not in RESOURCE_TYPES or kind == "Bundle":
        entry.issues.append(
            _issue(
                entry,
                "structure",
                "resourceType",
                f'must name a FHIR R4 resource type such as "Encounter" (got {kind!r})',
            )
        )
    ident = resource.get("id")
    if ident is not None and not (isinstance(ident, str) and _ID.fullmatch(ident)):
        entry.issues.append(
            _issue(
                entry,
                "value",
                "id",
                f"must be 1-64 letters, digits, '-' or '.' (got {ident!r})",
            )
        )
    meta = resource.get("meta")
    if meta is not None and not isinstance(meta, dict):
        entry.issues.append(_issue(entry, "structure", "meta", "must be an object"))
    if _deeper_than(resource, MAX_DEPTH):
        problem = (
            f"nests objects and arrays more than {MAX_DEPTH} deep; no FHIR resource needs that"
        )
        entry.issues.append(_issue(entry, "too-costly", "resource", problem))


def _deeper_than(value: Any, limit: int) -> bool:
    """Does `value` nest objects/arrays more than `limit` deep? (iterative: no recursion)"""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False

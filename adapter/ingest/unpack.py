"""Parsed JSON → resources. Bundles are containers: their entries are read one by one
(recursively) and the Bundle itself is not counted (rules.md §1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from adapter.fhir import RESOURCE_TYPES
from adapter.ingest.items import Item, Limits, Received, Refused
from adapter.model import Issue, Location

_NO_RESOURCE = (
    "the entry has no resource; only entries that carry a resource are accepted "
    "(the referee does not carry out DELETE or GET requests)"
)


def unpack(
    value: Any,
    where: Location,
    *,
    limits: Limits = Limits(),  # noqa: B008 - frozen, shared on purpose
    full_url: str | None = None,
    sent_at: str | None = None,
    depth: int = 0,
    requests: bool = False,
) -> Iterator[Item]:
    """The resources in one parsed JSON value, each Received or Refused. A Bundle entry
    without a `resource` (a request-only or response-only entry) carries nothing to count
    and is passed over; with `requests` (the service, where such an entry would be a DELETE
    or GET it does not carry out) it is Refused instead."""
    if not isinstance(value, dict):
        yield _refuse(
            where,
            "structure",
            f"expected a FHIR resource (a JSON object), found {_kind(value)}",
            value=value,
        )
        return
    kind = value.get("resourceType")
    if not isinstance(kind, str) or kind not in RESOURCE_TYPES:
        found = "no resourceType" if kind is None else f"resourceType {kind!r}"
        yield _refuse(
            where,
            "structure",
            f"expected a known FHIR R4 resourceType, found {found}",
            field="resourceType",
            value=value,
        )
        return
    # Built directly: dataclasses.replace costs more than the rest of this function.
    label = resource_key(value, full_url) or kind
    where = Location(where.file, where.line, where.entry, label, where.field)
    if kind != "Bundle":
        yield Received(value, where, full_url, sent_at)
        return
    yield from _bundle(value, where, limits, sent_at, depth, requests)


def _bundle(
    bundle: dict[str, Any],
    where: Location,
    limits: Limits,
    sent_at: str | None,
    depth: int,
    requests: bool,
) -> Iterator[Item]:
    if depth >= limits.max_depth:
        yield _refuse(where, "too-costly", f"Bundles nested deeper than {limits.max_depth}")
        return
    if bundle.get("type") == "document" and isinstance(bundle.get("timestamp"), str):
        sent_at = bundle["timestamp"]
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        yield _refuse(
            where,
            "structure",
            f"Bundle.entry must be an array, found {_kind(entries)}",
            field="entry",
        )
        return
    prefix = where.entry or ""
    for index, entry in enumerate(entries):
        here = replace(where, entry=f"{prefix}[{index}]", resource=None)
        if not isinstance(entry, dict):
            yield _refuse(
                here, "structure", f"Bundle.entry[{index}] must be an object, found {_kind(entry)}"
            )
            continue
        if "resource" not in entry:
            if requests:
                yield _refuse(here, "not-supported", _NO_RESOURCE, field="resource", value=entry)
            continue
        url = entry.get("fullUrl")
        yield from unpack(
            entry["resource"],
            here,
            limits=limits,
            full_url=url if isinstance(url, str) else None,
            sent_at=sent_at,
            depth=depth + 1,
            requests=requests,
        )


def resource_key(resource: dict[str, Any], full_url: str | None) -> str | None:
    """The one key of a resource (rules.md §4 `subject`): `Type/id`, else its Bundle
    fullUrl, else None. Facts, obligations and the store all key resources by it."""
    rid = resource.get("id")
    if isinstance(rid, str) and rid:
        return f"{resource['resourceType']}/{rid}"
    return full_url


def _refuse(
    where: Location, code: str, message: str, field: str | None = None, value: Any = None
) -> Refused:
    if field:
        where = replace(where, field=field)
    return Refused(Issue("error", code, where, f"{where.describe()}: {message}"), value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )

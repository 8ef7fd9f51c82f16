"""Parsed JSON → resources. Bundles are containers: their entries are read one by one
(recursively) and the Bundle itself is not counted (rules.md §1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from adapter.fhir import RESOURCE_TYPES
from adapter.ingest.items import Item, Limits, Received, Refused
from adapter.limits import too_deep
from adapter.model import Issue, Location
from adapter.scopes import bundle_scope, scoped
from adapter.version import DSTU2_ONLY, R5_ONLY, STU3_ONLY, bundle_release, release_of

FOREIGN_TYPES = DSTU2_ONLY | R5_ONLY

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
    release: str | None = None,
    message_at: str | None = None,
    requests: bool = False,
    header: str | None = None,
    shallow: bool = False,
) -> Iterator[Item]:
    """The resources in one parsed JSON value, each Received or Refused. `release` is the
    enclosing Bundle's FHIR release (adapter/version.py), inherited by its entries. A Bundle
    entry without a `resource` (a request-only or response-only entry) carries nothing to
    count and is passed over; with `requests` (the service, where such an entry would be a
    DELETE or GET it does not carry out) it is Refused instead. `header` is the
    MessageHeader of the enclosing message (docs/contract.md §2). `shallow` says the caller
    knows `value` cannot nest deeper than the limit (an NDJSON line with fewer brackets), so
    the walk that checks it is skipped."""
    if not isinstance(value, dict):
        yield _refuse(
            where,
            "structure",
            f"expected a FHIR resource (a JSON object), found {_kind(value)}",
            value=value,
        )
        return
    kind = value.get("resourceType")
    if isinstance(kind, str) and kind in FOREIGN_TYPES:
        where = replace(where, resource=_label(value, full_url))
        yield _refuse(where, "not-supported", _unsupported(kind, release_of(value)))
        return
    if not isinstance(kind, str) or (kind not in RESOURCE_TYPES and kind not in STU3_ONLY):
        found = "no resourceType" if kind is None else f"resourceType {_show(kind)}"
        yield _refuse(
            where,
            "structure",
            f"expected a known FHIR R4 resourceType, found {found}",
            field="resourceType",
            value=value,
        )
        return
    # Built directly: dataclasses.replace costs more than the rest of this function.
    where = Location(where.file, where.line, where.entry, _label(value, full_url), where.field)
    own = release_of(value) if kind != "Bundle" else None
    if own in ("DSTU2", "R5") or (own is None and release in ("DSTU2", "R5")):
        yield _refuse(where, "not-supported", _unsupported(kind, own or release))
        return
    if kind != "Bundle":
        deep = None if shallow else too_deep(value, limits.max_nesting)
        if deep is not None:
            message = f"nested deeper than {limits.max_nesting} levels; not read"
            yield _refuse(where, "too-costly", message, field=deep)
            return
        stu3 = own == "STU3" or (own is None and release == "STU3")
        yield Received(
            value, where, full_url, sent_at, "STU3" if stu3 else None, message_at, header
        )
        return
    yield from _bundle(
        value, where, limits, (sent_at, message_at, header), depth, release, requests, shallow
    )


def _unsupported(kind: str, release: str | None) -> str:
    name = {"DSTU2": "FHIR DSTU2 (1.0)", "R5": "FHIR R5"}.get(release or "", str(release))
    return (
        f"{kind} is written in {name}; only FHIR R4 and STU3 are read "
        "(docs/contract.md §1); send it as R4"
    )


def _bundle(
    bundle: dict[str, Any],
    where: Location,
    limits: Limits,
    times: tuple[str | None, str | None, str | None],
    depth: int,
    release: str | None,
    requests: bool,
    shallow: bool = False,
) -> Iterator[Item]:
    """The entries of a Bundle. `times` are the enclosing document's and message's
    timestamps: a document's own timestamp dates its letters (rules.md §3), a message's
    dates its MessageHeader (docs/contract.md §2); neither replaces the other. The third is
    the enclosing message's MessageHeader, which every resource inside it is tied to."""
    sent_at, message_at, header = times
    if depth >= limits.max_depth:
        yield _refuse(where, "too-costly", f"Bundles nested deeper than {limits.max_depth}")
        return
    if depth == 0 or release is None:
        release = bundle_release(bundle) or release
    if bundle.get("type") == "document" and isinstance(bundle.get("timestamp"), str):
        sent_at = bundle["timestamp"]
    if bundle.get("type") == "message":
        header = _message_header(bundle, where) or header
        if isinstance(bundle.get("timestamp"), str):
            message_at = bundle["timestamp"]
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
            release=release,
            message_at=message_at,
            requests=requests,
            header=header,
            shallow=shallow,
        )


def _message_header(bundle: dict[str, Any], where: Location) -> str | None:
    """The label of a message Bundle's MessageHeader (its first entry): its fullUrl as the
    MessageHeader's own fact holds it (a urn tied to this Bundle, adapter/scopes.py), else
    `MessageHeader/id`."""
    entries = bundle.get("entry")
    first = entries[0] if isinstance(entries, list) and entries else None
    resource = first.get("resource") if isinstance(first, dict) else None
    if not isinstance(resource, dict) or resource.get("resourceType") != "MessageHeader":
        return None
    url = first.get("fullUrl") if isinstance(first, dict) else None
    if isinstance(url, str) and url:
        here = Location(where.file, where.line, f"{where.entry or ''}[0]")
        return scoped(url, bundle_scope(here))
    rid = resource.get("id")
    return f"MessageHeader/{rid}" if isinstance(rid, str) and rid else None


def _label(resource: dict[str, Any], full_url: str | None) -> str:
    """`Type/id`, else the Bundle fullUrl, else just the type."""
    return resource_key(resource, full_url) or str(resource["resourceType"])


def resource_key(
    resource: dict[str, Any], full_url: str | None, kind: str | None = None
) -> str | None:
    """The one key of a resource (rules.md §4 `subject`): `Type/id`, else its Bundle
    fullUrl, else None. Facts, obligations and the store all key resources by it. `kind`
    is the type as sent when it differs (an up-converted STU3 resource)."""
    rid = resource.get("id")
    if isinstance(rid, str) and rid:
        return f"{kind or resource['resourceType']}/{rid}"
    return full_url


def _refuse(
    where: Location, code: str, message: str, field: str | None = None, value: Any = None
) -> Refused:
    if field:
        where = replace(where, field=field)
    return Refused(Issue("error", code, where, f"{where.describe()}: {message}"), value)


def _show(value: Any) -> str:
    """A short, safe rendering of a value found where a string belongs (never the repr of
    a hostile nested value, which can overflow the stack)."""
    return repr(value[:60]) if isinstance(value, str) else _kind(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )

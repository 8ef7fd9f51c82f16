"""What the FHIR routes share about their query and headers: unknown parameters refused
unless `Prefer: handling=lenient` (R4 search.html#errors), `_elements` (a summary of the
named top-level elements and those R4 requires, tagged SUBSETTED), and the `Prefer` and
`If-Match` headers."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Annotated, Any

from fastapi import Path, Request

from adapter.api.outcomes import problem
from adapter.api.traffic_params import NOT_STORED
from adapter.fhir import RESOURCE_TYPES, mandatory_elements

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
}
_ELEMENT = re.compile(r"(?:[A-Z][A-Za-z]{0,63}\.)?([a-z][A-Za-z0-9]{0,63})")
_MANDATORY = ("resourceType", "id", "meta")


def resource_type(kind: str) -> str:
    """A type the service stores, else 404: `$export` is no type, a Bundle is opened and
    not stored, DetectedIssue and MeasureReport are made (their own routes read them)."""
    if kind not in RESOURCE_TYPES or kind in NOT_STORED:
        what = "is not a FHIR resource type" if kind not in RESOURCE_TYPES else "is not stored"
        raise problem(404, "not-found", f"{kind!r} {what} here")
    return kind


def stored_type(kind: Annotated[str, Path(alias="resource_type", max_length=64)]) -> str:
    """A dependency, listed before the key's: a path that names no stored type
    (`/fhir/.well-known/...`) is 404 before any key is asked for, so a client probing for
    SMART discovery under the FHIR base learns it is not there, not that it needs a key."""
    return resource_type(kind)


def preferences(request: Request) -> dict[str, str]:
    """The `Prefer` header as name → value (`return=minimal` → {"return": "minimal"})."""
    found: dict[str, str] = {}
    for part in re.split("[,;]", request.headers.get("prefer", "")):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.lower()] = value.strip().strip('"')
    return found


def lenient(request: Request) -> bool:
    return preferences(request).get("handling", "").lower() == "lenient"


def known_only(request: Request, known: Collection[str], what: str) -> None:
    """400 naming a parameter `what` does not take, unless handling is lenient."""
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown and not lenient(request):
        raise problem(
            400,
            "not-supported",
            f"{what} has no parameter {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(known))} (send Prefer: handling=lenient to ignore unknown ones)",
            unknown[0],
        )


def elements(raw: str | None) -> frozenset[str] | None:
    """The element names `_elements` asks for (`Encounter.status` or `status`)."""
    if raw is None:
        return None
    names = set()
    for part in raw.split(","):
        match = _ELEMENT.fullmatch(part.strip())
        if match is None:
            raise problem(
                400,
                "value",
                f"_elements must be a comma-separated list of element names such as "
                f"status,subject (got {part.strip()!r})",
                "_elements",
            )
        names.add(match.group(1))
    return frozenset(names)


def subset(resource: dict[str, Any], names: frozenset[str] | None) -> dict[str, Any]:
    """The resource with only the mandatory and the named top-level elements, tagged
    SUBSETTED (R4 search.html#elements); unchanged when `names` is None."""
    if names is None:
        return resource
    wanted = names | mandatory_elements(str(resource.get("resourceType")))
    kept = {k: v for k, v in resource.items() if k in wanted or k in _MANDATORY}
    meta = dict(kept.get("meta") or {})
    tags = meta.get("tag")
    meta["tag"] = [*(tags if isinstance(tags, list) else []), SUBSETTED]
    kept["meta"] = meta
    return kept


def if_match(request: Request) -> str | None:
    """The version an `If-Match` header names (`W/"3"`, `"3"` or `3`), or None."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value or len(value) > 64:
        raise problem(400, "value", f'If-Match must be an ETag such as W/"3" (got {raw!r})')
    return value

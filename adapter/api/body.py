"""Reading a posted body: media type, size limit, JSON or FHIR XML → a JSON value.

415 for a media type that is not FHIR JSON or XML; 413 over the size limit; 400 for a body
that does not parse (or XML with a DOCTYPE, which is refused whole).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable
from typing import Any, TypeVar

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from adapter import xml
from adapter.api.outcomes import problem
from adapter.errors import HostileXml, TooLarge, UnreadableInput
from adapter.ingest.decode import to_utf8
from adapter.limits import REQUEST_BUDGET_SECONDS

log = logging.getLogger("adapter.api")
T = TypeVar("T")

JSON_TYPES = frozenset({"application/fhir+json", "application/json", "application/json+fhir"})
XML_TYPES = frozenset(
    {"application/fhir+xml", "application/xml", "text/xml", "application/xml+fhir"}
)


def media_type(request: Request) -> str:
    """`json` or `xml` from Content-Type, else 415."""
    raw = request.headers.get("content-type", "")
    kind = raw.split(";", 1)[0].strip().lower()
    if kind in JSON_TYPES:
        return "json"
    if kind in XML_TYPES:
        return "xml"
    shown = repr(raw) if raw else "no Content-Type"
    raise problem(
        415,
        "not-supported",
        f"Content-Type must be application/fhir+json or application/fhir+xml (got {shown})",
    )


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes. A client that goes
    away mid-upload is one line in the log at info, not a traceback: it is not our bug."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(size, limit)
            chunks.append(chunk)
    except ClientDisconnect:
        log.info("%s: the client disconnected after %d bytes of the body", action(request), size)
        raise problem(400, "incomplete", "the client disconnected before the body ended") from None
    return b"".join(chunks)


def action(request: Request) -> str:
    """`METHOD /route/{template}`: what the audit and the log name, never the raw path
    (an id in a URL may be an NHS number) and never a string longer than the routes are."""
    route = getattr(request.scope.get("route"), "path", None)
    return f"{request.method[:16]} {route or '(no route)'}"


def _too_large(size: int, limit: int) -> Exception:
    return problem(
        413,
        "too-costly",
        f"the body is larger than the limit of {limit} bytes (at least {size}); "
        "send smaller Bundles or raise --max-body-bytes",
    )


def parse(
    data: bytes, kind: str, limit: int, charset: str | None = None, max_entries: int | None = None
) -> Any:
    """The JSON value of the body (FHIR XML converted to FHIR JSON). Bytes are decoded by
    the front door `referee check` uses too (byte order marks, UTF-16, `charset`)."""
    try:
        data = to_utf8(data, charset)
    except UnreadableInput as exc:
        raise problem(400, "structure", f"the body {exc.message}") from exc
    if not data.strip():
        raise problem(400, "structure", "the body is empty; send a FHIR resource or Bundle")
    if kind == "json":
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise problem(400, "structure", f"the body is not valid JSON: {exc}") from exc
    try:
        root = xml.parse_xml_bytes(data, max_bytes=limit)
        if max_entries is not None:
            _count_entries(root, max_entries)
        return xml.fhir_xml_to_json_as_sent(root)
    except TooLarge as exc:
        raise problem(413, "too-costly", f"the body is too costly to read: {exc.message}") from exc
    except HostileXml as exc:
        raise problem(400, "security", exc.message) from exc
    except UnreadableInput as exc:
        raise problem(400, "structure", f"the body is not FHIR XML: {exc.message}") from exc


def charset(request: Request) -> str | None:
    """The `charset` parameter of Content-Type, if any."""
    for part in request.headers.get("content-type", "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip()
    return None


def _count_entries(root: Any, limit: int) -> None:
    """A Bundle's entries counted on the parsed tree, before the (slower) conversion to
    JSON, so a 100,000-entry Bundle is a quick 413 (the same limit as for JSON)."""
    if root.tag != f"{{{xml.FHIR_NS}}}Bundle":
        return
    count = sum(1 for _ in root.iterchildren(f"{{{xml.FHIR_NS}}}entry"))
    if count > limit:
        raise TooLarge(
            f"the Bundle holds {count} entries; the limit is {limit} per request "
            "(split it, or raise --max-entries)"
        )


async def read_fhir(request: Request, limit: int) -> Any:
    """The posted FHIR as a JSON value. Decoding and parsing run in a worker thread, so a
    large or costly body never holds up the event loop (GET /fhir/metadata answers while
    it is read)."""
    kind = media_type(request)
    data = await read_limited(request, limit)
    entries = getattr(request.app.state.settings, "max_entries", None)
    return await within_budget(
        run_in_threadpool(parse, data, kind, limit, charset(request), entries)
    )


async def within_budget(work: Awaitable[T]) -> T:
    """`work` (side-effect free: parsing, $evaluate), or 413 once it has taken longer than
    the request budget (adapter.limits)."""
    seconds = budget_seconds()
    try:
        return await asyncio.wait_for(work, seconds)
    except TimeoutError:
        raise problem(
            413,
            "too-costly",
            f"the request needs more than the {seconds:g} s budget to read or evaluate; "
            "send it in smaller pieces",
        ) from None


def budget_seconds() -> float:
    raw = os.environ.get("REFEREE_REQUEST_BUDGET")
    try:
        return float(raw) if raw else REQUEST_BUDGET_SECONDS
    except ValueError:
        return REQUEST_BUDGET_SECONDS

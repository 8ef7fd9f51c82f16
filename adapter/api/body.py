"""Reading a posted body: media type, size limit, JSON or FHIR XML → a JSON value.

415 for a media type that is not FHIR JSON or XML; 413 over the size limit; 400 for a body
that does not parse (or XML with a DOCTYPE, which is refused whole).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from adapter import xml
from adapter.api.outcomes import problem
from adapter.errors import HostileXml, UnreadableInput
from adapter.ingest.decode import to_utf8

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
    """The body, refused with 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> Exception:
    return problem(
        413,
        "too-costly",
        f"the body is larger than the limit of {limit} bytes (at least {size}); "
        "send smaller Bundles or raise --max-body-bytes",
    )


def parse(data: bytes, kind: str, limit: int, charset: str | None = None) -> Any:
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
        return xml.fhir_xml_to_json(xml.parse_xml_bytes(data, max_bytes=limit))
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


async def read_fhir(request: Request, limit: int) -> Any:
    kind = media_type(request)
    return parse(await read_limited(request, limit), kind, limit, charset(request))

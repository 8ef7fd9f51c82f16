"""FHIR answers: the response classes, and errors as OperationOutcome (built by
`adapter.report.outcome`, the one Issue → OperationOutcome)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from adapter.model import Issue, Location
from adapter.report.outcome import operation_outcome

REQUEST = Location(file="request")


class FhirResponse(Response):
    media_type = "application/fhir+json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class FhirXmlResponse(Response):
    media_type = "application/fhir+xml"

    def render(self, content: Any) -> bytes:
        from adapter.xml import fhir_json_to_xml

        return fhir_json_to_xml(content)


_XML = {"xml", "application/fhir+xml", "application/xml", "text/xml"}
_JSON = {"json", "application/fhir+json", "application/json"}


def wants_xml(request: Request) -> bool:
    """FHIR XML when `_format` or the first FHIR type in Accept asks for it; else JSON."""
    fmt = request.query_params.get("_format")
    if fmt:
        return fmt.strip().lower() in _XML
    for part in request.headers.get("accept", "").split(","):
        kind = part.split(";", 1)[0].strip().lower()
        if kind in _XML or kind in _JSON:
            return kind in _XML
    return False


def fhir(
    request: Request, body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A FHIR answer in JSON, or XML when the client asks for it."""
    kind = FhirXmlResponse if wants_xml(request) else FhirResponse
    return kind(body, status_code=status, headers=headers)


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class FhirError(Exception):
    """An error answered as an OperationOutcome with `status`."""

    def __init__(self, status: int, issues: Sequence[Issue], headers: dict[str, str] | None = None):
        super().__init__(issues[0].message if issues else str(status))
        self.status = status
        self.issues = tuple(issues)
        self.headers = headers
        self.audited = False  # True when the store has already recorded it


def problem(status: int, code: str, message: str, field: str | None = None) -> FhirError:
    """A one-issue FhirError located at the request (and `field` when one is at fault)."""
    return FhirError(status, [Issue("error", code, Location(file="request", field=field), message)])


def outcome(issues: Sequence[Issue]) -> dict[str, Any]:
    return operation_outcome(issues, none="All OK")


def information(message: str) -> dict[str, Any]:
    return operation_outcome([Issue("information", "informational", REQUEST, message)], none="")


def _documented(description: str) -> dict[str, Any]:
    schema = {"type": "object", "description": "a FHIR R4 OperationOutcome"}
    return {
        "description": description,
        "content": {"application/fhir+json": {"schema": schema}},
    }


READ_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _documented("a bad query parameter (OperationOutcome)"),
    401: _documented("no API key, or not a live one (OperationOutcome)"),
    403: _documented("the key's scope does not allow this (OperationOutcome)"),
}
SUBMIT_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    400: _documented("a body that does not parse, or does not fit the URL (OperationOutcome)"),
    413: _documented("over the body size or Bundle entry limit (OperationOutcome)"),
    415: _documented("not application/fhir+json or application/fhir+xml (OperationOutcome)"),
    422: _documented("invalid FHIR, every issue located (OperationOutcome)"),
}

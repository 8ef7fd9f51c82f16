"""The OpenAPI document as the service really answers (issue 15, finding 9: schemathesis
found 14 conformance failures). FastAPI derives it from the routes; three things it gets
wrong for this service are put right here, once, for every route:

- a route answering with our own Response classes is documented as `{"type": "string"}`:
  its body is a JSON object (or, for FHIR answers asked as XML, FHIR XML);
- FastAPI documents `422 Validation Error` for bad parameters, which this service answers
  with 400 and an OperationOutcome (a 422 a route documents itself is kept);
- a route with a path parameter can answer 404 (no such obligation, no such type).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

_OUTCOME = {"type": "object", "description": "a FHIR R4 OperationOutcome"}


def conformant(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """A replacement for `app.openapi`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for path, operations in schema.get("paths", {}).items():
                for operation in operations.values():
                    _fix(path, operation)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def _fix(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    default_422 = responses.get("422", {}).get("description") == "Validation Error"
    if default_422:
        del responses["422"]
        responses.setdefault("400", _documented("a bad parameter (OperationOutcome)"))
    if "{" in path:
        responses.setdefault(
            "404", _documented("no such resource or obligation (OperationOutcome)")
        )
    for answer in responses.values():
        content = answer.get("content", {})
        for body in content.values():
            if body.get("schema") == {"type": "string"}:
                body["schema"] = {"type": "object"}
        if "application/fhir+json" in content:
            content.setdefault("application/fhir+xml", {"schema": {"type": "string"}})


def _documented(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/fhir+json": {"schema": _OUTCOME}}}


__all__ = ["conformant"]

"""The OpenAPI document as the service really answers (issue 15, finding 9: schemathesis
found 14 conformance failures). FastAPI derives it from the routes; three things it gets
wrong for this service are put right here, once, for every route:

- a route answering with our own Response classes is documented as `{"type": "string"}`:
  its body is a JSON object (or, for FHIR answers asked as XML, FHIR XML);
- FastAPI documents `422 Validation Error` for bad parameters, which this service answers
  with 400 and an OperationOutcome (a 422 a route documents itself is kept);
- a route with a path parameter can answer 404 (no such obligation, no such type);
- a single resource's create or update answers 201 when it stored a new resource.

It also carries OpenAPI links (what an answer lets a client call next), so that
schemathesis's state machine can chain calls as a client would: create then update, read
and vread the same resource, list obligations then read one, follow `next` cursors.
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
                for method, operation in operations.items():
                    _fix(path, method, operation)
            _link(schema.get("paths", {}))
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def _fix(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if path.startswith("/fhir/{resource_type}") and method in ("post", "put"):
        created = dict(responses["200"], description="stored as a new resource")
        responses.setdefault("201", created)
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


# (from method, from path, answer status, link name, to method, to path, parameters, the
# body's fields): a link is added only when both operations are in the document (routes
# come and go). An update's body must name the URL's type and id, so the link says so.
# Location is absolute, <base>/fhir/{type}/{id}[/_history/{version}] (contract §12.3)
_ID_IN_LOCATION = "$response.header.Location#regex:/fhir/[^/]+/([^/]+)"
_VERSION_IN_LOCATION = "$response.header.Location#regex:/_history/([^/]+)$"
_LINKS: tuple[tuple[str, str, str, str, str, str, dict[str, str], dict[str, str] | None], ...] = (
    (
        "post",
        "/fhir/{resource_type}",
        "201",
        "UpdateCreated",
        "put",
        "/fhir/{resource_type}/{resource_id}",
        {"resource_type": "$request.path.resource_type", "resource_id": _ID_IN_LOCATION},
        {"resourceType": "$request.path.resource_type", "id": _ID_IN_LOCATION},
    ),
    (
        "put",
        "/fhir/{resource_type}/{resource_id}",
        "200",
        "UpdateAgain",
        "put",
        "/fhir/{resource_type}/{resource_id}",
        {
            "resource_type": "$request.path.resource_type",
            "resource_id": "$request.path.resource_id",
        },
        {"resourceType": "$request.path.resource_type", "id": "$request.path.resource_id"},
    ),
    (
        "post",
        "/fhir/{resource_type}",
        "201",
        "ReadCreated",
        "get",
        "/fhir/{resource_type}/{resource_id}",
        {"resource_type": "$request.path.resource_type", "resource_id": _ID_IN_LOCATION},
        None,
    ),
    (
        "post",
        "/fhir/{resource_type}",
        "201",
        "VreadCreated",
        "get",
        "/fhir/{resource_type}/{resource_id}/_history/{version_id}",
        {
            "resource_type": "$request.path.resource_type",
            "resource_id": _ID_IN_LOCATION,
            "version_id": _VERSION_IN_LOCATION,
        },
        None,
    ),
    (
        "put",
        "/fhir/{resource_type}/{resource_id}",
        "200",
        "ReadUpdated",
        "get",
        "/fhir/{resource_type}/{resource_id}",
        {
            "resource_type": "$request.path.resource_type",
            "resource_id": "$request.path.resource_id",
        },
        None,
    ),
    (
        "get",
        "/obligations",
        "200",
        "ReadFirst",
        "get",
        "/obligations/{obligation_id}",
        {"obligation_id": "$response.body#/obligations/0/id"},
        None,
    ),
    (
        "get",
        "/obligations",
        "200",
        "NextPage",
        "get",
        "/obligations",
        {"next": "$response.body#/next"},
        None,
    ),
    ("get", "/audit", "200", "NextPage", "get", "/audit", {"before": "$response.body#/next"}, None),
    (
        "get",
        "/fhir/DetectedIssue",
        "200",
        "ReadFirst",
        "get",
        "/fhir/DetectedIssue/{ident}",
        {"ident": "$response.body#/entry/0/resource/id"},
        None,
    ),
)


def _link(paths: dict[str, Any]) -> None:
    for method, path, status, name, to_method, to_path, parameters, body in _LINKS:
        source = paths.get(path, {}).get(method)
        if source is None or to_method not in paths.get(to_path, {}):
            continue
        answer = source["responses"].get(status)
        if answer is None:
            continue
        pointer = to_path.replace("~", "~0").replace("/", "~1")
        link: dict[str, Any] = {
            "operationRef": f"#/paths/{pointer}/{to_method}",
            "parameters": parameters,
        }
        if body is not None:
            link["requestBody"] = body
        answer.setdefault("links", {})[name] = link


def _documented(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/fhir+json": {"schema": _OUTCOME}}}


__all__ = ["conformant"]

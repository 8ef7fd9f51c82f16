"""FHIR out: `GET /fhir/metadata`, the CapabilityStatement (docs/contract.md §12.7). The
searches and reads it declares are those of `adapter/api/fhir_search.py` (DetectedIssue,
MeasureReport), `adapter/api/fhir_read.py` and `adapter/api/fhir_traffic.py` (every stored
type), and `tests/api/test_capability.py` checks it against the routes."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from fastapi import APIRouter, Request, Response

from adapter.api import bulk, smart
from adapter.api.fhir_search import SEARCH_PARAMETERS
from adapter.api.outcomes import FhirResponse, fhir
from adapter.api.traffic_params import DESCRIPTIONS, MADE, NOT_STORED, parameters
from adapter.fhir import RESOURCE_TYPES

router = APIRouter(tags=["FHIR out"])

_STORED = (
    "Stored traffic: create and update (versioned; If-Match for a conditional update), read "
    "and vread of every version kept, search of the current versions this key may read. "
    "Searches page with _count (1-1000, default 100) and Bundle.link next/previous; "
    "_summary=count gives the total alone; _elements keeps the named elements; an unknown "
    "parameter is 400 unless Prefer: handling=lenient."
)
_MADE = (
    "{kind}s made from the stored obligations, status as of now (or as_of); ids stable. "
    "Searches page with _count (1-1000, default 100) and Bundle.link next/previous; "
    "_summary=count gives the total alone; _elements keeps the named elements; an unknown "
    "parameter is 400 unless Prefer: handling=lenient."
)
STORED_INTERACTIONS = ("read", "vread", "create", "update", "search-type")


def stored_types() -> list[str]:
    """Every R4 resource type the service stores, reads and searches."""
    return sorted(RESOURCE_TYPES - NOT_STORED)


def _parameter(fhir_base: str, kind: str, name: str, type_of: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "definition": f"{fhir_base}/SearchParameter/{kind}-{name.lstrip('_')}",
        "type": type_of,
        "documentation": what,
    }


def _stored(fhir_base: str, kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "interaction": [{"code": code} for code in STORED_INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "searchParam": [
            _parameter(fhir_base, kind, name, type_of, DESCRIPTIONS[name])
            for name, (type_of, _, _) in parameters(kind).items()
        ],
        "documentation": _STORED,
    }


def _made(fhir_base: str, kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            _parameter(fhir_base, kind, name, type_of, what)
            for name, (type_of, what) in SEARCH_PARAMETERS[kind].items()
        ],
        "documentation": _MADE.format(kind=kind),
    }


def _with_group_export(resource: dict[str, Any]) -> dict[str, Any]:
    """The stored Group type also answers Group/{ODS}/$export (adapter/api/bulk.py)."""
    if resource["type"] != "Group":
        return resource
    joined = f"{resource['documentation']} {bulk.GROUP['documentation']}"
    return {**resource, "operation": bulk.GROUP["operation"], "documentation": joined}


def capability_statement(base: str = "http://127.0.0.1:8000") -> dict[str, Any]:
    """What the server at `base` does, and nothing it does not (R4, valid in
    fhir.resources); its own definitions are canonical URLs under `base`/fhir."""
    fhir_base = f"{base.rstrip('/')}/fhir"
    return {
        "resourceType": "CapabilityStatement",
        "url": f"{fhir_base}/metadata",
        "status": "active",
        "date": "2026-12-02",
        "publisher": "Interface Referee",
        "kind": "instance",
        "software": {"name": "Interface Referee", "version": version("interface-referee")},
        "implementation": {
            "description": "referee serve: NHS primary-secondary care interface obligations",
            "url": fhir_base,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "application/fhir+xml"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "JSON or XML in (application/fhir+json, application/fhir+xml); FHIR "
                    "answers in JSON, or XML with Accept: application/fhir+xml or _format=xml. "
                    "Every request except this one needs Authorization: Bearer <API key>. "
                    "Create and update answer Prefer: return=minimal, representation or "
                    "OperationOutcome (the default)."
                ),
                "security": {
                    "description": "API keys (referee keys create), sent as a Bearer token."
                },
                "resource": [_made(fhir_base, kind) for kind in MADE]
                + [_with_group_export(_stored(fhir_base, kind)) for kind in stored_types()],
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
                "operation": [
                    {
                        "name": "evaluate",
                        "definition": f"{fhir_base}/OperationDefinition/evaluate",
                        "documentation": (
                            "POST /fhir/$evaluate: check a resource or Bundle without storing "
                            "it; answers the JSON of referee check --format json."
                        ),
                    },
                    *bulk.OPERATIONS,
                ],
            }
        ],
    }


@router.get("/fhir/metadata", response_class=FhirResponse)
async def metadata(request: Request) -> Response:
    """The CapabilityStatement (no key needed, as FHIR expects)."""
    statement = capability_statement(str(request.base_url))
    return fhir(request, smart.secured(statement, smart.token_url(request)))

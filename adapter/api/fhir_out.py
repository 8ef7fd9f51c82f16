"""FHIR out: `GET /fhir/metadata`, the CapabilityStatement. The searches and reads it
declares for DetectedIssue and MeasureReport are in `adapter/api/fhir_search.py`."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from fastapi import APIRouter, Request, Response

from adapter.api import bulk, smart
from adapter.api.fhir_search import SEARCH_PARAMETERS
from adapter.api.outcomes import FhirResponse, fhir

router = APIRouter(tags=["FHIR out"])

_SUBMITTED = (
    "Submitted resources are stored (create, update); re-sending the same resource changes "
    "nothing. Any R4 resource type is accepted; these carry or inform obligations."
)
_TYPES = (
    "Appointment",
    "CarePlan",
    "Composition",
    "DocumentReference",
    "Encounter",
    "List",
    "Medication",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Organization",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "ServiceRequest",
    "Task",
)


def capability_statement() -> dict[str, Any]:
    """What the server does, and nothing it does not (R4, valid in fhir.resources)."""
    written = [
        {
            "type": kind,
            "interaction": [{"code": "create"}, {"code": "update"}],
            "versioning": "versioned-update",
            "updateCreate": True,
            "documentation": _SUBMITTED,
        }
        for kind in _TYPES
    ]
    read = [
        {
            "type": kind,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": name, "type": kind_of, "documentation": what}
                for name, (kind_of, what) in SEARCH_PARAMETERS[kind].items()
            ],
            "documentation": (
                f"{kind}s made from the stored obligations, status as of now (or as_of); "
                "ids stable. Searches page with _count (1-1000, default 100) and "
                "Bundle.link next/previous; _summary=count gives the total alone; an "
                "unknown parameter is 400 unless Prefer: handling=lenient."
            ),
        }
        for kind in ("DetectedIssue", "MeasureReport")
    ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-23",
        "publisher": "Interface Referee",
        "kind": "instance",
        "software": {"name": "Interface Referee", "version": version("interface-referee")},
        "implementation": {
            "description": "referee serve: NHS primary-secondary care interface obligations"
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "application/fhir+xml"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "JSON or XML in (application/fhir+json, application/fhir+xml); FHIR "
                    "answers in JSON, or XML with Accept: application/fhir+xml or _format=xml. "
                    "Every request except this one needs Authorization: Bearer <API key>."
                ),
                "security": {
                    "description": "API keys (referee keys create), sent as a Bearer token."
                },
                "resource": [*written, *read, bulk.GROUP],
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
                "operation": [
                    {
                        "name": "evaluate",
                        "definition": "http://example.org/fhir/OperationDefinition/evaluate",
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
    return fhir(request, smart.secured(capability_statement(), smart.token_url(request)))

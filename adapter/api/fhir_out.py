"""FHIR out: `GET /fhir/metadata` (CapabilityStatement), `GET /fhir/DetectedIssue` and
`GET /fhir/MeasureReport` (searchset Bundles of the resources `--format fhir` makes from
the stored obligations, as read now)."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from adapter.api.auth import requires
from adapter.api.deps import StoreDep
from adapter.api.outcomes import READ_ERRORS, FhirResponse, fhir
from adapter.api.reads import instant_query
from adapter.model import Counts, Result, format_instant
from adapter.report import fhir as fhir_report
from adapter.store import Filters, KeyInfo, Store

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
            "interaction": [{"code": "search-type"}],
            "documentation": f"{kind}s made from the stored obligations, status as of now.",
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
                "resource": written + read,
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
                "operation": [
                    {
                        "name": "evaluate",
                        "definition": "http://example.org/fhir/OperationDefinition/evaluate",
                        "documentation": (
                            "POST /fhir/$evaluate: check a resource or Bundle without storing "
                            "it; answers the JSON of referee check --format json."
                        ),
                    }
                ],
            }
        ],
    }


@router.get("/fhir/metadata", response_class=FhirResponse)
async def metadata(request: Request) -> Response:
    """The CapabilityStatement (no key needed, as FHIR expects)."""
    return fhir(request, capability_statement())


def _searchset(request: Request, resources: list[dict[str, Any]]) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + "/fhir"
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": format_instant(datetime.now(UTC)),
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


async def _report(
    request: Request,
    store: Store,
    key: KeyInfo,
    kind: str,
    filters: Filters,
    as_of: str | None,
) -> Response:
    now = instant_query("as_of", as_of) or datetime.now(UTC)
    obligations = await run_in_threadpool(store.obligations, filters, now)
    result = Result(as_of=now, counts=Counts(), obligations=obligations, issues=[])
    bundle = orjson.loads(fhir_report.render(result))
    found = [
        e["resource"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == kind
    ]
    detail = {"count": len(found), "obligations": len(obligations)}
    await run_in_threadpool(store.audit, key.name, f"read GET /fhir/{kind}", 200, detail)
    return fhir(request, _searchset(request, found))


Text = Annotated[str | None, Query(max_length=2048)]


@router.get("/fhir/DetectedIssue", response_class=FhirResponse, responses=READ_ERRORS)
async def detected_issues(
    request: Request,
    store: StoreDep,
    key: Annotated[KeyInfo, Depends(requires("read"))],
    rule: Text = None,
    owner: Text = None,
    owed_to: Text = None,
    as_of: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """One DetectedIssue per obligation breached now, or at `as_of` (as `referee check
    --format fhir`)."""
    filters = Filters(rule=rule, owner=owner, owed_to=owed_to, status="breached", org=key.org)
    return await _report(request, store, key, "DetectedIssue", filters, as_of)


@router.get("/fhir/MeasureReport", response_class=FhirResponse, responses=READ_ERRORS)
async def measure_reports(
    request: Request,
    store: StoreDep,
    key: Annotated[KeyInfo, Depends(requires("read"))],
    rule: Text = None,
    owner: Text = None,
    owed_to: Text = None,
    as_of: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """One MeasureReport per rule and owner, now or at `as_of` (as `referee check --format
    fhir`)."""
    filters = Filters(rule=rule, owner=owner, owed_to=owed_to, org=key.org)
    return await _report(request, store, key, "MeasureReport", filters, as_of)

"""FHIR in: `POST /fhir` (a Bundle), `POST /fhir/{type}`, `PUT /fhir/{type}/{id}`, and
`POST /fhir/$evaluate` (check without storing).

Answers: a transaction is all or nothing (one rejected entry: 422 OperationOutcome with
every issue, nothing stored); a batch, collection, document, message or searchset Bundle
is stored entry by entry and answered with a `batch-response` Bundle (a
`transaction-response` for a transaction), one entry per resource read, each with its
status and, when not plainly created, an OperationOutcome.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from adapter import engine as pipeline
from adapter.api.auth import requires
from adapter.api.body import read_fhir, within_budget
from adapter.api.deps import policy_of, settings_of, store_of
from adapter.api.fhir_read import version_headers
from adapter.api.ndjson_in import is_ndjson
from adapter.api.ndjson_in import load as load_ndjson
from adapter.api.outcomes import (
    SUBMIT_ERRORS,
    FhirError,
    FhirResponse,
    JsonResponse,
    fhir,
    outcome,
    problem,
)
from adapter.api.query import if_match, preferences
from adapter.api.traffic_params import MADE
from adapter.errors import AdapterError
from adapter.ingest import Item, unpack
from adapter.instants import parse_instant
from adapter.model import Issue, Location, Severity, format_instant
from adapter.policy import Policy
from adapter.store import FORBIDDEN, PRECONDITION, Entry, KeyInfo, Stored, SubmitReport

log = logging.getLogger("adapter.api")
router = APIRouter(responses=SUBMIT_ERRORS, tags=["FHIR in"])

_FHIR_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/fhir+json": {"schema": {"type": "object"}},
            "application/fhir+xml": {"schema": {"type": "string"}},
        },
    }
}
_BUNDLE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/fhir+json": {"schema": {"type": "object"}},
            "application/fhir+xml": {"schema": {"type": "string"}},
            "application/fhir+ndjson": {"schema": {"type": "string"}},
        },
    }
}
_STATUS = {
    "created": "201 Created",
    "updated": "200 OK",
    "unchanged": "200 OK",
    "stale": "200 OK",
    "rejected": "422 Unprocessable Entity",
}
_NOTE = {
    "updated": "a newer version replaced the stored one; its obligations were re-evaluated",
    "unchanged": "already stored (same id and version, or same content); nothing changed",
    "stale": "older than the stored version, which is kept; nothing changed",
}


def _items(body: Any, request: Request, *, requests: bool = True) -> list[Item]:
    """The body's resources as `referee check` reads them (Bundles opened recursively);
    with `requests`, an entry that carries no resource is refused, not passed over."""
    limit = settings_of(request).max_entries
    items: list[Item] = []
    for item in unpack(body, Location(file="request"), requests=requests):
        items.append(item)
        if len(items) > limit:
            raise problem(
                413,
                "too-costly",
                f"the Bundle holds more than {limit} resources; the limit is {limit} per "
                "request (split it, or raise --max-entries)",
            )
    return items


def _log(action: str, report: SubmitReport) -> None:
    counts = report.counts()
    log.info(
        "%s: %d received, %d accepted, %d rejected; types %s",
        action,
        counts["received"],
        counts["accepted"],
        counts["rejected"],
        counts["resource_types"],
    )


async def _store(
    request: Request,
    items: list[Item],
    key: KeyInfo,
    action: str,
    transaction: bool,
    expected: str | None = None,
) -> SubmitReport:
    store = store_of(request)
    report: SubmitReport = await run_in_threadpool(
        lambda: store.submit(
            items,
            key_name=key.name,
            action=action,
            all_or_nothing=transaction,
            org=key.org,
            if_match=expected,
        )
    )
    _log(action, report)
    if not report.stored:
        issues = [issue for entry, _ in report.entries for issue in entry.issues]
        forbidden = [i for i in issues if i.code == FORBIDDEN]
        unmet = [i for i in issues if i.code == PRECONDITION] if expected is not None else []
        if forbidden:
            error = FhirError(403, forbidden[:1])
        elif unmet and len(unmet) == len(issues):
            error = FhirError(412, unmet)
        else:
            error = FhirError(422, issues)
        error.audited = True  # the store recorded the submission with its status
        raise error
    return report


def _response_entry(entry: Entry, stored: Stored) -> dict[str, Any]:
    forbidden = [i for i in entry.issues if i.code == FORBIDDEN]
    if forbidden:  # no oracle: nothing of what is stored, not even the key's other issues
        return {"response": {"status": "403 Forbidden", "outcome": outcome(forbidden[:1])}}
    response: dict[str, Any] = {"status": _STATUS[stored.outcome]}
    if stored.reference and stored.outcome != "rejected":
        version = f"/_history/{stored.version}" if stored.version else ""
        response["location"] = f"{stored.reference}{version}"
    if stored.outcome == "rejected":
        response["outcome"] = outcome(entry.issues)
    elif stored.outcome in _NOTE:
        severity: Severity = "warning" if stored.outcome == "stale" else "information"
        note = Issue(severity, "informational", entry.location(), _NOTE[stored.outcome])
        response["outcome"] = outcome([note])
    return {"response": response}


@router.post("/fhir", response_class=FhirResponse, openapi_extra=_BUNDLE_BODY)
async def post_bundle(request: Request, key: KeyInfo = Depends(requires("submit"))) -> Response:  # noqa: B008
    """Submit a Bundle (transaction, batch, collection, document, message), or NDJSON
    (`application/fhir+ndjson`: one resource per line, streamed; counts per line)."""
    if is_ndjson(request):
        return await load_ndjson(request, key)
    body = await read_fhir(request, settings_of(request).max_body_bytes)
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        found = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
        raise problem(
            400,
            "invalid",
            f"POST /fhir takes a Bundle (got {found!r}); post one resource to /fhir/{{type}}",
            field="resourceType",
        )
    transaction = body.get("type") == "transaction"
    items = _items(body, request)
    report = await _store(request, items, key, "submit POST /fhir", transaction)
    answer = {
        "resourceType": "Bundle",
        "type": "transaction-response" if transaction else "batch-response",
        "timestamp": format_instant(datetime.now(UTC)),
        "entry": [_response_entry(e, s) for e, s in report.entries],
    }
    return fhir(request, answer)


async def _single(
    request: Request, kind: str, ident: str | None, key: KeyInfo, action: str
) -> Response:
    body = await read_fhir(request, settings_of(request).max_body_bytes)
    if kind == "Bundle":
        raise problem(400, "invalid", "post Bundles to /fhir, not /fhir/Bundle")
    if kind in MADE:
        raise problem(
            400,
            "not-supported",
            f"{kind} is made by this service from the obligations (read it at GET "
            f"/fhir/{kind}); it is not stored from clients",
        )
    if isinstance(body, dict) and body.get("resourceType") != kind:
        raise problem(
            400,
            "invalid",
            f"the body's resourceType {body.get('resourceType')!r} does not match the URL "
            f"type {kind!r}",
            field="resourceType",
        )
    if isinstance(body, dict) and ident is not None and body.setdefault("id", ident) != ident:
        raise problem(
            400,
            "invalid",
            f"the body's id {body.get('id')!r} does not match the URL id {ident!r}",
            field="id",
        )
    wanted = _return(request)
    expected = if_match(request) if ident is not None else None  # conditional update
    items = list(unpack(body, Location(file="request")))
    report = await _store(request, items, key, action, transaction=True, expected=expected)
    entry, stored = report.entries[0]
    headers = _where(request, stored) if stored.outcome != "rejected" else {}
    status = 201 if stored.outcome == "created" else 200
    if wanted == "minimal":
        return Response(status_code=status, headers=headers)
    if wanted == "representation" and stored.reference:
        ident = stored.reference.removeprefix(f"{kind}/")
        found = await run_in_threadpool(store_of(request).read, kind, ident, key.org)
        if found is not None:
            headers["Last-Modified"] = version_headers(found)["Last-Modified"]
            return fhir(request, found.resource, status, headers)
    answer = _response_entry(entry, stored)["response"].get("outcome") or outcome(
        [Issue("information", "informational", entry.location(), "stored")]
    )
    return fhir(request, answer, status, headers)


_RETURNS = ("minimal", "representation", "OperationOutcome")


def _return(request: Request) -> str:
    """What `Prefer: return=` asks a create or update to answer (R4 http.html#ops): the
    OperationOutcome when it asks nothing."""
    wanted = preferences(request).get("return", "OperationOutcome")
    if wanted not in _RETURNS:
        raise problem(
            400, "value", f"Prefer: return= must be one of {', '.join(_RETURNS)} (got {wanted!r})"
        )
    return wanted


def _where(request: Request, stored: Stored) -> dict[str, str]:
    """`Location` as an absolute URL, versioned, and the version as a weak `ETag` (R4
    http.html#create, #versioning)."""
    headers: dict[str, str] = {}
    if stored.reference:
        version = f"/_history/{stored.version}" if stored.version else ""
        base = str(request.base_url).rstrip("/")
        headers["Location"] = f"{base}/fhir/{stored.reference}{version}"
    if stored.version:
        headers["ETag"] = f'W/"{stored.version}"'
    return headers


@router.post("/fhir/$evaluate", response_class=JsonResponse, openapi_extra=_FHIR_BODY)
async def evaluate(
    request: Request,
    as_of: str | None = None,
    key: KeyInfo = Depends(requires(None)),  # noqa: B008
) -> JsonResponse:
    """Run `referee check` on the posted resource or Bundle without storing it; the answer
    is the JSON of `referee check --format json` (rules.md §7)."""
    when = _as_of(as_of)
    body = await read_fhir(request, settings_of(request).max_body_bytes)
    items = _items(body, request, requests=False)
    policy: Policy | None = policy_of(request)
    try:
        result = await within_budget(
            run_in_threadpool(lambda: pipeline.run(items, as_of=when, policy=policy))
        )
    except AdapterError as exc:
        raise FhirError(
            400, exc.issues or [Issue("error", "invalid", Location(), exc.message)]
        ) from exc
    detail = {"received": len(items), "summary": result.summary()}
    await run_in_threadpool(
        store_of(request).audit, key.name, "evaluate POST /fhir/$evaluate", 200, detail
    )
    return JsonResponse(result.to_json())


def _as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    when = parse_instant(value)
    if when is None:
        raise problem(
            400,
            "value",
            f"as_of must be a FHIR instant such as 2026-01-31T12:00:00Z (got {value!r})",
            field="as_of",
        )
    return when


@router.post("/fhir/{resource_type}", response_class=FhirResponse, openapi_extra=_FHIR_BODY)
async def create(
    request: Request,
    resource_type: str,
    key: KeyInfo = Depends(requires("submit")),  # noqa: B008
) -> Response:
    """Submit one resource (create). An id in the body is kept: re-sending the same
    resource changes nothing; without an id one is assigned. `Prefer: return=minimal`
    answers no body, `return=representation` the stored resource, else an
    OperationOutcome."""
    return await _single(request, resource_type, None, key, f"submit POST /fhir/{resource_type}")


@router.put(
    "/fhir/{resource_type}/{resource_id}", response_class=FhirResponse, openapi_extra=_FHIR_BODY
)
async def update(
    request: Request,
    resource_type: str,
    resource_id: str,
    key: KeyInfo = Depends(requires("submit")),  # noqa: B008
) -> Response:
    """Submit one resource (update): stored, or replaces an older version. With
    `If-Match: W/"v"` only when version v is the one stored now, else 412."""
    return await _single(
        request, resource_type, resource_id, key, f"submit PUT /fhir/{resource_type}"
    )

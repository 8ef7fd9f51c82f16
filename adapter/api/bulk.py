"""FHIR Bulk Data Access IG 2.0 export: `GET /fhir/$export` (system) and
`GET /fhir/Group/{ODS}/$export` (a Group is an organisation: the traffic it owns or is party
to, as a key with `--org ODS` reads it), polled at `GET /bulk/{job}` and cancelled with
`DELETE /bulk/{job}`; the NDJSON files at `GET /bulk/{job}/{Type}.ndjson`.

A job belongs to the organisation of the key that started it: only keys of that
organisation (keys with no organisation for theirs) see its status and files; anyone else
gets 404, as for a job that does not exist.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from adapter.api.auth import requires
from adapter.api.deps import StoreDep
from adapter.api.exporter import Exporter
from adapter.api.outcomes import (
    READ_ERRORS,
    FhirResponse,
    JsonResponse,
    fhir,
    information,
    outcome,
    problem,
)
from adapter.api.reads import instant_query
from adapter.model import Issue, Location, format_instant
from adapter.store import Job, KeyInfo, Store

router = APIRouter(tags=["Bulk Data"])

NDJSON = "application/fhir+ndjson"
_FORMATS = {NDJSON, "application/ndjson", "ndjson"}
_KNOWN = {"_type", "_since", "_outputFormat"}
_TYPE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
_FILE = re.compile(r"^([A-Z][A-Za-z]{1,63})\.ndjson$")
_MAX_RUNNING = 4  # per organisation; more answer 429
_CHUNK = 64 * 1024

_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
_GROUP_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"
# For the CapabilityStatement (adapter/api/fhir_out.py)
OPERATIONS: list[dict[str, Any]] = [
    {
        "name": "export",
        "definition": _EXPORT,
        "documentation": (
            "GET /fhir/$export with Prefer: respond-async (FHIR Bulk Data 2.0): the stored "
            "traffic the key may read and the breached obligations as DetectedIssue, as "
            "NDJSON; _type, _since, _outputFormat=application/fhir+ndjson. Poll the "
            "Content-Location; DELETE it to cancel."
        ),
    }
]
GROUP: dict[str, Any] = {
    "type": "Group",
    "operation": [
        {
            "name": "export",
            "definition": _GROUP_EXPORT,
            "documentation": (
                "GET /fhir/Group/{ODS}/$export: a Group is an organisation (its ODS code): "
                "the traffic it owns or is party to, as a key with --org ODS reads it."
            ),
        }
    ],
    "documentation": "Groups exist only for $export: one per organisation, its ODS code as id.",
}


def _answer(description: str, media: str = "application/fhir+json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": {"type": "object"}}}}


_KICKOFF = {
    **READ_ERRORS,
    202: _answer("started: poll the Content-Location (OperationOutcome)"),
    404: _answer("a Group this key cannot read (OperationOutcome)"),
    429: _answer("too many exports of this organisation running (OperationOutcome)"),
}
_STATUS = {
    **READ_ERRORS,
    200: _answer("complete: the manifest", "application/json"),
    202: _answer("in progress: Retry-After and X-Progress (OperationOutcome)"),
    404: _answer("no such export for this key (OperationOutcome)"),
    500: _answer("the export failed (OperationOutcome)"),
}
_DELETE = {**READ_ERRORS, 202: _answer("cancelled, files removed (OperationOutcome)")}
_FILE_ANSWERS = {
    **READ_ERRORS,
    200: _answer("the file, one resource per line", NDJSON),
    206: _answer("the rest of the file from the Range asked for", NDJSON),
}

Reader = Annotated[KeyInfo, Depends(requires("read"))]
JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]


def exporter_of(request: Request) -> Exporter:
    exporter: Exporter = request.app.state.exporter
    return exporter


def _lenient(request: Request) -> bool:
    return "handling=lenient" in request.headers.get("prefer", "").replace(" ", "").lower()


def _types(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    types = [part.strip() for part in raw.split(",") if part.strip()]
    bad = [kind for kind in types if not _TYPE.match(kind)]
    if bad or not types:
        raise problem(
            400,
            "value",
            f"_type must list resource types such as Encounter,Composition (got {raw!r})",
            "_type",
        )
    return sorted(set(types))


def _check_kickoff(request: Request) -> None:
    prefer = request.headers.get("prefer", "").replace(" ", "").lower()
    if "respond-async" not in prefer:
        raise problem(400, "required", "a Bulk export needs the header Prefer: respond-async")
    unknown = sorted(set(request.query_params) - _KNOWN)
    if unknown and not _lenient(request):
        raise problem(
            400,
            "not-supported",
            f"$export here has no parameter {', '.join(unknown)}; it supports "
            "_type, _since and _outputFormat (send Prefer: handling=lenient to ignore others)",
            unknown[0],
        )
    fmt = request.query_params.get("_outputFormat")
    if fmt is not None and fmt not in _FORMATS:
        raise problem(
            400, "not-supported", f"_outputFormat must be {NDJSON} (got {fmt!r})", "_outputFormat"
        )


async def _kickoff(request: Request, store: Store, key: KeyInfo, group: str | None) -> Response:
    _check_kickoff(request)
    types = _types(request.query_params.get("_type"))
    since = instant_query("_since", request.query_params.get("_since"))
    exporter = exporter_of(request)
    await run_in_threadpool(exporter.sweep)
    if await run_in_threadpool(store.running_exports, key.org) >= _MAX_RUNNING:
        raise _throttled()
    job = await run_in_threadpool(
        lambda: store.create_export(
            key_name=key.name,
            org=key.org,
            group_id=group,
            types=types,
            since=since,
            request=str(request.url),
        )
    )
    exporter.start(job)
    detail = {"job": job.id, "types": types or "all", "group": group is not None}
    await run_in_threadpool(store.audit, key.name, f"export GET {_route(request)}", 202, detail)
    headers = {"Content-Location": _status_url(request, job.id)}
    return fhir(
        request, information(f"export {job.id} started; poll the Content-Location"), 202, headers
    )


def _throttled() -> Exception:
    error = problem(
        429, "throttled", f"{_MAX_RUNNING} exports of this organisation are running; try later"
    )
    error.headers = {"Retry-After": "10"}
    return error


def _route(request: Request) -> str:
    return str(getattr(request.scope.get("route"), "path", "(no route)"))


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _status_url(request: Request, ident: str) -> str:
    return f"{_base(request)}/bulk/{ident}"


@router.get("/fhir/$export", response_class=FhirResponse, status_code=202, responses=_KICKOFF)
async def export_system(
    request: Request,
    store: StoreDep,
    key: Reader,
    type_: Annotated[str | None, Query(alias="_type", max_length=2048)] = None,
    since: Annotated[str | None, Query(alias="_since", max_length=64)] = None,
    output_format: Annotated[str | None, Query(alias="_outputFormat", max_length=64)] = None,
) -> Response:
    """Start a Bulk export of every stored resource the key may read, and the breached
    obligations as DetectedIssue (`Prefer: respond-async`); 202 with the status URL in
    `Content-Location`."""
    return await _kickoff(request, store, key, None)


@router.get(
    "/fhir/Group/{group_id}/$export",
    response_class=FhirResponse,
    status_code=202,
    responses=_KICKOFF,
)
async def export_group(
    request: Request,
    store: StoreDep,
    key: Reader,
    group_id: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9\-.]{1,64}$")],
    type_: Annotated[str | None, Query(alias="_type", max_length=2048)] = None,
    since: Annotated[str | None, Query(alias="_since", max_length=64)] = None,
    output_format: Annotated[str | None, Query(alias="_outputFormat", max_length=64)] = None,
) -> Response:
    """Start a Bulk export of one organisation's traffic (the Group's id is its ODS code):
    what it owns, the subject and evidence of the obligations it owes or is owed, and the
    context they point at. A key of another organisation gets 404."""
    if key.org is not None and key.org != group_id:
        raise problem(404, "not-found", f"no Group {group_id!r} that this key can read")
    return await _kickoff(request, store, key, group_id)


async def _job(store: Store, key: KeyInfo, ident: str) -> Job:
    """The job, when the key's organisation started it; else 404 (no oracle)."""
    job = await run_in_threadpool(store.export_job, ident)
    if job is None or job.org != key.org:
        raise problem(404, "not-found", f"no export {ident!r} that this key can see")
    return job


@router.get("/bulk/{job_id}", responses=_STATUS)
async def export_status(request: Request, store: StoreDep, key: Reader, job_id: JobId) -> Response:
    """While the export runs: 202 with `Retry-After` and `X-Progress`. Done: 200 and the
    completion manifest. Failed: 500 with an OperationOutcome."""
    job = await _job(store, key, job_id)
    if job.status == "running":
        headers = {"Retry-After": "1", "X-Progress": job.progress}
        return fhir(request, information(f"in progress: {job.progress}"), 202, headers)
    if job.status == "failed":
        issue = Issue("error", "exception", Location(file="request"), job.error or "failed")
        return fhir(request, outcome([issue]), 500)
    base = f"{_status_url(request, job.id)}"
    manifest: dict[str, Any] = {
        "transactionTime": format_instant(job.transaction_time),
        "request": job.request,
        "requiresAccessToken": True,
        "output": [
            {"type": o["type"], "url": f"{base}/{o['file']}", "count": o["count"]}
            for o in job.output
        ],
        "error": [],
    }
    await run_in_threadpool(
        store.audit, key.name, "export GET /bulk/{job_id}", 200, {"files": len(job.output)}
    )
    return JsonResponse(manifest)


@router.delete("/bulk/{job_id}", status_code=202, responses=_DELETE)
async def export_delete(request: Request, store: StoreDep, key: Reader, job_id: JobId) -> Response:
    """Cancel the export (a running one stops at its next batch) and remove its files."""
    await _job(store, key, job_id)
    await run_in_threadpool(store.delete_export, job_id)
    await run_in_threadpool(exporter_of(request).remove, job_id)
    await run_in_threadpool(store.audit, key.name, "export DELETE /bulk/{job_id}", 202, {})
    return fhir(request, information(f"export {job_id} cancelled and its files removed"), 202)


@router.get("/bulk/{job_id}/{file_name}", responses=_FILE_ANSWERS)
async def export_file(
    request: Request,
    store: StoreDep,
    key: Reader,
    job_id: JobId,
    file_name: Annotated[str, PathParam(max_length=80)],
) -> Response:
    """One NDJSON file of a complete export (`Accept-Encoding: gzip` for it compressed;
    `Range: bytes=N-` to continue a download)."""
    job = await _job(store, key, job_id)
    match = _FILE.match(file_name)
    files = {o["file"]: o for o in job.output} if job.status == "complete" else {}
    path = exporter_of(request).folder(job_id) / file_name
    if match is None or file_name not in files or not path.is_file():
        raise problem(404, "not-found", f"export {job_id} has no file {file_name!r}")
    detail = {"type": match[1], "count": files[file_name]["count"]}
    await run_in_threadpool(
        store.audit, key.name, "export GET /bulk/{job_id}/{file_name}", 200, detail
    )
    gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    if gzip and "range" not in request.headers:
        headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return StreamingResponse(_gzipped(path), media_type=NDJSON, headers=headers)
    return FileResponse(path, media_type=NDJSON, headers={"Vary": "Accept-Encoding"})


def _gzipped(path: Path) -> Iterator[bytes]:
    """The file gzip-compressed as it is read (never whole in memory)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            packed = packer.compress(chunk)
            if packed:
                yield packed
    yield packer.flush()

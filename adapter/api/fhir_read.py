"""`read` and `vread` of every stored resource (issue 12, part 1; docs/contract.md §12.5):
`GET /fhir/{type}/{id}` and `GET /fhir/{type}/{id}/_history/{vid}`, with `ETag` and
`Last-Modified`, and `_elements`.

A key for one organisation reads only what that organisation's keys wrote or what it owns
by the party rules; anything else is 404, the same answer as for nothing stored, so an
answer never says what another organisation holds. Nothing is ever deleted, so there is no
410.

These routes have a path parameter where others have a literal (`/fhir/metadata`,
`/fhir/DetectedIssue/{id}`, `/fhir/$export`...): the app includes this router after those.
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from adapter.api.auth import requires
from adapter.api.deps import StoreDep
from adapter.api.outcomes import READ_ERRORS, FhirResponse, fhir, problem
from adapter.api.query import elements, known_only, resource_type, stored_type, subset
from adapter.store import KeyInfo, Version

router = APIRouter(tags=["FHIR read"])

READ_PARAMETERS = ("_format", "_elements")
Reader = Annotated[KeyInfo, Depends(requires("read"))]
StoredType = Annotated[str, Depends(stored_type)]
Kind = Annotated[str, Path(max_length=64)]
Ident = Annotated[str, Path(max_length=64)]
Elements = Annotated[str | None, Query(alias="_elements", max_length=2048)]
Format = Annotated[str | None, Query(alias="_format", max_length=64)]


def version_headers(found: Version) -> dict[str, str]:
    """`ETag` (weak, the version id) and `Last-Modified` (when the store wrote it)."""
    return {
        "ETag": f'W/"{found.vid}"',
        "Last-Modified": format_datetime(found.stored_at, usegmt=True),
    }


async def _answer(
    request: Request,
    store: StoreDep,
    key: KeyInfo,
    kind: str,
    ident: str,
    vid: str | None,
) -> Response:
    resource_type(kind)
    known_only(request, READ_PARAMETERS, f"{'vread' if vid else 'read'} of {kind}")
    names = elements(request.query_params.get("_elements"))
    found = await run_in_threadpool(store.read, kind, ident, key.org, vid)
    route = "/fhir/{type}/{id}" + ("/_history/{vid}" if vid else "")
    status = 200 if found is not None else 404
    await run_in_threadpool(store.audit, key.name, f"read GET {route}", status, {"type": kind})
    if found is None:
        what = f"version {vid!r} of {kind} {ident!r}" if vid else f"{kind} {ident!r}"
        raise problem(404, "not-found", f"no {what} that this key can read")
    return fhir(request, subset(found.resource, names), headers=version_headers(found))


@router.get(
    "/fhir/{resource_type}/{resource_id}", response_class=FhirResponse, responses=READ_ERRORS
)
async def read(
    request: Request,
    _type: StoredType,  # before the key: an unknown type is 404, not 401
    store: StoreDep,
    key: Reader,
    resource_type: Kind,
    resource_id: Ident,
    elements_: Elements = None,
    format_: Format = None,
) -> Response:
    """The current version of a stored resource, with `meta.versionId`, `ETag` and
    `Last-Modified`; `_elements` keeps only the named elements."""
    return await _answer(request, store, key, resource_type, resource_id, None)


@router.get(
    "/fhir/{resource_type}/{resource_id}/_history/{version_id}",
    response_class=FhirResponse,
    responses=READ_ERRORS,
)
async def vread(
    request: Request,
    _type: StoredType,  # before the key: an unknown type is 404, not 401
    store: StoreDep,
    key: Reader,
    resource_type: Kind,
    resource_id: Ident,
    version_id: Ident,
    elements_: Elements = None,
    format_: Format = None,
) -> Response:
    """One version of a stored resource, as it was stored."""
    return await _answer(request, store, key, resource_type, resource_id, version_id)

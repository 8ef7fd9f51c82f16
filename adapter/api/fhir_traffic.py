"""`GET /fhir/{type}`: search the stored traffic (issue 12, part 1; docs/contract.md §12.6).

The current version of every stored resource of the type that the key may read (§12.5),
in the order first stored, filtered by the type's parameters (`adapter/api/traffic_params.py`,
matched as `adapter/api/matching.py` says), paged as the DetectedIssue search is: `_count`,
`Bundle.total`, signed `_page` tokens bound to the key's organisation, `_summary=count`;
`_elements` keeps the named elements of each match. A parameter the type does not have is
refused (400) unless `Prefer: handling=lenient`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from adapter.api.auth import requires
from adapter.api.deps import StoreDep
from adapter.api.matching import Matcher, matcher
from adapter.api.outcomes import READ_ERRORS, FhirResponse, fhir, problem
from adapter.api.paging import PAGE_PARAMETER, Page, count_of, decode, links
from adapter.api.query import elements, known_only, resource_type, stored_type, subset
from adapter.api.traffic_params import parameters
from adapter.model import format_instant
from adapter.store import KeyInfo, Store, Version

router = APIRouter(tags=["FHIR read"])

CONTROLS = ("_count", "_summary", "_format", "_elements", PAGE_PARAMETER)
_UNPAGED = ("_count", "_format", PAGE_PARAMETER)  # not carried in a page token


def _matchers(kind: str, query: tuple[tuple[str, str], ...]) -> list[Matcher]:
    known = parameters(kind)
    found = []
    for name, raw in query:
        if name in known:
            kind_of, paths, target = known[name]
            found.append(matcher(name, kind_of, raw, paths, target))
    return found


def _ids(query: tuple[tuple[str, str], ...]) -> list[str] | None:
    """The ids `_id` names, so the database reads only those rows (None: no `_id`)."""
    given = [raw for name, raw in query if name == "_id"]
    if not given:
        return None
    wanted = set(given[0].split(","))
    for raw in given[1:]:
        wanted &= set(raw.split(","))
    return sorted(v.strip() for v in wanted if v.strip())


def _search(
    store: Store, kind: str, org: str | None, query: tuple[tuple[str, str], ...]
) -> list[Version]:
    tests = _matchers(kind, query)
    ids = _ids(query)
    if ids is not None and len(ids) > 1000:
        raise problem(400, "too-costly", "_id may name at most 1000 ids", "_id")
    versions = store.versions(kind, org, ids)
    return [v for v in versions if all(test(v.resource) for test in tests)]


async def search(request: Request, store: Store, key: KeyInfo, kind: str) -> Response:
    resource_type(kind)
    known = set(parameters(kind)) | set(CONTROLS)
    known_only(request, known, f"a search of {kind}")
    secret: str = request.app.state.page_secret
    token = request.query_params.get(PAGE_PARAMETER)
    if token:
        page = decode(secret, token, key.org)
    else:
        given = request.query_params.multi_items()
        searched = tuple(sorted((k, v) for k, v in given if k in known and k not in _UNPAGED))
        count = count_of(request.query_params.get("_count"))
        page = Page(searched, format_instant(datetime.now(UTC)) or "", 0, count, key.org)
    options = dict(page.query)
    summary = options.get("_summary")
    if summary not in (None, "count", "false"):
        raise problem(400, "not-supported", f"_summary={summary} is not supported", "_summary")
    names = elements(options.get("_elements"))
    found = await run_in_threadpool(_search, store, kind, key.org, page.query)
    base = f"{str(request.base_url).rstrip('/')}/fhir"
    total_only = summary == "count" or page.count == 0  # _count=0: the total alone
    shown = [] if total_only else found[page.offset : page.offset + page.count]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": format_instant(datetime.now(UTC)),
        "total": len(found),
        "link": links(f"{base}/{kind}", secret, page, len(found)),
        "entry": [
            {
                "fullUrl": f"{base}/{kind}/{v.key}",
                "resource": subset(v.resource, names),
                "search": {"mode": "match"},
            }
            for v in shown
        ],
    }
    detail = {"type": kind, "count": len(shown), "total": len(found)}
    await run_in_threadpool(store.audit, key.name, "read GET /fhir/{type}", 200, detail)
    return fhir(request, bundle)


@router.get("/fhir/{resource_type}", response_class=FhirResponse, responses=READ_ERRORS)
async def search_type(
    request: Request,
    _type: Annotated[str, Depends(stored_type)],  # before the key: unknown type 404, not 401
    store: StoreDep,
    key: Annotated[KeyInfo, Depends(requires("read"))],
    resource_type: Annotated[str, Path(max_length=64)],
    id_: Annotated[str | None, Query(alias="_id", max_length=2048)] = None,
    last_updated: Annotated[str | None, Query(alias="_lastUpdated", max_length=200)] = None,
    patient: Annotated[str | None, Query(max_length=2048)] = None,
    subject: Annotated[str | None, Query(max_length=2048)] = None,
    encounter: Annotated[str | None, Query(max_length=2048)] = None,
    date: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=200)] = None,
    count: Annotated[str | None, Query(alias="_count", max_length=8)] = None,
    summary: Annotated[str | None, Query(alias="_summary", max_length=16)] = None,
    elements_: Annotated[str | None, Query(alias="_elements", max_length=2048)] = None,
    page: Annotated[str | None, Query(alias=PAGE_PARAMETER, max_length=4096)] = None,
) -> Response:
    """Search the stored resources of one type (the current version of each that the key
    may read): `_id`, `_lastUpdated` on every type; `patient`, `subject`, `encounter`,
    `date` (prefixes eq/ne/lt/le/gt/ge), `status` where FHIR R4 gives the type that
    parameter (see the CapabilityStatement). Paged by `_count` and `Bundle.link`."""
    return await search(request, store, key, resource_type)

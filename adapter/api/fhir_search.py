"""`GET /fhir/DetectedIssue` and `GET /fhir/MeasureReport` as FHIR searches, and `read` of
each at its `fullUrl` (issue 12, point 1).

Ids are stable, derived from what the resource is about and never from the instant it is
read: a DetectedIssue's id is its obligation's id (as in `GET /obligations`), a
MeasureReport's a UUID from its rule and owner. Searches page with `_count` and signed
tokens (`adapter/api/paging.py`); `_summary=count` answers the total alone. A parameter
the search does not know is refused (400) unless the client sends
`Prefer: handling=lenient`, when it is ignored, as R4 search.html says.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from adapter.api.auth import requires
from adapter.api.deps import StoreDep
from adapter.api.matching import Matcher, matcher
from adapter.api.outcomes import READ_ERRORS, FhirResponse, fhir, problem
from adapter.api.paging import PAGE_PARAMETER, Page, count_of, decode, links
from adapter.api.query import elements, known_only, subset
from adapter.api.reads import instant_query
from adapter.model import Obligation, format_instant
from adapter.report import fhir as fhir_report
from adapter.store import Filters, KeyInfo, Store, obligation_id

router = APIRouter(tags=["FHIR out"])

# name → what it searches, for the CapabilityStatement (and the test that checks it)
SEARCH_PARAMETERS: dict[str, dict[str, tuple[str, str]]] = {
    "DetectedIssue": {
        "code": ("token", "the rule id (interface-rule code system)"),
        "author": ("reference", "the organisation that owes the obligation (ODS code)"),
        "patient": ("reference", "the patient's NHS number"),
        "rule": ("string", "the rule id (same as code)"),
        "owner": ("string", "the owing organisation's ODS code (same as author)"),
        "owed_to": ("string", "the ODS code of the organisation owed"),
        "as_of": ("date", "judge status at this instant instead of now"),
        "identified": ("date", "identifiedDateTime (the instant judged at); eq/lt/le/gt/ge"),
        "implicated": ("reference", "the obligation's subject or evidence: Type/id"),
    },
    "MeasureReport": {
        "measure": ("reference", "the Measure (canonical URL) or rule id"),
        "subject": ("reference", "the owing organisation's ODS code"),
        "rule": ("string", "the rule id (same as measure)"),
        "owner": ("string", "the owing organisation's ODS code (same as subject)"),
        "owed_to": ("string", "the ODS code of the organisation owed"),
        "as_of": ("date", "judge status at this instant instead of now"),
        "period": ("date", "the reporting period (earliest to latest due); eq/lt/le/gt/ge"),
    },
}
# the parameters matched on the resources made, not by the store (adapter/api/matching.py)
_MATCHED: dict[str, tuple[str, tuple[str, ...]]] = {
    "identified": ("date", ("identifiedDateTime",)),
    "implicated": ("reference", ("implicated",)),
    "period": ("date", ("period",)),
}
_CONTROL = ("_count", "_summary", "_format", PAGE_PARAMETER)
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, fhir_report.BASE + "/service")


def _value(raw: str | None, *prefixes: str) -> str | None:
    """A token or reference search value as the store holds it: `system|code` → code,
    `Organization/RXQ` → RXQ, a Measure's canonical URL → its rule id."""
    if raw is None:
        return None
    value = raw.rpartition("|")[2]
    for prefix in prefixes:
        value = value.removeprefix(prefix)
    return value


def _both(first: str | None, second: str | None) -> tuple[str | None, bool]:
    """The value two synonymous parameters ask for, and False when they disagree (then
    nothing can match)."""
    if first is not None and second is not None and first != second:
        return first, False
    return first or second, True


def _filters(kind: str, query: dict[str, str], org: str | None) -> Filters | None:
    if kind == "DetectedIssue":
        rule, same_rule = _both(_value(query.get("code")), query.get("rule"))
        owner, same_owner = _both(_value(query.get("author"), "Organization/"), query.get("owner"))
        patient = _value(query.get("patient"), "Patient/")
        status: str | None = "breached"
    else:
        measure = _value(query.get("measure"), fhir_report.MEASURE_BASE)
        rule, same_rule = _both(measure, query.get("rule"))
        owner, same_owner = _both(_value(query.get("subject"), "Organization/"), query.get("owner"))
        patient, status = None, None
    if not (same_rule and same_owner):
        return None
    return Filters(
        rule=rule,
        owner=owner,
        owed_to=query.get("owed_to"),
        patient=patient,
        status=status,
        org=org,
    )


def detected_issues(obligations: list[Obligation], as_of: str) -> list[dict[str, Any]]:
    found = []
    for obligation in obligations:
        resource = fhir_report.detected_issue(obligation, as_of)
        resource["id"] = obligation_id(obligation.rule, obligation.subject)
        found.append(resource)
    return found


def measure_reports(obligations: list[Obligation], as_of: str) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str | None], list[Obligation]] = {}
    for obligation in obligations:
        groups.setdefault((obligation.rule, obligation.owner), []).append(obligation)
    ordered = sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or "\uffff"))
    found = []
    for (rule, owner), items in ordered:
        resource = fhir_report.measure_report(rule, owner, items, as_of)
        resource["id"] = str(uuid.uuid5(_NAMESPACE, f"MeasureReport|{rule}|{owner or ''}"))
        found.append(resource)
    return found


_MAKERS: dict[str, Callable[[list[Obligation], str], list[dict[str, Any]]]] = {
    "DetectedIssue": detected_issues,
    "MeasureReport": measure_reports,
}


def _resources(
    store: Store, kind: str, filters: Filters | None, now: datetime, tests: list[Matcher]
) -> list[dict[str, Any]]:
    if filters is None:
        return []
    obligations = store.obligations(filters, now)
    made = _MAKERS[kind](obligations, format_instant(now) or "")
    return [r for r in made if all(test(r) for test in tests)]


def _tests(query: tuple[tuple[str, str], ...]) -> list[Matcher]:
    return [
        matcher(name, _MATCHED[name][0], raw, _MATCHED[name][1], None)
        for name, raw in query
        if name in _MATCHED
    ]


def _query(request: Request, kind: str) -> dict[str, str]:
    """The search parameters given; an unknown one is a 400 unless handling is lenient."""
    known = set(SEARCH_PARAMETERS[kind]) | set(_CONTROL) | {"_elements"}
    known_only(request, known, f"a search of {kind}")
    given = request.query_params
    return {name: given[name] for name in given if name in known}


def _first_page(query: dict[str, str], org: str | None) -> Page:
    when = instant_query("as_of", query.get("as_of")) or datetime.now(UTC)
    searched = tuple(sorted((k, v) for k, v in query.items() if k not in _CONTROL))
    return Page(searched, format_instant(when) or "", 0, count_of(query.get("_count")), org)


async def _search(request: Request, store: Store, key: KeyInfo, kind: str) -> Response:
    query = _query(request, kind)
    secret: str = request.app.state.page_secret
    token = query.get(PAGE_PARAMETER)
    page = decode(secret, token, key.org) if token else _first_page(query, key.org)
    summary = query.get("_summary")
    if summary not in (None, "count", "false"):
        raise problem(400, "not-supported", f"_summary={summary} is not supported", "_summary")
    now = instant_query("as_of", page.as_of) or datetime.now(UTC)
    filters = _filters(kind, dict(page.query), key.org)
    names = elements(dict(page.query).get("_elements"))
    tests = _tests(page.query)
    found = await run_in_threadpool(_resources, store, kind, filters, now, tests)
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
                "fullUrl": f"{base}/{kind}/{r['id']}",
                "resource": subset(r, names),
                "search": {"mode": "match"},
            }
            for r in shown
        ],
    }
    detail = {"count": len(shown), "total": len(found)}
    await run_in_threadpool(store.audit, key.name, f"read GET /fhir/{kind}", 200, detail)
    return fhir(request, bundle)


async def _read(request: Request, store: Store, key: KeyInfo, kind: str, ident: str) -> Response:
    now = datetime.now(UTC)
    if kind == "DetectedIssue":
        found = await run_in_threadpool(store.obligation, ident, key.org, now)
        obligations = [found] if found is not None and found.status == "breached" else []
    else:
        obligations = await run_in_threadpool(store.obligations, Filters(org=key.org), now)
    resources = [
        r for r in _MAKERS[kind](obligations, format_instant(now) or "") if r["id"] == ident
    ]
    status = 200 if resources else 404
    await run_in_threadpool(store.audit, key.name, f"read GET /fhir/{kind}/{{id}}", status, {})
    if not resources:
        raise problem(404, "not-found", f"no {kind} {ident!r} that this key can read now")
    return fhir(request, resources[0])


Text = Annotated[str | None, Query(max_length=2048)]
Token = Annotated[str | None, Query(alias=PAGE_PARAMETER, max_length=4096)]
Count = Annotated[str | None, Query(alias="_count", max_length=8)]
Summary = Annotated[str | None, Query(alias="_summary", max_length=16)]
Elements = Annotated[str | None, Query(alias="_elements", max_length=2048)]
Reader = Annotated[KeyInfo, Depends(requires("read"))]


@router.get("/fhir/DetectedIssue", response_class=FhirResponse, responses=READ_ERRORS)
async def search_detected_issues(
    request: Request,
    store: StoreDep,
    key: Reader,
    code: Text = None,
    author: Text = None,
    patient: Text = None,
    rule: Text = None,
    owner: Text = None,
    owed_to: Text = None,
    as_of: Annotated[str | None, Query(max_length=64)] = None,
    identified: Text = None,
    implicated: Text = None,
    count: Count = None,
    page: Token = None,
    summary: Summary = None,
    elements_: Elements = None,
) -> Response:
    """One DetectedIssue per obligation breached now, or at `as_of`, `_count` a page
    (default 100, at most 1000); follow `Bundle.link` next. `_summary=count`: the total."""
    return await _search(request, store, key, "DetectedIssue")


@router.get("/fhir/MeasureReport", response_class=FhirResponse, responses=READ_ERRORS)
async def search_measure_reports(
    request: Request,
    store: StoreDep,
    key: Reader,
    measure: Text = None,
    subject: Text = None,
    rule: Text = None,
    owner: Text = None,
    owed_to: Text = None,
    as_of: Annotated[str | None, Query(max_length=64)] = None,
    period: Text = None,
    count: Count = None,
    page: Token = None,
    summary: Summary = None,
    elements_: Elements = None,
) -> Response:
    """One MeasureReport per rule and owner, now or at `as_of`, paged as DetectedIssue."""
    return await _search(request, store, key, "MeasureReport")


@router.get("/fhir/DetectedIssue/{ident}", response_class=FhirResponse, responses=READ_ERRORS)
async def read_detected_issue(
    request: Request, store: StoreDep, key: Reader, ident: Annotated[str, Path(max_length=64)]
) -> Response:
    """The DetectedIssue of one obligation breached now (its id is the obligation's)."""
    return await _read(request, store, key, "DetectedIssue", ident)


@router.get("/fhir/MeasureReport/{ident}", response_class=FhirResponse, responses=READ_ERRORS)
async def read_measure_report(
    request: Request, store: StoreDep, key: Reader, ident: Annotated[str, Path(max_length=64)]
) -> Response:
    """One rule's MeasureReport for one owner, as of now."""
    return await _read(request, store, key, "MeasureReport", ident)

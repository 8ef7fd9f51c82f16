"""Reading: `GET /obligations`, `GET /obligations/{id}`, `GET /summary`, `GET /audit`.

Status is judged when read, at `as_of` (default now), by the one definition
(adapter/deadline.py, docs/contract.md §8): what `referee check --as-of` says of the same
data. A key with an organisation sees only what that organisation owes or is owed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from adapter.api.auth import requires
from adapter.api.deps import StoreDep
from adapter.api.outcomes import READ_ERRORS, JsonResponse, problem
from adapter.instants import parse_instant
from adapter.model import STATUSES, format_instant
from adapter.rules import RULES
from adapter.store import GROUPS, Filters, KeyInfo, decode_cursor

router = APIRouter(responses=READ_ERRORS, tags=["Obligations"])
_DOMAINS = ("onward-referrals", "complete-care", "call-and-recall", "points-of-contact")


def instant_query(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    when = parse_instant(value)
    if when is None:
        raise problem(
            400, "value", f"{name} must be a FHIR date or instant (got {value!r})", field=name
        )
    return when


def _filters(
    key: KeyInfo,
    rule: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    owed_to: str | None = None,
    patient: str | None = None,
    domain4: str | None = None,
    due_from: str | None = None,
    due_to: str | None = None,
) -> Filters:
    if status is not None and status not in STATUSES:
        raise problem(
            400, "value", f"status must be one of {', '.join(STATUSES)} (got {status!r})", "status"
        )
    if rule is not None and rule not in RULES:
        raise problem(
            400, "value", f"rule must be one of {', '.join(RULES)} (got {rule!r})", "rule"
        )
    if domain4 is not None and domain4 not in _DOMAINS:
        raise problem(
            400,
            "value",
            f"domain4 must be one of {', '.join(_DOMAINS)} (got {domain4!r})",
            "domain4",
        )
    return Filters(
        rule=rule,
        status=status,
        owner=owner,
        owed_to=owed_to,
        patient=patient,
        domain4=domain4,
        due_from=instant_query("from", due_from),
        due_to=instant_query("to", due_to),
        org=key.org,
    )


def _audited(filters: Filters) -> dict[str, Any]:
    """The filters for the audit trail, without the patient's identity."""
    shown: dict[str, Any] = {
        name: getattr(filters, name)
        for name in ("rule", "status", "owner", "owed_to", "domain4", "org")
        if getattr(filters, name) is not None
    }
    if filters.patient is not None:
        shown["patient"] = "(given)"
    return shown


Text = Annotated[str | None, Query(max_length=2048)]
_OBLIGATION_PARAMETERS = frozenset(
    {"rule", "status", "owner", "owed_to", "patient", "domain4", "from", "to", "as_of"}
    | {"next", "cursor", "limit"}
)


def _known_only(request: Request, known: frozenset[str]) -> None:
    """A parameter the route does not know is a 400, never silently ignored (a misspelt
    paging or filter parameter would answer the wrong page as if it were right)."""
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        raise problem(
            400,
            "not-supported",
            f"{request.url.path} has no parameter {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(known))}",
            unknown[0],
        )


@router.get("/obligations", response_class=JsonResponse)
async def list_obligations(
    request: Request,
    store: StoreDep,
    key: Annotated[KeyInfo, Depends(requires("read"))],
    rule: Text = None,
    status: Text = None,
    owner: Text = None,
    owed_to: Text = None,
    patient: Text = None,
    domain4: Text = None,
    due_from: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    due_to: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    as_of: Annotated[str | None, Query(max_length=64)] = None,
    following: Annotated[str | None, Query(alias="next", max_length=2048)] = None,
    cursor: Text = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JsonResponse:
    """Obligations sorted by rule then subject, `limit` at a time; the answer's `next`,
    passed back as `next` (or `cursor`, its older name), reads the following page (null
    on the last). `from`/`to` bound `due`. An unknown parameter is 400."""
    _known_only(request, _OBLIGATION_PARAMETERS)
    filters = _filters(key, rule, status, owner, owed_to, patient, domain4, due_from, due_to)
    now = instant_query("as_of", as_of) or datetime.now(UTC)
    if following is not None and cursor is not None and following != cursor:
        raise problem(400, "value", "next and cursor name the same page; give one", "next")
    cursor = following or cursor
    name = "next" if following is not None else "cursor"
    if cursor is not None and decode_cursor(cursor) is None:
        raise problem(400, "value", f"{name} must be a `next` value from a previous page", name)
    rows, after = await run_in_threadpool(store.page, filters, now, cursor, limit)
    body = {
        "as_of": format_instant(now),
        "obligations": [{"id": ident, **ob.to_json()} for ident, ob in rows],
        "next": after,
    }
    detail = {"count": len(rows), "filters": _audited(filters)}
    await run_in_threadpool(store.audit, key.name, "read GET /obligations", 200, detail)
    return JsonResponse(body)


@router.get("/obligations/{obligation_id}", response_class=JsonResponse)
async def get_obligation(
    request: Request,
    store: StoreDep,
    obligation_id: str,
    key: Annotated[KeyInfo, Depends(requires("read"))],
) -> JsonResponse:
    """One obligation by its id (as given in `GET /obligations`)."""
    found = await run_in_threadpool(store.obligation, obligation_id, key.org, datetime.now(UTC))
    code = 200 if found else 404
    await run_in_threadpool(store.audit, key.name, "read GET /obligations/{id}", code, {})
    if found is None:
        raise problem(404, "not-found", f"no obligation {obligation_id!r} that this key can read")
    return JsonResponse({"id": obligation_id, **found.to_json()})


@router.get("/summary", response_class=JsonResponse)
async def summary(
    request: Request,
    store: StoreDep,
    key: Annotated[KeyInfo, Depends(requires("read"))],
    group_by: Annotated[str, Query(max_length=200)] = "rule",
    rule: Text = None,
    owner: Text = None,
    owed_to: Text = None,
    domain4: Text = None,
    due_from: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    due_to: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    as_of: Annotated[str | None, Query(max_length=64)] = None,
) -> JsonResponse:
    """met / breached / pending / not-assessable counts and rates per group; `group_by`
    is a comma-separated list of owner, owed_to, rule, domain4, month (of `due`).
    met_rate = met ÷ (met + breached). `as_of` judges the statuses at another instant."""
    groups = [g.strip() for g in group_by.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups or len(set(groups)) != len(groups):
        raise problem(
            400,
            "value",
            f"group_by must be distinct names from {', '.join(GROUPS)} (got {group_by!r})",
            "group_by",
        )
    filters = _filters(key, rule, None, owner, owed_to, None, domain4, due_from, due_to)
    now = instant_query("as_of", as_of) or datetime.now(UTC)
    rows = await run_in_threadpool(store.summary, filters, groups, now)
    counted = sum(row["obligations"] for row in rows)
    detail = {"count": counted, "group_by": groups, "filters": _audited(filters)}
    await run_in_threadpool(store.audit, key.name, "read GET /summary", 200, detail)
    body = {"as_of": format_instant(now), "group_by": groups, "groups": rows}
    return JsonResponse(body)


@router.get("/audit", response_class=JsonResponse, tags=["Admin"])
async def audit(
    request: Request,
    store: StoreDep,
    key: Annotated[KeyInfo, Depends(requires("admin"))],
    before: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,  # an INTEGER id everywhere
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JsonResponse:
    """The audit trail, newest first; `next` is the `before` of the following page. An
    organisation-scoped admin key sees only its organisation's keys' entries."""
    entries, following = await run_in_threadpool(store.audit_page, before, limit, key.org)
    await run_in_threadpool(store.audit, key.name, "read GET /audit", 200, {"count": len(entries)})
    return JsonResponse({"entries": entries, "next": following})

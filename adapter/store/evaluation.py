"""Live obligations: re-evaluate only what a change can affect.

A changed resource brings its tokens (identities and references, before and after the
change). The *group* is every stored resource reachable through shared tokens (the same
patient, encounter, referral...); a changed hub (organisation, practitioner) reaches the
resources that point at it. The group, plus the hubs it points at, is judged once by
`adapter.engine.judge_facts`: the request's own resources by the facts already translated
when they were checked, the others translated from their stored body and sent time. The
group's obligations are replaced; each keeps its `clock`, so its status is judged when read.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, cast

import msgspec
import orjson
from sqlalchemy import ColumnElement, Table, delete, insert, select
from sqlalchemy.orm import Session

from adapter.engine import judge_facts
from adapter.facts import Fact
from adapter.ingest import Received
from adapter.model import Location, Obligation
from adapter.policy import Policy
from adapter.store.schema import ResourceLink, StoredObligation, StoredResource
from adapter.translate import translate

_OBLIGATIONS = cast(Table, StoredObligation.__table__)
_GROUP = ("id", "ref")
_CHUNK = 500


def obligation_id(rule: str, subject: str) -> str:
    return hashlib.sha256(f"{rule}\x00{subject}".encode()).hexdigest()[:32]


def reevaluate(
    session: Session,
    changed: Iterable[frozenset[tuple[str, str]]],
    posted: Mapping[tuple[str, str], Fact],
    policy: Policy,
    now: datetime,
) -> int:
    """Re-evaluate the groups the changed tokens touch, once; `posted` holds the facts of
    the request's resources by (type, key). Returns how many obligations the groups now
    have."""
    tokens = {pair for pairs in changed for pair in pairs}
    group_tokens = {t for t, k in tokens if k in _GROUP}
    hub_tokens = {t for t, k in tokens if k == "hubid"}
    if hub_tokens:
        group_tokens |= _pointing_at_hubs(session, hub_tokens)
    if not group_tokens:
        return 0
    group = _closure(session, group_tokens)
    rows = _rows(session, group | _hubs_of(session, group))
    facts = _facts(rows, posted, policy, _aliases(session, rows))
    obligations = judge_facts(facts, policy=policy, as_of=now)
    members = [r for r in rows if r.id in group]
    return _replace(session, members, obligations, now)


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = sorted(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _select_links(
    session: Session, column: str, values: set[Any], kinds: tuple[str, ...], want: str
) -> set[Any]:
    found: set[Any] = set()
    source = getattr(ResourceLink, column)
    target = getattr(ResourceLink, want)
    for chunk in _chunks(values):
        condition: ColumnElement[bool] = source.in_(chunk)
        query = select(target).where(condition, ResourceLink.kind.in_(kinds))
        found.update(session.scalars(query))
    return found


def _closure(session: Session, tokens: set[str]) -> set[int]:
    """Every non-hub resource reachable from `tokens` through shared tokens."""
    group: set[int] = set()
    seen = set(tokens)
    frontier = set(tokens)
    while frontier:
        found = _select_links(session, "token", frontier, _GROUP, "resource_pk") - group
        if not found:
            break
        group |= found
        more = _select_links(session, "resource_pk", found, _GROUP, "token")
        frontier = more - seen
        seen |= more
    return group


def _pointing_at_hubs(session: Session, hub_ids: set[str]) -> set[str]:
    """Tokens of the resources that point at these hubs, directly or through other hubs
    (a PractitionerRole of a changed Organization)."""
    seen = set(hub_ids)
    frontier = set(hub_ids)
    while frontier:
        hubs = _select_links(session, "token", frontier, ("hubref",), "resource_pk")
        more = _select_links(session, "resource_pk", hubs, ("hubid",), "token") - seen
        seen |= more
        frontier = more
    pointing = _select_links(session, "token", seen, ("hubref", "ref"), "resource_pk")
    return _select_links(session, "resource_pk", pointing, ("id",), "token")


def _hubs_of(session: Session, group: set[int]) -> set[int]:
    """The hubs a group points at, and the hubs those point at."""
    hubs: set[int] = set()
    refs = _select_links(session, "resource_pk", group, ("hubref", "ref"), "token")
    seen = set(refs)
    while refs:
        found = _select_links(session, "token", refs, ("hubid",), "resource_pk") - hubs
        hubs |= found
        more = _select_links(session, "resource_pk", found, ("hubref",), "token")
        refs = more - seen
        seen |= more
    return hubs


def _rows(session: Session, pks: set[int]) -> list[StoredResource]:
    rows: list[StoredResource] = []
    for chunk in _chunks(pks):
        rows.extend(session.scalars(select(StoredResource).where(StoredResource.id.in_(chunk))))
    return sorted(rows, key=lambda r: r.id)


def _aliases(session: Session, rows: list[StoredResource]) -> dict[int, list[str]]:
    """Every scoped urn:uuid fullUrl each row was sent under (links of kind `alias`)."""
    found: dict[int, list[str]] = {}
    link = ResourceLink
    for chunk in _chunks(r.id for r in rows):
        query = select(link.resource_pk, link.token).where(
            link.kind == "alias", link.resource_pk.in_(chunk)
        )
        for pk, token in session.execute(query):
            found.setdefault(pk, []).append(token)
    return found


def _facts(
    rows: list[StoredResource],
    posted: Mapping[tuple[str, str], Fact],
    policy: Policy,
    aliases: Mapping[int, list[str]],
) -> Iterator[Fact]:
    """The fact of each stored resource: the request's own as already translated; the
    others translated from the body and sent time they were stored with."""
    for row in rows:
        fact = posted.get((row.resource_type, row.resource_key))
        if fact is None:
            where = Location(file="store", resource=_ref(row))
            resource = orjson.loads(row.body)
            item = Received(
                resource,
                where,
                row.full_url,
                row.sent_at,
                row.release,
                row.message_at,
                row.message,
                row.scope,
            )
            fact = translate(item, policy).fact
        if fact is not None:
            yield fact
            for alias in sorted(aliases.get(row.id, ())):  # the same resource, found by them too
                if alias != fact.head.full_url:
                    yield msgspec.structs.replace(
                        fact, head=msgspec.structs.replace(fact.head, full_url=alias)
                    )


def _ref(row: StoredResource) -> str:
    return f"{row.resource_type}/{row.resource_key}"


def _replace(
    session: Session, members: list[StoredResource], found: list[Obligation], now: datetime
) -> int:
    """Replace the obligations whose subject is in the group by those just found."""
    subjects = {_ref(r) for r in members} | {r.full_url for r in members if r.full_url}
    for chunk in _chunks(subjects):
        session.execute(delete(StoredObligation).where(StoredObligation.subject.in_(chunk)))
    fresh = {obligation_id(o.rule, o.subject): o for o in found}
    for chunk in _chunks(fresh):
        session.execute(delete(StoredObligation).where(StoredObligation.id.in_(chunk)))
    if fresh:
        session.execute(insert(_OBLIGATIONS), [_row(i, o, now) for i, o in fresh.items()])
    return len(fresh)


def _row(ident: str, o: Obligation, now: datetime) -> dict[str, Any]:
    return {
        "id": ident,
        "rule": o.rule,
        "subject": o.subject,
        "status": o.status,
        "patient": o.patient,
        "owner": o.owner,
        "owed_to": o.owed_to,
        "due": o.due,
        "fulfilled_at": o.fulfilled_at,
        "evidence": orjson.dumps(list(o.evidence)).decode(),
        "detail": o.detail,
        "domain4": o.domain4,
        "clause": o.clause,
        "event_at": o.event_at,
        "clock": None if o.clock is None else orjson.dumps(dataclasses.asdict(o.clock)).decode(),
        "edition": o.edition,
        "evaluated_at": now,
    }

"""Reading obligations back, with their status judged at the instant asked for.

An obligation whose status only the clock decides is stored with its `clock`; it is judged
when read by `adapter.deadline.at_instant` (Python) and `read_status` (SQL, for filters and
GROUP BY), the two tested against `adapter.deadline.status_at` on one table of cases. So a
discharge with no summary turns from pending to breached 24 hours later without any write,
and reads exactly as `referee check --as-of` judges it, at any instant before or after it
was stored (docs/contract.md §8).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from adapter.deadline import Clock, at_instant
from adapter.model import Domain4, Obligation, Status
from adapter.store.schema import StoredObligation
from adapter.tally import Tally


def as_read(row: StoredObligation, now: datetime) -> Obligation:
    """The obligation as it stands at `now`."""
    clock = None if row.clock is None else Clock(**orjson.loads(row.clock))
    stored = Obligation(
        rule=row.rule,
        status=cast(Status, row.status),
        subject=row.subject,
        patient=row.patient,
        owner=row.owner,
        owed_to=row.owed_to,
        due=row.due,
        fulfilled_at=row.fulfilled_at,
        evidence=tuple(orjson.loads(row.evidence)),
        detail=row.detail,
        domain4=cast(Domain4 | None, row.domain4),
        clause=row.clause,
        event_at=row.event_at,
        clock=clock,
        edition=row.edition,
    )
    return at_instant(stored, now)


@dataclass(frozen=True, slots=True)
class Filters:
    """What `GET /obligations` and `GET /summary` may filter on. `org` is the reading key's
    organisation: it sees only obligations it owes or is owed."""

    rule: str | None = None
    status: str | None = None
    owner: str | None = None
    owed_to: str | None = None
    patient: str | None = None
    domain4: str | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    org: str | None = None
    # Bulk export `_since`: only those whose status may have changed after this instant
    # (evaluated after it, or falling due after it)
    changed_since: datetime | None = None


def read_status(now: datetime) -> ColumnElement[str]:
    """SQL for the status at `now` (`adapter.deadline.status_at` for an obligation only
    the clock decides: pending while now ≤ due, breached after; else as stored)."""
    o = StoredObligation
    timed = and_(o.clock.is_not(None), o.due.is_not(None))
    by_clock = case((o.due >= now, "pending"), else_="breached")
    return case((timed, by_clock), else_=o.status)


def filtered(filters: Filters, now: datetime) -> Select[StoredObligation]:
    o = StoredObligation
    query = select(o)
    equal = {
        o.rule: filters.rule,
        o.owner: filters.owner,
        o.owed_to: filters.owed_to,
        o.patient: filters.patient,
        o.domain4: filters.domain4,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if filters.status is not None:
        query = query.where(read_status(now) == filters.status)
    if filters.due_from is not None:
        query = query.where(o.due >= filters.due_from)
    if filters.due_to is not None:
        query = query.where(o.due <= filters.due_to)
    if filters.org is not None:
        query = query.where(or_(o.owner == filters.org, o.owed_to == filters.org))
    if filters.changed_since is not None:
        since = filters.changed_since
        query = query.where(or_(o.evaluated_at > since, o.due > since))
    return query


def encode_cursor(row: StoredObligation) -> str:
    raw = orjson.dumps([row.rule, row.subject, row.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str, str] | None:
    """The (rule, subject, id) a cursor points after, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value: Any = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError):
        return None
    if isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value):
        return value[0], value[1], value[2]
    return None


def page(
    session: Session,
    filters: Filters,
    now: datetime,
    *,
    after: tuple[str, str, str] | None = None,
    limit: int = 100,
) -> tuple[list[tuple[str, Obligation]], str | None]:
    """One page of (id, obligation) sorted by rule, subject; and the cursor of the next."""
    o = StoredObligation
    query = filtered(filters, now)
    if after is not None:
        rule, subject, ident = after
        query = query.where(
            or_(
                o.rule > rule,
                and_(o.rule == rule, o.subject > subject),
                and_(o.rule == rule, o.subject == subject, o.id > ident),
            )
        )
    query = query.order_by(o.rule, o.subject, o.id).limit(limit + 1)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1]) if more and rows else None
    return [(row.id, as_read(row, now)) for row in rows], cursor


def all_obligations(session: Session, filters: Filters, now: datetime) -> list[Obligation]:
    """Every obligation matching `filters`, as read at `now`, sorted by rule then subject."""
    o = StoredObligation
    query = filtered(filters, now).order_by(o.rule, o.subject, o.id)
    return [as_read(row, now) for row in session.scalars(query)]


def one(session: Session, ident: str, org: str | None, now: datetime) -> Obligation | None:
    row = session.get(StoredObligation, ident)
    if row is None or (org is not None and org not in (row.owner, row.owed_to)):
        return None
    return as_read(row, now)


GROUPS = ("owner", "owed_to", "rule", "domain4", "month")


def summarise(
    session: Session, filters: Filters, group_by: Sequence[str], now: datetime
) -> list[dict[str, Any]]:
    """Counts and rates per group, counted in the database (GROUP BY) with the read-time
    status. `month` is the month (UTC) of `due`, else of `fulfilled_at`, else null.
    met_rate = met ÷ (met + breached), null when both are 0."""
    o = StoredObligation
    status = read_status(now)
    keys = [_group_column(session, name) for name in group_by]
    base = filtered(filters, now).subquery()
    query = (
        select(*[k.label(f"g{i}") for i, k in enumerate(keys)], status.label("st"), func.count())
        .select_from(o)
        .where(o.id.in_(select(base.c.id)))
        .group_by(*keys, status)
    )
    groups: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in session.execute(query):
        *key, state, number = row
        groups.setdefault(tuple(key), dict.fromkeys(_COUNTED, 0))[state] += number
    return [
        _summary_row(group_by, key, tally)
        for key, tally in sorted(groups.items(), key=lambda kv: [str(k) for k in kv[0]])
    ]


def _summary_row(
    group_by: Sequence[str], key: tuple[Any, ...], tally: dict[str, int]
) -> dict[str, Any]:
    counted = Tally.from_counts(tally)
    return {
        **dict(zip(group_by, key, strict=True)),
        "obligations": counted.total,
        **tally,
        "met_rate": Tally.rounded(counted.rate),
        "breach_rate": Tally.rounded(counted.breach_rate),
    }


def _group_column(session: Session, name: str) -> ColumnElement[Any]:
    o = StoredObligation
    if name != "month":
        column: ColumnElement[Any] = getattr(o, name)
        return column
    when = func.coalesce(o.due, o.fulfilled_at)  # stored as naive UTC
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(when, "YYYY-MM")
    return func.strftime("%Y-%m", when)


_COUNTED = ("met", "breached", "pending", "not-assessable")

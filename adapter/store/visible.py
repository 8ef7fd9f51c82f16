"""Which stored traffic an organisation may read (Bulk export with an organisation-scoped
key, and `Group/{ODS}/$export`).

An organisation sees, and nothing else:
1. what it owns by the party rules (the write scope's, `adapter/store/scope.py`: an
   encounter's service provider, a letter's custodian else author, a request's or
   prescription's requester...), its own Organization, and whatever a key of its wrote;
2. the subject and evidence of every obligation it owes or is owed (so a practice reads
   the discharge summaries a trust sent it);
3. shared context those point at (Patient, Practitioner, Organization, Medication,
   Observation...: types no organisation owns), one step away. An owned resource of
   another organisation is never reached this way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.store.links import normalise_reference
from adapter.store.schema import ApiKey, ResourceLink, StoredObligation, StoredResource
from adapter.store.scope import OWNER_PATHS, _ods_codes, _Organisations, _owned_by

_BATCH = 500
_IDENTITY = ("id", "hubid")
_POINTING = ("ref", "hubref")


def visible_to(session: Session, org: str) -> set[int]:
    """The primary keys of the stored resources organisation `org` may read."""
    seen = _owned(session, org)
    seen |= _by_tokens(session, _obligation_references(session, org))
    seen |= _context(session, seen)
    return seen


def _owned(session: Session, org: str) -> set[int]:
    r = StoredResource
    writers = set(session.scalars(select(ApiKey.name).where(ApiKey.org == org)))
    lookup = _stored_organisations(session)
    owned_types = [*OWNER_PATHS, "Organization"]
    seen: set[int] = set()
    query = select(r.id, r.key_name, r.body).where(r.resource_type.in_(owned_types))
    for pk, writer, body in session.execute(query):
        if writer in writers or _owned_by(orjson.loads(body), org, lookup):
            seen.add(pk)
    if writers:
        seen |= set(session.scalars(select(r.id).where(r.key_name.in_(writers))))
    return seen


def _stored_organisations(session: Session) -> _Organisations:
    """Every stored Organization's ODS codes, read once (not once per reference)."""
    lookup = _Organisations(session, [])
    r = StoredResource
    query = select(r.resource_key, r.full_url, r.body).where(r.resource_type == "Organization")
    for key, full_url, body in session.execute(query):
        codes = _ods_codes(orjson.loads(body).get("identifier"))
        for name in (f"Organization/{key}", full_url):
            if name:
                lookup.posted[normalise_reference(name)] = codes
    return lookup


def _obligation_references(session: Session, org: str) -> set[str]:
    o = StoredObligation
    query = select(o.subject, o.evidence).where((o.owner == org) | (o.owed_to == org))
    found: set[str] = set()
    for subject, evidence in session.execute(query):
        for text in [subject, *orjson.loads(evidence)]:
            if isinstance(text, str):
                found |= {text, normalise_reference(text)}
    return found


def _by_tokens(session: Session, tokens: Iterable[str]) -> set[int]:
    link = ResourceLink
    found: set[int] = set()
    for chunk in _chunks(sorted(tokens)):
        query = select(link.resource_pk).where(link.token.in_(chunk), link.kind.in_(_IDENTITY))
        found |= set(session.scalars(query))
    return found


def _context(session: Session, seen: set[int]) -> set[int]:
    """Shared context the resources in `seen` point at (never a resource of an owned type)."""
    link, r = ResourceLink, StoredResource
    tokens: set[str] = set()
    for chunk in _chunks(sorted(seen)):
        query = select(link.token).where(link.resource_pk.in_(chunk), link.kind.in_(_POINTING))
        tokens |= set(session.scalars(query))
    found: set[int] = set()
    for chunk in _chunks(sorted(tokens)):
        context = (
            select(link.resource_pk)
            .join(r, r.id == link.resource_pk)
            .where(
                link.token.in_(chunk),
                link.kind.in_(_IDENTITY),
                r.resource_type.not_in(list(OWNER_PATHS)),
            )
        )
        found |= set(session.scalars(context))
    return found


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]

"""Write scoping for organisation-scoped submit keys (issue 15, finding 2).

A key made with `--org ODS` may create or change only what that organisation owns by the
party rules (rules.md §2: an encounter's service provider, a letter's custodian else its
author, a request's or prescription's requester, its own Organization) and shared context
that names no owner (Patient, Practitioner, ...). It may never overwrite or retract a
resource that another organisation's key wrote, nor one whose stored version another
organisation owns. Such an entry is refused with 403 and one fixed sentence: the answer
says nothing of what is stored (no version, no owner).

Owners are ODS codes: from a Reference's `identifier` (ODS system), else from the
Organization it points at, looked up in the same request first, then in the store. An
owner that cannot be shown is not the key's: refused.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.model import Issue
from adapter.store.links import normalise_reference
from adapter.store.posted import ODS_SYSTEM, Entry
from adapter.store.schema import ApiKey, StoredResource
from adapter.store.submit import identity

# The parties that own a resource, in the order rules.md §2 reads them (the first that
# names anyone decides).
OWNER_PATHS: dict[str, tuple[str, ...]] = {
    "Encounter": ("serviceProvider",),
    "EpisodeOfCare": ("managingOrganization",),
    "Composition": ("custodian", "author"),
    "DocumentReference": ("custodian", "author"),
    "ServiceRequest": ("requester",),
    "ReferralRequest": ("requester",),
    "MedicationRequest": ("requester",),
    "MedicationStatement": ("informationSource",),
    "List": ("source",),
    "Task": ("requester", "owner"),
    "CarePlan": ("author",),
    "MessageHeader": ("sender", "responsible"),
    "Appointment": ("participant",),
}
FORBIDDEN = "forbidden"


def refuse_out_of_scope(session: Session, entries: list[Entry], org: str) -> None:
    """Add a `forbidden` issue to each accepted entry the key of `org` may not write.
    Organizations are decided first: only the request's allowed ones, and the stored ones,
    say whose a reference is (a refused Organization cannot vouch for anything)."""
    accepted = [e for e in entries if e.item is not None and not e.issues]
    if not accepted:
        return
    stored = _stored(session, {identity(e) for e in accepted})
    known = _Organisations(session, [])
    organisations = [e for e in accepted if e.resource_type == "Organization"]
    for entry in organisations:
        _decide(entry, org, stored, known, known)
    allowed = [e for e in organisations if not e.issues]
    lookup = _Organisations(session, allowed)
    for entry in accepted:
        if entry.resource_type != "Organization":
            _decide(entry, org, stored, lookup, known)


def _decide(
    entry: Entry,
    org: str,
    stored: dict[tuple[str, str], tuple[str | None, dict[str, Any]]],
    lookup: _Organisations,
    known: _Organisations,
) -> None:
    """New content is judged with this request's Organizations; the stored version only
    with the store's, so a request cannot re-label what it overwrites."""
    mine = _owned_by(entry.resource or {}, org, lookup)
    previous = stored.get(identity(entry))
    if mine and previous is not None and previous[1] == entry.resource:
        return  # its own content again, unchanged: nothing is written or overwritten
    if previous is not None:
        writer_org, body = previous
        mine = mine and writer_org in (None, org) and _owned_by(body, org, known, old=True)
    if not mine:
        entry.issues.append(_refusal(entry, org))


def _owned_by(
    resource: dict[str, Any], org: str, lookup: _Organisations, old: bool = False
) -> bool:
    """May the key of `org` write (or, `old`, overwrite) this resource?"""
    kind = resource.get("resourceType")
    if kind == "Organization":
        return org in _ods_codes(resource.get("identifier"))
    paths = OWNER_PATHS.get(str(kind))
    if paths is None:
        return True  # shared context: names no owner
    for path in paths:
        refs = _references(resource.get(path))
        if refs:
            owners = {lookup.ods_of(ref) for ref in refs}
            return owners == {org} or (old and owners == {None})
    return old  # an owned type naming no party: the key cannot show it is its own


def _refusal(entry: Entry, org: str) -> Issue:
    message = (
        f"this key writes for organisation {org}: it may create or change only what {org} "
        "owns (its encounters, letters, requests, prescriptions and its own Organization) "
        "and shared context such as Patient and Practitioner"
    )
    return Issue("error", FORBIDDEN, entry.location(), message)


def _references(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("actor"), dict):
            item = item["actor"]  # Appointment.participant
        if isinstance(item, dict) and isinstance(item.get("agent"), dict):
            item = item["agent"]  # STU3 requester.agent
        if isinstance(item, dict) and (item.get("reference") or item.get("identifier")):
            found.append(item)
    return found


def _ods_codes(value: Any) -> set[str]:
    items = value if isinstance(value, list) else [value]
    return {
        i["value"]
        for i in items
        if isinstance(i, dict) and i.get("system") == ODS_SYSTEM and isinstance(i.get("value"), str)
    }


class _Organisations:
    """ODS codes of the Organizations references point at: this request's, then stored."""

    def __init__(self, session: Session, entries: list[Entry]) -> None:
        self.session = session
        self.posted: dict[str, set[str]] = {}
        for entry in entries:
            resource = entry.resource
            if resource is None or resource.get("resourceType") != "Organization":
                continue
            codes = _ods_codes(resource.get("identifier"))
            for name in (entry.reference, entry.full_url):
                if name:
                    self.posted[normalise_reference(name)] = codes

    def ods_of(self, ref: dict[str, Any]) -> str | None:
        codes = _ods_codes(ref.get("identifier"))
        text = ref.get("reference")
        if not codes and isinstance(text, str):
            token = normalise_reference(text)
            codes = self.posted[token] if token in self.posted else self._stored(token)
        return next(iter(codes)) if len(codes) == 1 else None

    def _stored(self, token: str) -> set[str]:
        kind, _, key = token.partition("/")
        if kind != "Organization" or not key:
            return set()
        body = self.session.scalar(
            select(StoredResource.body).where(
                StoredResource.resource_type == "Organization", StoredResource.resource_key == key
            )
        )
        return _ods_codes(orjson.loads(body).get("identifier")) if body else set()


def _stored(
    session: Session, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str | None, dict[str, Any]]]:
    """(type, key) → (organisation of the key that wrote it, stored body)."""
    found: dict[tuple[str, str], tuple[str | None, dict[str, Any]]] = {}
    r, k = StoredResource, ApiKey
    keys = sorted({key for _, key in wanted})
    for start in range(0, len(keys), 500):
        query = (
            select(r.resource_type, r.resource_key, k.org, r.body)
            .outerjoin(k, k.name == r.key_name)
            .where(r.resource_key.in_(keys[start : start + 500]))
        )
        for kind, key, org, body in session.execute(query):
            if (kind, key) in wanted:
                found[(kind, key)] = (org, orjson.loads(body))
    return found

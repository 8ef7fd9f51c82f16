"""The fast path: typed decode (msgspec, in C) of the fields the rules read, straight into
facts, for the resource types that make up most traffic (issue 11).

`msgspec.convert` checks every datatype and cardinality the field readers check (a string
is a string, a 0..* element an array of objects, a reference an object...) while reading
the values, so a resource that passes is built into its fact without a Python type test
per field. Anything the fast path would have to word — a wrong type, a missing required
element, a date that does not parse, an amount out of range, a legacy identifier system or
a SNOMED code failing its check digit — makes it give up (`Slow`), and the resource is read
again by the field readers (`adapter/translate/fields.py`), which word every problem exactly
as before. So the fast path decides nothing on its own: for every resource it builds a
fact, that fact is the one the field readers build (tests/translate/test_fast_path.py, on
every golden fixture, synthetic data and hostile resources). The parts with their own
arithmetic or parsing (narrative sections, dosage) are read by the same field readers, on
the same resource, and any problem they record sends it to the slow path too.

A change to what a translator reads must be made here too: tests/test_fast_path.py fails
until both give the same fact.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType, field

from adapter.facts import (
    Attendance,
    Concept,
    Fact,
    Head,
    Letter,
    ObservationFact,
    PatientFact,
    Ref,
    Request,
    TaskFact,
)
from adapter.ingest import Received
from adapter.ingest.unpack import resource_key
from adapter.instants import latest_instant, parse_date, parse_instant
from adapter.policy import Policy
from adapter.scopes import bundle_scope, scoped
from adapter.translate.composition import _sections, _sent
from adapter.translate.fields import SNOMED, Fields, _codings_in, _shared, _snomed_ok
from adapter.translate.medicine_sections import medication_entries
from adapter.translate.outcome import referral_outcome

# -- the R4 shapes the rules read (unknown elements are ignored, as the readers ignore them)


class _Coding(Struct, gc=False):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class _Concept(Struct, gc=False):
    coding: list[_Coding] | None = None
    text: str | None = None


class _Identifier(Struct, gc=False):
    system: str | None = None
    value: str | None = None


class _Reference(Struct, gc=False):
    reference: str | None = None
    identifier: _Identifier | None = None
    type: str | None = None


class _Period(Struct, gc=False):
    start: str | None = None
    end: str | None = None


class _Meta(Struct, gc=False):
    versionId: str | None = None
    lastUpdated: str | None = None


class _Object(Struct, gc=False):
    """Any JSON object: only its being one is checked (a 0..* of objects)."""


class _Resource(Struct, gc=False):
    id: str | None = None
    identifier: list[_Identifier] | None = None
    meta: _Meta | None = None


class _Encounter(_Resource):
    status: str | UnsetType | None = UNSET
    klass: _Coding | UnsetType | None = field(default=UNSET, name="class")
    period: _Period | None = None
    type: list[_Concept] | None = None
    subject: _Reference | None = None
    serviceProvider: _Reference | None = None
    reasonCode: list[_Concept] | None = None
    basedOn: list[_Reference] | None = None
    extension: list[_Object] | None = None


class _ServiceRequest(_Resource):
    status: str | None = None
    requester: _Reference | None = None
    performer: list[_Reference] | None = None
    category: list[_Concept] | None = None
    code: _Concept | None = None
    priority: str | None = None
    basedOn: list[_Reference] | None = None
    reasonCode: list[_Concept] | None = None
    reasonReference: list[_Reference] | None = None
    supportingInfo: list[_Reference] | None = None
    note: list[_Object] | None = None
    authoredOn: str | None = None
    subject: _Reference | None = None
    encounter: _Reference | None = None
    extension: list[_Object] | None = None


class _Patient(_Resource):
    birthDate: str | None = None
    generalPractitioner: list[_Reference] | None = None


class _Task(_Resource):
    status: str | UnsetType | None = UNSET
    executionPeriod: _Period | None = None
    lastModified: str | None = None
    authoredOn: str | None = None
    note: list[_Object] | None = None
    focus: _Reference | None = None
    owner: _Reference | None = None
    businessStatus: _Concept | None = None
    statusReason: _Concept | None = None
    requester: _Reference | None = None
    code: _Concept | None = None
    description: str | None = None
    subject: _Reference | None = field(default=None, name="for")  # Task.for


class _Observation(_Resource):
    code: _Concept | UnsetType | None = UNSET
    valueCodeableConcept: _Concept | None = None
    encounter: _Reference | None = None


class _Composition(Struct, gc=False):
    id: str | None = None
    identifier: _Identifier | list[_Identifier] | None = None  # 0..1 in R4, read either way
    meta: _Meta | None = None
    status: str | UnsetType | None = UNSET
    type: _Concept | UnsetType | None = UNSET
    date: str | UnsetType | None = UNSET
    encounter: _Reference | None = None
    subject: _Reference | None = None
    custodian: _Reference | None = None
    author: list[_Reference] | None = None


class Slow(Exception):
    """The resource has something to word: the field readers read it."""


class _Reader:
    """Builds the parts every fact shares, as `Fields` builds them, from the typed shapes."""

    __slots__ = ("aliases", "item", "kind", "scope")

    def __init__(self, item: Received, kind: str, aliases: dict[str, str]) -> None:
        self.item = item
        self.kind = kind
        self.aliases = aliases
        self.scope = item.scope if item.scope is not None else bundle_scope(item.location)

    def head(self, r: Any, identifiers: list[_Identifier] | None) -> Head:
        item, kind = self.item, self.kind
        found = []
        aliases = self.aliases
        for ident in identifiers or ():
            system, value = ident.system, ident.value
            if system and system in aliases:
                raise Slow  # read as the right system, with a warning the readers word
            if system and value:
                found.append((sys.intern(system), value))
        location = item.location
        key = resource_key(item.resource, item.full_url, kind) or f"{kind}@{location.describe()}"
        if key == location.resource:
            key = location.resource
        version = r.meta.versionId if r.meta is not None else None
        url = scoped(item.full_url, self.scope)
        return Head(kind, key, url, tuple(found), location, version, item.message)

    def ref(self, value: _Reference | None) -> Ref | None:
        return None if value is None else self.one(value)

    def one(self, value: _Reference) -> Ref:
        ident = value.identifier
        system = None if ident is None else ident.system
        if system and system in self.aliases:
            raise Slow  # read as the right system, with a warning the readers word
        return Ref(
            _shared(scoped(value.reference, self.scope)),
            _shared(system),
            None if ident is None else ident.value,
            _shared(value.type),
        )

    def refs(self, values: list[_Reference] | None) -> tuple[Ref, ...]:
        if not values:
            return ()
        one = self.one
        return tuple(one(v) for v in values)


def _concept(value: _Concept | None) -> Concept | None:
    return None if value is None else _one_concept(value)


def _one_concept(value: _Concept) -> Concept:
    codings = []
    for coding in value.coding or ():
        system, code = coding.system, coding.code
        if system == SNOMED and code is not None and code.isdigit() and not _snomed_ok(code):
            raise Slow  # accepted with a warning the readers word
        codings.append((_shared(system), _shared(code), _shared(coding.display)))
    return Concept(tuple(codings), _shared(value.text))


def _concepts(values: list[_Concept] | None) -> tuple[Concept, ...]:
    if not values:
        return ()
    return tuple(_one_concept(v) for v in values)


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = parse_instant(text)
    if value is None:
        raise Slow
    return value


def _latest(text: str | None) -> datetime | None:
    return None if text is None else latest_instant(text)


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    value = parse_date(text)
    if value is None:
        raise Slow
    return value


def _extension_codes(raw: dict[str, Any], url: str) -> list[tuple[str | None, str | None]]:
    """As `Fields.extension_codes`, on extensions already checked to be objects."""
    found: list[tuple[str | None, str | None]] = []
    for ext in raw.get("extension") or ():
        if ext.get("url") == url:
            found.extend(_codings_in(ext))
    return found


def _readers(item: Received, kind: str, aliases: dict[str, str]) -> Fields:
    """The field readers, for the parts the fast path reads through them."""
    return Fields(
        item.resource,
        item.location,
        item.full_url,
        kind,
        message=item.message,
        aliases=aliases,
        scope=item.scope,
    )


def _clean(f: Fields) -> None:
    if f.problems or f.warnings:
        raise Slow


# -- one builder per type ----------------------------------------------------------------

Builder = Callable[[Received, _Reader, Policy], Fact]


def _encounter(item: Received, at: _Reader, policy: Policy) -> Attendance:
    r = msgspec.convert(item.resource, _Encounter)
    if r.status is UNSET or r.klass is UNSET:
        raise Slow  # a required element is missing
    period = r.period or _Period()
    discharged = False
    if r.extension:
        url = policy.codes.values["outcome-of-attendance-extension"]
        outcome = _extension_codes(item.resource, url)
        discharged = any(f"{s}|{c}" in policy.codes["outcome-discharged"] for s, c in outcome)
    return Attendance(
        head=at.head(r, r.identifier),
        status=r.status or "",
        klass=r.klass.code if r.klass is not None else None,
        start=_instant(period.start),
        end=_instant(period.end),
        start_latest=_latest(period.start),
        end_latest=_latest(period.end),
        types=_concepts(r.type),
        patient=at.ref(r.subject),
        provider=at.ref(r.serviceProvider),
        reasons=_concepts(r.reasonCode),
        discharged_outcome=discharged,
        based_on=at.refs(r.basedOn),
    )


def _service_request(item: Received, at: _Reader, policy: Policy) -> Request:
    raw = item.resource
    r = msgspec.convert(raw, _ServiceRequest)
    ers: list[tuple[str | None, str | None]] = []
    outcome = None
    if r.extension:
        ers = _extension_codes(raw, policy.codes.values["ers-priority-extension"])
        f = _readers(item, at.kind, at.aliases)
        outcome = referral_outcome(f, raw)
        _clean(f)
    reasons = _concepts(r.reasonCode)
    reason_refs = at.refs(r.reasonReference)
    info = at.refs(r.supportingInfo)
    return Request(
        head=at.head(r, r.identifier),
        status=r.status,
        requester=at.ref(r.requester),
        performers=at.refs(r.performer),
        categories=_concepts(r.category),
        code=_concept(r.code),
        priority=r.priority,
        ers_priority=next((code for _, code in ers if code), None),
        based_on=at.refs(r.basedOn),
        reasons=reasons,
        has_reason=bool(reasons or reason_refs),
        has_clinical_info=bool(info or r.note),
        authored=_instant(r.authoredOn),
        patient=at.ref(r.subject),
        encounter=at.ref(r.encounter),
        outcome=outcome,
        updated=_instant(r.meta.lastUpdated) if r.meta is not None else None,
    )


def _patient(item: Received, at: _Reader, policy: Policy) -> PatientFact:
    r = msgspec.convert(item.resource, _Patient)
    head = at.head(r, r.identifier)
    system = policy.codes.values["nhs-number-system"]
    nhs = next((value for s, value in head.identifiers if s == system), None)
    return PatientFact(head, nhs, _date(r.birthDate), at.refs(r.generalPractitioner))


def _task(item: Received, at: _Reader, policy: Policy) -> TaskFact:
    r = msgspec.convert(item.resource, _Task)
    if r.status is UNSET:
        raise Slow
    period = r.executionPeriod or _Period()
    when = _instant(period.start) or _instant(r.lastModified) or _instant(r.authoredOn)
    notes = item.resource.get("note") or ()
    return TaskFact(
        at.head(r, r.identifier),
        r.status or "",
        at.ref(r.focus),
        at.ref(r.owner),
        when,
        business_status=_concept(r.businessStatus),
        status_reason=_concept(r.statusReason),
        has_note=any(str(n.get("text") or "").strip() for n in notes),
        requester=at.ref(r.requester),
        asks=_asks(_concept(r.code), r.description),
        patient=at.ref(r.subject),
    )


def _asks(code: Concept | None, description: str | None) -> str:
    """As `context._asks`: Task.code words and description, lower-cased."""
    return f"{code.words() if code else ''} {(description or '').lower()}".strip()


def _observation(item: Received, at: _Reader, policy: Policy) -> ObservationFact:
    r = msgspec.convert(item.resource, _Observation)
    if r.code is UNSET:
        raise Slow
    code, value = _concept(r.code), _concept(r.valueCodeableConcept)
    concepts = tuple(c for c in (code, value) if c is not None)
    return ObservationFact(at.head(r, r.identifier), at.ref(r.encounter), concepts)


def _composition(item: Received, at: _Reader, policy: Policy) -> Letter:
    r = msgspec.convert(item.resource, _Composition)
    if r.status is UNSET or r.type is UNSET or r.date is UNSET:
        raise Slow
    identifiers = [r.identifier] if isinstance(r.identifier, _Identifier) else r.identifier
    kind = _concept(r.type)
    dated = _instant(r.date)
    f = _readers(item, at.kind, at.aliases)
    sections = tuple(_sections(f, item.resource, "section", policy))
    _clean(f)
    return Letter(
        head=at.head(r, identifiers),
        status=r.status or "",
        types=(kind,) if kind else (),
        encounter=at.ref(r.encounter),
        patient=at.ref(r.subject),
        sent=_sent(item.sent_at) or dated,
        custodian=at.ref(r.custodian),
        authors=at.refs(r.author),
        sections=sections,
        medicines=tuple(f.scoped_ref(ref) for ref in medication_entries(item.resource, policy)),
    )


BUILDERS: dict[str, Builder] = {
    "Encounter": _encounter,
    "ServiceRequest": _service_request,
    "Patient": _patient,
    "Task": _task,
    "Observation": _observation,
    "Composition": _composition,
}


def fast_fact(item: Received, policy: Policy, aliases: dict[str, str]) -> Fact | None:
    """The fact for an R4 resource with nothing to word, else None (the readers read it)."""
    kind = item.resource["resourceType"]
    build = BUILDERS.get(kind)
    if build is None:
        return None
    try:
        return build(item, _Reader(item, kind, aliases), policy)
    except (Slow, msgspec.ValidationError):
        return None


__all__ = ["BUILDERS", "Slow", "fast_fact"]

"""Routing: the tokens that tie one fact to the others it can meet while being judged.

Two facts must be judged in one partition when any lookup of the linker (`adapter/link.py`)
or any rule can lead from one to the other: a reference (literal, scoped `urn:`, logical by
identifier), one key, one fullUrl, one transmission, one message (its label, its id and the
response naming it), one patient label (rules.md §4: NHS number, else the reference), or
the group of requests with no patient label (onward referrals look among them). Each of
these is a *token*; facts sharing a token are judged together (`adapter.partition.group`).

Shared context (organisations, practitioners and their roles, services, locations,
medications...) is read by rules but never judged as a subject: it is given to every
partition whole, so a reference to it joins nothing.

Tokens are stable 64-bit hashes (the same in every process and on every machine: Spark
workers route alike). Two tokens colliding only joins two partitions: never a wrong answer.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from adapter.facts import (
    Attendance,
    Booking,
    DocumentFact,
    Fact,
    Letter,
    ListFact,
    MedicationOrder,
    MedicationUse,
    MessageFact,
    ObservationFact,
    PatientFact,
    Ref,
    Reply,
    Request,
    TaskFact,
)
from adapter.policy import Policy
from adapter.scopes import is_scoped, plain, transmission, widening

# Resource types given to every partition: no rule judges them, and every partition may
# read them. The same set as the service's hubs (adapter/store/links.py).
SHARED_TYPES = frozenset(
    {
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Location",
        "HealthcareService",
        "Endpoint",
        "Medication",
        "Device",
    }
)
# link.py's own pattern: a reference's `Type/id` (history dropped)
_TYPE_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
NO_PATIENT = "r:no-patient"  # requests with no patient label are grouped together (onward)


@dataclass(frozen=True, slots=True)
class Route:
    """Where one fact goes. `shared`: to every partition. Otherwise `tokens` join it to every
    fact holding one of them; `weak` tokens (logical references) join it only to the facts
    that carry that identifier (a logical reference to nothing read resolves to nothing)."""

    shared: bool
    tokens: tuple[int, ...] = ()
    weak: tuple[int, ...] = ()


SHARED = Route(shared=True)


def token(text: str) -> int:
    """A stable signed 64-bit hash (fits SQL BIGINT, Spark LongType, array('q')): CRC-32
    and Adler-32 side by side, both in C (a cryptographic hash costs three times as much,
    and a collision only joins two partitions)."""
    data = text.encode()
    return (zlib.crc32(data) << 32 | zlib.adler32(data)) - (1 << 63)


def is_shared(fact: Fact) -> bool:
    return fact.head.type in SHARED_TYPES


def route(fact: Fact, policy: Policy) -> Route:
    """The route of one translated fact (a pure function of the fact and the policy's
    NHS number system: the same in every process)."""
    if is_shared(fact):
        return SHARED
    strong: list[str] = []  # repeats are harmless: a fact joins its own group again
    weak: list[str] = []
    head = fact.head
    strong.append("k:" + head.key)  # one key: versions and duplicates meet (link.World.add)
    if head.full_url:
        strong.append("k:" + head.full_url)
        outer = transmission(head.full_url)
        if outer is not None:
            strong.append("k:" + outer)
    for system, value in head.identifiers:
        strong.append(f"i:{system}|{value}")
    if head.message:
        strong.append("m:" + plain(head.message))
    nhs = policy.codes.values["nhs-number-system"]
    for ref in _refs(fact):
        _ref_tokens(ref, strong, weak)
    for ref in _patient_refs(fact, nhs):
        _patient_tokens(ref, strong, nhs)
    if isinstance(fact, PatientFact) and fact.nhs_number:
        strong.append(f"i:{nhs}|{fact.nhs_number}")
    elif isinstance(fact, MessageFact):
        for label in (head.full_url, head.key):
            if label:
                strong.append("m:" + plain(label))
        for message_id in (fact.message_id, fact.response_to):
            if message_id:
                strong.append("d:" + message_id)
    elif isinstance(fact, Request) and _may_have_no_label(fact.patient, nhs):
        strong.append(NO_PATIENT)
    return Route(shared=False, tokens=tuple(map(token, strong)), weak=tuple(map(token, weak)))


def _ref_tokens(ref: Ref, strong: list[str], weak: list[str]) -> None:
    """What `World.key_of(ref)` may answer: a fullUrl (in its own Bundle, an enclosing one,
    or its transmission), a `Type/id`, the text itself; else an identifier's holder."""
    text = ref.reference
    if text:
        if is_scoped(text):
            strong.extend("k:" + url for url in widening(text))
            outer = transmission(text)
            if outer is not None:
                strong.append("k:" + outer)
            return
        match = _TYPE_ID.search(text)
        if match:
            if match[1] in SHARED_TYPES:
                return  # shared context: in every partition
            type_id = f"{match[1]}/{match[2]}"
            if type_id != text:
                strong.append("k:" + type_id)
        strong.append("k:" + text)
        return
    if ref.system and ref.value and ref.type not in SHARED_TYPES:
        weak.append(f"i:{ref.system}|{ref.value}")


def _patient_tokens(ref: Ref, strong: list[str], nhs: str) -> None:
    """What `World.patient_label(ref)` may answer besides the Patient it resolves to: the
    NHS number it carries, or the reference as written (rules.md §4). Two references that
    resolve to nothing still group by it (DNAs, earlier referrals)."""
    if ref.system == nhs and ref.value:
        strong.append(f"i:{nhs}|{ref.value}")
    if ref.reference and is_scoped(ref.reference):  # else its `k:` token is there already
        strong.append("k:" + plain(ref.reference))


def _may_have_no_label(ref: Ref | None, nhs: str) -> bool:
    """`World.patient_label` may answer None: no reference, and no NHS number (a logical
    reference by another identifier labels only when it resolves)."""
    return ref is None or (not ref.reference and not (ref.system == nhs and ref.value))


def _patient_refs(fact: Fact, nhs: str) -> tuple[Ref, ...]:
    if isinstance(
        fact, Attendance | Letter | MedicationOrder | MedicationUse | Request | Reply | TaskFact
    ):
        return () if fact.patient is None else (fact.patient,)
    if isinstance(fact, Booking):  # the linker finds the patient among the actors
        return tuple(actor for actor in fact.actors if not _names_shared(actor))
    return ()


def _names_shared(ref: Ref) -> bool:
    """A reference that says it is to shared context (by its `Type/` or its `type`)."""
    match = _TYPE_ID.search(plain(ref.reference)) if ref.reference else None
    return ref.type in SHARED_TYPES or (match is not None and match[1] in SHARED_TYPES)


def _refs(fact: Fact) -> tuple[Ref, ...]:
    """Every reference a fact holds (shared facts excepted: they are everywhere)."""
    found: list[Ref | None]
    if isinstance(fact, PatientFact):
        found = list(fact.practices)
    elif isinstance(fact, Attendance):
        found = [fact.patient, fact.provider, *fact.based_on]
    elif isinstance(fact, Letter):
        found = [fact.encounter, fact.patient, fact.custodian, *fact.authors, *fact.medicines]
    elif isinstance(fact, MedicationOrder):
        found = [
            *fact.based_on,
            fact.requester,
            *fact.performers,
            fact.encounter,
            fact.patient,
            fact.medication,
        ]
    elif isinstance(fact, MedicationUse):
        found = [*fact.based_on, fact.context, fact.patient, fact.source, fact.medication]
    elif isinstance(fact, ListFact):
        found = [fact.encounter, *(entry.item for entry in fact.entries)]
    elif isinstance(fact, Request):
        found = [fact.requester, *fact.performers, *fact.based_on, fact.patient, fact.encounter]
        if fact.outcome is not None:  # who wrote the notes (a BaRS rejection's advice)
            found.extend(fact.outcome.note_authors)
    elif isinstance(fact, TaskFact):
        found = [fact.focus, fact.owner, fact.requester, fact.patient]
    elif isinstance(fact, Booking):
        found = [*fact.actors, *fact.based_on]
    elif isinstance(fact, ObservationFact):
        found = [fact.encounter]
    elif isinstance(fact, DocumentFact):
        found = list(fact.encounters)
    elif isinstance(fact, MessageFact):
        found = [
            fact.sender,
            *fact.receivers,
            fact.responsible,
            *fact.focus,
            fact.response_details,
        ]
    elif isinstance(fact, Reply):
        found = [*fact.based_on, fact.sender, *fact.recipients, fact.patient]
    else:
        found = []
    return tuple(ref for ref in found if ref is not None)

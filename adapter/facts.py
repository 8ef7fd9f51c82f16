"""The interface facts read from FHIR: compact, frozen, only what the rules need.

Translators (`adapter/translate/`) make these from FHIR JSON; the linker
(`adapter/link.py`) indexes them; rules read them. A run at ICB scale keeps millions, so
they hold parsed values (instants, code sets, narrative sentences), never the source dicts.

Each is a frozen msgspec `Struct` that the cyclic garbage collector does not track
(`gc=False`: a fact holds only strings, numbers, instants, tuples and other facts, never a
cycle), so millions of them cost the collector nothing; they pickle compactly for `--jobs`.
Copy one with a change by `msgspec.structs.replace`.
"""

from __future__ import annotations

from datetime import date, datetime

from msgspec import Struct

from adapter.model import Location

Coding = tuple[str | None, str | None, str | None]  # system, code, display


class Ref(Struct, frozen=True, gc=False):
    """A FHIR Reference: literal (`reference`), logical (`identifier`), or both."""

    reference: str | None = None
    system: str | None = None
    value: str | None = None
    type: str | None = None


class Concept(Struct, frozen=True, gc=False):
    """A CodeableConcept: its codings and text."""

    codings: tuple[Coding, ...] = ()
    text: str | None = None

    def has_code(self, pairs: frozenset[str]) -> bool:
        return any(f"{s}|{c}" in pairs for s, c, _ in self.codings)

    def has_code_value(
        self, codes: frozenset[str] | tuple[str, ...], system: str | None = None
    ) -> bool:
        return any(c in codes and (system is None or s == system) for s, c, _ in self.codings)

    def words(self) -> str:
        """Text and displays, lower-cased, for case-insensitive matching."""
        parts = [self.text or ""] + [d or "" for _, _, d in self.codings]
        return " ".join(parts).lower()


class Head(Struct, frozen=True, gc=False):
    """What every fact has: its key (`Type/id`, else the Bundle fullUrl), identifiers for
    logical references, and where it came from."""

    type: str
    key: str
    full_url: str | None
    identifiers: tuple[tuple[str, str], ...]
    location: Location
    version: str | None = None
    message: str | None = None  # the MessageHeader of the message that carried it (§2)


class Organisation(Struct, frozen=True, gc=False):
    head: Head
    ods: str | None
    types: tuple[Concept, ...]
    name: str | None = None


class Service(Struct, frozen=True, gc=False):
    """A HealthcareService: the organisation that provides it (BaRS, DoS, e-RS performers)."""

    head: Head
    provided_by: Ref | None


class Person(Struct, frozen=True, gc=False):
    """A Practitioner."""

    head: Head
    has_contact: bool


class Role(Struct, frozen=True, gc=False):
    """A PractitionerRole."""

    head: Head
    organisation: Ref | None
    practitioner: Ref | None
    has_contact: bool


class PatientFact(Struct, frozen=True, gc=False):
    head: Head
    nhs_number: str | None
    birth_date: date | None
    practices: tuple[Ref, ...]


class Attendance(Struct, frozen=True, gc=False):
    """An Encounter."""

    head: Head
    status: str
    klass: str | None
    start: datetime | None
    end: datetime | None
    patient: Ref | None
    provider: Ref | None
    reasons: tuple[Concept, ...]
    discharged_outcome: bool
    based_on: tuple[Ref, ...]
    types: tuple[Concept, ...] = ()
    # When period.start / period.end is given only to the day, month or year: the last
    # instant it may mean (docs/contract.md §5); None when it is an instant.
    start_latest: datetime | None = None
    end_latest: datetime | None = None


# A letter's narrative as (section heading code, its sentences), nested sections flattened.
Sections = tuple[tuple[str | None, tuple[str, ...]], ...]


class Letter(Struct, frozen=True, gc=False):
    """A Composition."""

    head: Head
    status: str
    types: tuple[Concept, ...]
    encounter: Ref | None
    patient: Ref | None
    sent: datetime | None
    custodian: Ref | None
    authors: tuple[Ref, ...]
    sections: Sections
    medicines: tuple[Ref, ...] = ()  # entries of its medication sections (docs/contract.md §7)
    # A DocumentReference letter: the attachment's content type (its text is not read).
    attachment: str | None = None


class Supply(Struct, frozen=True, gc=False):
    """Days of medicine supplied, or why that cannot be worked out."""

    days: float | None  # the shortest reading (the whole supply when it is exact)
    how: str  # "expectedSupplyDuration", "quantity ÷ daily dose", or the reason it is unknown
    most: float | None = None  # the longest reading, when the dosage is a range
    whole: bool = False  # the quantity lasts the whole (bounded) course


class MedicationOrder(Struct, frozen=True, gc=False):
    """A MedicationRequest."""

    head: Head
    status: str
    intent: str
    categories: tuple[Concept, ...]
    based_on: tuple[Ref, ...]
    requester: Ref | None
    performers: tuple[Ref, ...]
    encounter: Ref | None
    patient: Ref | None
    authored: datetime | None
    transfer_at: datetime | None
    supply: Supply
    course_days: float | None
    medicine: str | None
    medication: Ref | None = None  # medicationReference, for the name when not inline


class MedicationUse(Struct, frozen=True, gc=False):
    """A MedicationStatement (docs/contract.md §7)."""

    head: Head
    status: str
    categories: tuple[Concept, ...]
    changes: tuple[Concept, ...]  # change status carried by extensions
    based_on: tuple[Ref, ...]
    context: Ref | None
    patient: Ref | None
    source: Ref | None  # informationSource
    supply: Supply
    course_days: float | None
    medicine: str | None
    medication: Ref | None = None  # medicationReference, for the name when not inline
    asserted: datetime | None = None  # dateAsserted, else when taken: dates it on the board


class MedicineFact(Struct, frozen=True, gc=False):
    """A Medication: only its name, for the sentences about it."""

    head: Head
    name: str | None


class ListEntry(Struct, frozen=True, gc=False):
    item: Ref
    flag: Concept | None


class ListFact(Struct, frozen=True, gc=False):
    """A List (a medication list, with each entry's change-status flag)."""

    head: Head
    status: str
    code: Concept | None
    encounter: Ref | None
    entries: tuple[ListEntry, ...]


class Outcome(Struct, frozen=True, gc=False):
    """What the provider did with a referral, as the referral or encounter records it
    (docs/contract.md §11.1): the e-RS ReferralState, or an R4 status reason extension."""

    state: str | None  # e-RS ReferralState code (REJECTED, ...); None for an R4 status reason
    reason: Concept | None
    comments: bool  # e-RS: the provider's comments to the referrer
    note_authors: tuple[Ref, ...] = ()  # R4: who wrote the notes that have text


class Request(Struct, frozen=True, gc=False):
    """A ServiceRequest (a referral or a test request)."""

    head: Head
    status: str | None
    requester: Ref | None
    performers: tuple[Ref, ...]
    categories: tuple[Concept, ...]
    code: Concept | None
    priority: str | None
    ers_priority: str | None
    based_on: tuple[Ref, ...]
    reasons: tuple[Concept, ...]
    has_reason: bool
    has_clinical_info: bool
    authored: datetime | None
    patient: Ref | None
    encounter: Ref | None
    outcome: Outcome | None = None  # a rejection or return recorded on the referral (§11.1)
    updated: datetime | None = None  # meta.lastUpdated: when the outcome was recorded


class TaskFact(Struct, frozen=True, gc=False):
    head: Head
    status: str
    focus: Ref | None
    owner: Ref | None
    when: datetime | None
    business_status: Concept | None = None  # a rejected or returned referral (§11.1)
    status_reason: Concept | None = None
    has_note: bool = False  # advice for the referrer, when the Task rejects a referral
    requester: Ref | None = None  # who asks (a trust giving the practice work, §11.3)
    asks: str = ""  # Task.code words and description, lower-cased (§11.3)
    patient: Ref | None = None  # Task.for: the patient the task is about (§11.1, §11.3)


class Booking(Struct, frozen=True, gc=False):
    """An Appointment."""

    head: Head
    status: str
    start: datetime | None
    actors: tuple[Ref, ...]  # the linker finds the Patient among them
    based_on: tuple[Ref, ...]
    discharged_outcome: bool


class ObservationFact(Struct, frozen=True, gc=False):
    head: Head
    encounter: Ref | None
    concepts: tuple[Concept, ...]


class DocumentFact(Struct, frozen=True, gc=False):
    """A DocumentReference."""

    head: Head
    encounters: tuple[Ref, ...]
    types: tuple[Concept, ...]  # DocumentReference.type


class PlanFact(Struct, frozen=True, gc=False):
    """A CarePlan."""

    head: Head
    categories: tuple[Concept, ...]


class MessageFact(Struct, frozen=True, gc=False):
    """A MessageHeader (ITK3, BaRS): who sent the message to whom, about what, when, and
    for a response, which message it answers and how (docs/contract.md §2)."""

    head: Head
    message_id: str | None  # MessageHeader.id, which a response's response.identifier names
    sender: Ref | None
    receivers: tuple[Ref, ...]  # destination[].receiver (STU3 receiver)
    responsible: Ref | None
    focus: tuple[Ref, ...]
    event: str | None
    sent: datetime | None  # STU3 MessageHeader.timestamp, else the message Bundle's timestamp
    response_to: str | None  # response.identifier
    response_code: str | None  # response.code: ok, transient-error, fatal-error
    response_details: Ref | None  # the OperationOutcome with the ITK3 response codes


class OutcomeFact(Struct, frozen=True, gc=False):
    """An OperationOutcome: the codings of its issues' details (ITK3 response codes)."""

    head: Head
    codes: frozenset[str]  # "system|code"


class Reply(Struct, frozen=True, gc=False):
    """A Communication: a message in an Advice & Guidance conversation (docs/contract.md
    §11.2), read as who sent it, when, and which request it is part of; and a trust's message
    to the practice, read for what it asks of the GP (§11.3)."""

    head: Head
    status: str
    based_on: tuple[Ref, ...]
    sender: Ref | None
    sent: datetime | None
    recipients: tuple[Ref, ...] = ()
    patient: Ref | None = None
    sentences: tuple[str, ...] = ()  # its text payloads, sentence by sentence (§11.3)


class Other(Struct, frozen=True, gc=False):
    """Any other accepted resource: counted, indexed for references, otherwise ignored."""

    head: Head


Fact = (
    Organisation
    | Person
    | Role
    | PatientFact
    | Attendance
    | Letter
    | MedicationOrder
    | MedicationUse
    | MedicineFact
    | ListFact
    | Request
    | TaskFact
    | Booking
    | ObservationFact
    | DocumentFact
    | PlanFact
    | Service
    | MessageFact
    | OutcomeFact
    | Reply
    | Other
)

__all__ = ["Fact"]

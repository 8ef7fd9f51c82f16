"""Link: resolve references across everything read in one run, and work out the parties
(rules.md §1 "References", §2).

References resolve by Bundle `fullUrl` (`urn:uuid:` or absolute), by `Type/id` (also at the
end of an absolute URL, `_history` ignored), and logically by `identifier`. A reference that
resolves to nothing is not an error: the rule that needed it decides.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, TypeVar

from msgspec.structs import replace

from adapter.facts import (
    Attendance,
    Booking,
    DocumentFact,
    Fact,
    Letter,
    MedicationOrder,
    MessageFact,
    ObservationFact,
    Organisation,
    OutcomeFact,
    PatientFact,
    Person,
    PlanFact,
    Ref,
    Reply,
    Request,
    Role,
    Service,
    TaskFact,
)
from adapter.model import Issue
from adapter.policy import Policy
from adapter.providers import ProviderClass, provider_class
from adapter.scopes import is_scoped, plain, transmission, widening

PartyRole = Literal["practice", "trust", "other"]
F = TypeVar("F")

_TYPE_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
_PRACTICE_ODS = re.compile(r"[A-Z][0-9]{5}")
_TRUST_ODS = re.compile(r"R[A-Z0-9]{2}(?:[A-Z0-9]{2})?")


def ods_shape_role(ods: str) -> PartyRole:
    """rules.md §2 step 2: K81001 is a practice; RXQ or RXQ01 is a trust."""
    if _PRACTICE_ODS.fullmatch(ods):
        return "practice"
    if _TRUST_ODS.fullmatch(ods):
        return "trust"
    return "other"


class World:
    """Every accepted fact of one run, indexed for the rules."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.by_key: dict[str, Fact] = {}
        self.by_url: dict[str, str] = {}
        self.by_transmission: dict[str, str | None] = {}
        # identifier → keys, in first-seen order (a dict: many may share one identifier)
        self.by_identifier: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
        self._ods_systems = policy.codes["ods-systems"]
        self._nhs_system = policy.codes.values["nhs-number-system"]
        self.issues: list[Issue] = []  # found while linking (docs/contract.md §5)
        self._classes: dict[Ref, ProviderClass | None] = {}
        # Answers per reference, remembered from build() on, when every index is complete:
        # the rules ask the same few references (organisations, practitioners) again and
        # again. add() forgets them.
        self._keys: dict[Ref, str | None] = {}
        self._roles: dict[Ref, PartyRole | None] = {}
        self._ods: dict[Ref, str | None] = {}
        self._built = False
        self.cache: dict[str, Any] = {}  # indexes a rule builds once per run

    # -- loading ----------------------------------------------------------------------------

    def add(self, fact: Fact) -> None:
        if self._built:
            self._forget()
        head = fact.head
        previous = self.by_key.get(head.key)
        if previous is not None:
            if _older(head.version, previous.head.version):
                return  # an older version of a resource already read
            if not _newer(head.version, previous.head.version):
                self._same_key(previous, fact)
        self.by_key[head.key] = fact
        if head.full_url:
            self.by_url[head.full_url] = head.key
            outer = transmission(head.full_url)
            if outer is not None:  # None marks a fullUrl used twice in one transmission
                seen = self.by_transmission.get(outer, head.key)
                self.by_transmission[outer] = head.key if seen == head.key else None
        for pair in head.identifiers:
            self.by_identifier[pair][head.key] = None

    def _scoped_key(self, text: str) -> str | None:
        for url in widening(text):
            if url in self.by_url:
                return self.by_url[url]
        outer = transmission(text)
        return self.by_transmission.get(outer) if outer is not None else None

    def _same_key(self, previous: Fact, fact: Fact) -> None:
        """Two different resources under one key with no newer version: the later is read,
        and a warning says so (never a silent merge)."""
        if type(previous) is type(fact) and replace(fact, head=previous.head) == previous:
            return  # the same resource read twice
        first = previous.head.location.describe()
        self.issues.append(
            Issue(
                "warning",
                "duplicate",
                fact.head.location,
                f"{fact.head.location.describe()}: a different {fact.head.type} with the same "
                f"key {fact.head.key} was read before ({first}) and neither has a newer "
                "meta.versionId; the later one is used. Give each resource its own id, or a "
                "higher versionId to replace one.",
            )
        )

    def _forget(self) -> None:
        self._built = False
        self._keys, self._roles, self._ods = {}, {}, {}
        self._classes = {}

    def build(self) -> None:
        """Index the facts the rules look up by what they point at."""
        self._forget()
        self._built = True
        self.cache = {}
        self.letters_by_encounter: dict[str, list[Letter]] = defaultdict(list)
        self.tasks_by_focus: dict[str, list[TaskFact]] = defaultdict(list)
        self.replies_by_request: dict[str, list[Reply]] = defaultdict(list)
        self.observations_by_encounter: dict[str, list[ObservationFact]] = defaultdict(list)
        self.documents_by_encounter: dict[str, list[DocumentFact]] = defaultdict(list)
        self.roles_by_practitioner: dict[str, list[Role]] = defaultdict(list)
        self.requests_by_patient: dict[str | None, list[Request]] = defaultdict(list)
        self._by_type: dict[type, list[Fact]] = defaultdict(list)
        # Encounters a BaRS referral comes from (a 111, 999, CAD or GP contact): no letter.
        self.referral_contacts: set[str] = set()
        contact_codes = self.policy.codes["no-letter-referral-categories"]
        for fact in self.by_key.values():
            self._by_type[type(fact)].append(fact)
            if isinstance(fact, Request):
                self.requests_by_patient[self.patient_key(fact.patient)].append(fact)
                if any(c.has_code(contact_codes) for c in fact.categories):
                    key = self.key_of(fact.encounter)
                    if key is not None:
                        self.referral_contacts.add(key)
            elif isinstance(fact, Role):
                self._index(self.roles_by_practitioner, fact.practitioner, fact)
            elif isinstance(fact, Letter):
                self._index(self.letters_by_encounter, fact.encounter, fact)
            elif isinstance(fact, TaskFact):
                self._index(self.tasks_by_focus, fact.focus, fact)
            elif isinstance(fact, Reply):
                for ref in fact.based_on:
                    self._index(self.replies_by_request, ref, fact)
            elif isinstance(fact, ObservationFact):
                self._index(self.observations_by_encounter, fact.encounter, fact)
            elif isinstance(fact, DocumentFact):
                for ref in fact.encounters:
                    self._index(self.documents_by_encounter, ref, fact)
        self._index_messages()

    # -- messages (docs/contract.md §2) -----------------------------------------------------

    def _index_messages(self) -> None:
        """Each MessageHeader by its fullUrl and key (what `Head.message` names) and by what
        it focuses on; and the earliest positive ITK3 business acknowledgement of each
        message id."""
        self.messages_by_label: dict[str, MessageFact] = {}
        self.messages_by_focus: dict[str, MessageFact] = {}
        self.acknowledged: dict[str, datetime] = {}
        plain_labels: dict[str, list[MessageFact]] = defaultdict(list)
        for message in self.of_type(MessageFact):
            for label in (message.head.full_url, message.head.key):
                if label:
                    self.messages_by_label.setdefault(label, message)
                    plain_labels[plain(label)].append(message)
            for ref in message.focus:
                key = self.key_of(ref)
                if key is not None:
                    self.messages_by_focus.setdefault(key, message)
        # a label written without its Bundle (the service re-reads stored resources on their
        # own) finds its message when only one message has it
        for label, found in plain_labels.items():
            if len({id(m) for m in found}) == 1:
                self.messages_by_label.setdefault(label, found[0])
        for message in self.of_type(MessageFact):
            if message.response_to and message.sent and self._delivers(message):
                held = self.acknowledged.get(message.response_to)
                if held is None or message.sent < held:
                    self.acknowledged[message.response_to] = message.sent

    def _delivers(self, ack: MessageFact) -> bool:
        """A response with code ok and an ITK3 code that says the message arrived, in the
        OperationOutcome its response.details names or in any of its message."""
        if ack.response_code != "ok":
            return False
        wanted = self.policy.codes["itk-delivered-codes"]
        outcomes = [self.resolve(ack.response_details)]
        if ack.head.message is not None:
            outcomes += [o for o in self.of_type(OutcomeFact) if o.head.message == ack.head.message]
        return any(isinstance(o, OutcomeFact) and o.codes & wanted for o in outcomes)

    def message_of(self, fact: Fact) -> MessageFact | None:
        """The message that carried `fact`: its MessageHeader's focus, else the message
        Bundle it (or the document holding it) arrived in."""
        if not self.messages_by_label:
            return None
        found = self.messages_by_focus.get(fact.head.key)
        if found is not None or fact.head.message is None:
            return found
        label = fact.head.message
        return self.messages_by_label.get(label) or self.messages_by_label.get(plain(label))

    def delivered_at(self, fact: Fact) -> datetime | None:
        """When the receiver acknowledged the message that carried `fact` (ITK3 business
        acknowledgement), or None."""
        message = self.message_of(fact)
        if message is None or message.message_id is None:
            return None
        return self.acknowledged.get(message.message_id)

    def _sender_ods(self, fact: Fact) -> str | None:
        """The ODS code of the sender (else the responsible organisation) of the message
        that carried `fact`, when it is a trust (rules.md §2 roles): a fallback after
        rules.md §2, never in place of it. A practice or other sender owes no trust duty."""
        message = self.message_of(fact)
        if message is None:
            return None
        for party in (message.sender, message.responsible):
            if party is not None and self.role(party) == "trust":
                return self.ods(party)
        return None

    def sender_trust(self, fact: Fact) -> str | None:
        """The trust that sent the message carrying `fact` (a BaRS response), or None."""
        return self._sender_ods(fact)

    def receiver_ods(self, fact: Fact) -> str | None:
        """The ODS code of the first receiver of the message that carried `fact`."""
        message = self.message_of(fact)
        for receiver in message.receivers if message is not None else ():
            ods = self.ods(receiver)
            if ods is not None:
                return ods
        return None

    def _receiving_practice(self, fact: Fact) -> str | None:
        message = self.message_of(fact)
        for receiver in message.receivers if message is not None else ():
            if self.role(receiver) == "practice":
                return self.ods(receiver)
        return None

    def _index(self, table: dict[str, list[F]], ref: Ref | None, fact: F) -> None:
        key = self.key_of(ref)
        if key is not None:
            table[key].append(fact)

    def of_type(self, kind: type[F]) -> list[F]:
        """The facts of one kind, in the order read (indexed once by `build`)."""
        found: list[F] = self._by_type.get(kind, [])  # type: ignore[assignment]
        return found

    # -- references -------------------------------------------------------------------------

    def resolve(self, ref: Ref | None) -> Fact | None:
        key = self.key_of(ref)
        return None if key is None else self.by_key.get(key)

    def key_of(self, ref: Ref | None) -> str | None:
        """The key of the fact `ref` points at; for a literal reference to something not
        read, the `Type/id` it names (so two references to one absent thing still agree)."""
        if ref is None:
            return None
        if not self._built:
            return self._key_of(ref)
        try:
            return self._keys[ref]
        except KeyError:
            found = self._keys[ref] = self._key_of(ref)
            return found

    def _key_of(self, ref: Ref) -> str | None:
        text = ref.reference
        if text:
            if text in self.by_url:
                return self.by_url[text]
            if is_scoped(text):  # a urn: reference: its enclosing Bundles, then its transmission
                found = self._scoped_key(text)
                if found is not None:
                    return found
            match = _TYPE_ID.search(plain(text))
            if match:
                return f"{match[1]}/{match[2]}"
            if text in self.by_key:
                return text
        if ref.system and ref.value:
            keys = self.by_identifier.get((ref.system, ref.value), {})
            for key in keys:
                if ref.type is None or key.startswith(f"{ref.type}/"):
                    return key
        return text or None

    # -- parties ----------------------------------------------------------------------------

    def organisation(self, ref: Ref | None) -> Organisation | None:
        """The Organization a reference names, directly, as a PractitionerRole's, or as the
        provider of a HealthcareService (BaRS, DoS, e-RS performers)."""
        fact = self.resolve(ref)
        if isinstance(fact, Role):
            fact = self.resolve(fact.organisation)
        elif isinstance(fact, Service):
            fact = self.resolve(fact.provided_by)
        return fact if isinstance(fact, Organisation) else None

    def ods(self, ref: Ref | None) -> str | None:
        """The ODS code of the organisation a reference names (or carries logically)."""
        if ref is None or not self._built:
            return self._ods_of(ref)
        try:
            return self._ods[ref]
        except KeyError:
            found = self._ods[ref] = self._ods_of(ref)
            return found

    def _ods_of(self, ref: Ref | None) -> str | None:
        org = self.organisation(ref)
        if org is not None and org.ods is not None:
            return org.ods
        if ref is not None and ref.system in self._ods_systems and ref.value:
            return ref.value
        fact = self.resolve(ref)
        via = (
            fact.organisation
            if isinstance(fact, Role)
            else fact.provided_by
            if isinstance(fact, Service)
            else None
        )
        if via is not None and via.system in self._ods_systems and via.value:
            return via.value
        return None

    def provider_class(self, ref: Ref | None) -> ProviderClass | None:
        """acute, mental-health, community, ambulance, 111-cas, practice, pharmacy or other
        (docs/contract.md §4); None when no organisation is known. Remembered per reference:
        every letter rule asks it of every attendance."""
        if ref is None:
            return None
        if ref in self._classes:
            return self._classes[ref]
        org = self.organisation(ref)
        ods = self.ods(ref)
        found = None if org is None and ods is None else provider_class(org, ods, self.policy)
        self._classes[ref] = found
        return found

    def role(self, ref: Ref | None) -> PartyRole | None:
        """practice, trust or other (rules.md §2); None when no organisation is known."""
        if ref is None or not self._built:
            return self._role_of(ref)
        try:
            return self._roles[ref]
        except KeyError:
            found = self._roles[ref] = self._role_of(ref)
            return found

    def _role_of(self, ref: Ref | None) -> PartyRole | None:
        org = self.organisation(ref)
        if org is not None:
            coded = self._coded_role(org)
            if coded is not None:
                return coded
        ods = self.ods(ref)
        if ods is not None:
            return ods_shape_role(ods)
        return "other" if org is not None else None

    def _coded_role(self, org: Organisation) -> PartyRole | None:
        codes = self.policy.codes
        for concept in org.types:
            if concept.has_code(codes["practice-types"]):
                return "practice"
            if concept.has_code(codes["trust-types"]):
                return "trust"
        for concept in org.types:
            words = concept.words()
            if any(w in words for w in codes["practice-type-words"]):
                return "practice"
            if any(w in words for w in codes["trust-type-words"]):
                return "trust"
        return None

    def _roles_of(self, person: Person) -> Iterable[Role]:
        return self.roles_by_practitioner.get(person.head.key, [])

    def belongs_to(self, ref: Ref | None, ods: str | None) -> bool:
        """Is `ref` the organisation `ods`, or one of its practitioners or roles?"""
        if ref is None or ods is None:
            return False
        if self.ods(ref) == ods:
            return True
        fact = self.resolve(ref)
        if isinstance(fact, Person):
            return any(self.ods(r.organisation) == ods for r in self._roles_of(fact))
        return False

    def practice_side_ods(self, ref: Ref | None) -> str | None:
        """The practice ODS of a practice, or of a practitioner/role working for one."""
        if self.role(ref) == "practice":
            return self.ods(ref)
        fact = self.resolve(ref)
        if isinstance(fact, Person):
            for role in self._roles_of(fact):
                if self.role(role.organisation) == "practice":
                    return self.ods(role.organisation)
        return None

    # -- patients ---------------------------------------------------------------------------

    def patient(self, ref: Ref | None) -> PatientFact | None:
        fact = self.resolve(ref)
        return fact if isinstance(fact, PatientFact) else None

    def patient_label(self, ref: Ref | None) -> str | None:
        """The NHS number when known, else the reference, else None (rules.md §4)."""
        found = self.patient(ref)
        if found is not None and found.nhs_number:
            return found.nhs_number
        if ref is not None and ref.system == self._nhs_system and ref.value:
            return ref.value
        if found is not None:
            return found.head.key
        return plain(ref.reference) if ref is not None and ref.reference else None

    def patient_key(self, ref: Ref | None) -> str | None:
        """One identity per patient, for grouping (DNAs, earlier referrals)."""
        return self.patient_label(ref)

    def practice_of_patient(self, ref: Ref | None) -> str | None:
        found = self.patient(ref)
        if found is None:
            return None
        for gp in found.practices:
            ods = self.ods(gp)
            if ods is not None and self.role(gp) in ("practice", None):
                return ods
        for gp in found.practices:
            ods = self.ods(gp)
            if ods is not None:
                return ods
        # the Patient names no practice: the practice its message was sent to (§2 of the contract)
        return self._receiving_practice(found)

    def booking_patient(self, booking: Booking) -> Ref | None:
        for actor in booking.actors:
            if (
                isinstance(self.resolve(actor), PatientFact)
                or actor.type == "Patient"
                or (actor.reference or "").startswith("Patient/")
                or actor.system == self._nhs_system
            ):
                return actor
        return None

    # -- owners (rules.md §2 "A resource's trust") -----------------------------------------

    def encounter(self, ref: Ref | None) -> Attendance | None:
        fact = self.resolve(ref)
        return fact if isinstance(fact, Attendance) else None

    def trust_of_encounter(self, attendance: Attendance | None) -> str | None:
        if attendance is None:
            return None
        return self.ods(attendance.provider) or self._sender_ods(attendance)

    def trust_of_booking(self, booking: Booking) -> str | None:
        """An Appointment's trust (docs/contract.md §4): the trust the referral it was booked
        on is addressed to, else a trust among its participants."""
        for ref in booking.based_on:
            referral = self.resolve(ref)
            if isinstance(referral, Request):
                for performer in referral.performers:
                    if self.role(performer) == "trust":
                        return self.ods(performer)
        for actor in booking.actors:
            if self.role(actor) == "trust":
                return self.ods(actor)
        return None

    def trust_of_letter(self, letter: Letter) -> str | None:
        return (
            self.ods(letter.custodian)
            or self.trust_of_encounter(self.encounter(letter.encounter))
            or self._sender_ods(letter)
        )

    def trust_of_order(self, order: MedicationOrder | Request) -> str | None:
        return (
            self.ods(order.requester)
            or self.trust_of_encounter(self.encounter(order.encounter))
            or self._sender_ods(order)
        )

    def care_plan(self, ref: Ref | None) -> PlanFact | None:
        fact = self.resolve(ref)
        return fact if isinstance(fact, PlanFact) else None


def _newer(new: str | None, old: str | None) -> bool:
    return _older(old, new)


def _older(new: str | None, old: str | None) -> bool:
    """Is `new` an older version than `old`? Unknown or non-numeric versions: not older."""
    if new is None or old is None or not (new.isdigit() and old.isdigit()):
        return False
    return int(new) < int(old)

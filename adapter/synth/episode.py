"""One episode of care for one patient, and the parts several scenarios share: letters
(with their point-of-contact truth), fit-note evidence and deadline outcomes.

An `Episode` owns a time slot of the patient's timeline. Slots do not overlap, so what a rule
looks up across a patient's history (the latest practice referral to a trust, DNAs at the
same provider) is always the one the scenario made.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from adapter.editions import editions
from adapter.synth import narrative as nv
from adapter.synth import resources as fhir
from adapter.synth.clock import LONDON, render
from adapter.synth.population import Clinician, PatientInfo, Population, Trust, new_id

Resource = dict[str, Any]

SERVER = "https://fhir.synthetic-trust.example.nhs.uk/R4/"

RULES = (
    "discharge-summary-24h",
    "clinic-letter-7d",
    "discharge-medication-7d",
    "shared-care-gp-agreement",
    "fit-note-issued",
    "dna-no-blanket-discharge",
    "onward-referral-by-trust",
    "trust-arranges-own-tests",
    "point-of-contact",
    "referral-complete",
    "referral-rejection-reasoned",
    "advice-and-guidance-response",
    "trust-handles-patient-queries",
)

DEFAULT_BREACH_RATES = {
    "discharge-summary-24h": 0.25,
    "clinic-letter-7d": 0.3,
    "discharge-medication-7d": 0.2,
    "shared-care-gp-agreement": 0.35,
    "fit-note-issued": 0.4,
    "dna-no-blanket-discharge": 0.3,
    "onward-referral-by-trust": 0.4,
    "trust-arranges-own-tests": 0.4,
    "point-of-contact": 0.3,
    "referral-complete": 0.2,
    "referral-rejection-reasoned": 0.3,
    "advice-and-guidance-response": 0.3,
    "trust-handles-patient-queries": 0.35,
}

# The clinic-letter days by contract edition (mappings/editions.toml), latest first.
LETTER_SCHEDULE = tuple(
    (datetime.combine(term.start, time(), LONDON), int(days))
    for term, days in reversed(editions().history("clinic-letter-7d", "max_days"))
)


def clinic_letter_days(attendance: datetime) -> int:
    for start, days in LETTER_SCHEDULE:
        if attendance >= start:
            return days
    return LETTER_SCHEDULE[-1][1]  # before the first edition held: the first's days


def near_schedule_change(instant: datetime) -> bool:
    return any(abs(instant - start) < timedelta(days=2) for start, _ in LETTER_SCHEDULE)


def deadline_status(due: datetime, sent: datetime | None, as_of: datetime) -> str:
    """rules.md §3: at or before due is met; unfulfilled is pending until due has passed."""
    if sent is not None:
        return "met" if sent <= due else "breached"
    return "pending" if as_of <= due else "breached"


@dataclass
class Episode:
    rng: random.Random
    as_of: datetime
    patient: PatientInfo
    trust: Trust
    pop: Population
    start: datetime
    end: datetime
    rates: dict[str, float]
    sink: Callable[[Resource], None]
    truth_sink: Callable[[str, str, str], None]
    local_times: bool = False
    statement_share: float = 0.0  # share of stays whose medicines go as a ToC List
    medicine_list: str | None = None  # this stay's discharge medication List, when sent
    document_share: float = 0.0  # share of filler-only letters sent as a PDF DocumentReference

    def id(self) -> str:
        return new_id(self.rng)

    def t(self, instant: datetime, zoned: bool = False) -> str:
        """An instant as a sender would write it; `zoned` for FHIR `instant` fields."""
        return render(instant.astimezone(UTC), self.rng, self.local_times and not zoned)

    def emit(self, resource: Resource) -> None:
        """Write a resource; one in ten names its patient, encounter or focus by an
        absolute URL (rules.md §1: a URL ending in Type/id resolves like Type/id)."""
        if self.rng.random() < 0.1:
            for key in ("subject", "encounter", "focus"):
                target = resource.get(key)
                if isinstance(target, dict) and "reference" in target:
                    target["reference"] = SERVER + target["reference"]
        self.sink(resource)

    def truth(self, rule: str, subject: str, status: str, at: datetime | None = None) -> None:
        """Record an obligation the engine must report, unless the contract edition in force
        at its event (`at`) does not contain its rule (docs/contract.md §11.4). A rule that
        exists in every edition needs no `at`."""
        table = editions()
        if at is None:
            if rule not in table.terms[0].rules:
                raise ValueError(f"the truth of {rule} needs its event's instant")  # a bug
        elif rule not in table.term_at(at).rules:
            return
        self.truth_sink(rule, subject, status)

    def breach(self, rule: str) -> bool:
        """Breach with the rule's rate scaled by the trust's quality (capped at 0.95);
        a rate of 1 or more always breaches, 0 never."""
        rate = self.rates[rule]
        chance = 1.0 if rate >= 1 else min(0.95, rate * self.trust.quality)
        return self.rng.random() < chance

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def at(self, lo: float, hi: float) -> datetime:
        """A whole-second instant at a fraction of the slot, never after as-of."""
        span = (self.end - self.start).total_seconds()
        offset = self.rng.uniform(lo, hi) * span
        when = self.start + timedelta(seconds=int(offset))
        return min(when, self.as_of).replace(microsecond=0)

    def consultant(self, contactable: bool | None = None) -> Clinician:
        pool = [
            c for c in self.trust.consultants if contactable is None or c.contactable == contactable
        ]
        return self.rng.choice(pool)

    def trust_requester(self) -> str:
        if self.chance(0.2):
            return self.trust.org.ref
        return self.consultant().ref(use_role=True)

    def practice_owner(self) -> str:
        practice = self.patient.practice
        if self.chance(0.6):
            return practice.org.ref
        return f"PractitionerRole/{self.rng.choice(practice.gps).role_id}"


@dataclass
class LetterPlan:
    """What goes into one letter beyond filler: extra plan sentences and sentences for
    other sections."""

    plan: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    composition_truths: list[tuple[str, str]] = field(default_factory=list)
    plan_section: bool = True  # False: the plan sentences go into the advice section


def _contact_sections(ep: Episode) -> tuple[Clinician, list[Resource], list[str], str]:
    """Choose how a letter names its point of contact. Returns the author, contact
    sections, extra advice sentences and the point-of-contact status."""
    specialty = ep.rng.choice(("cardiology", "respiratory", "orthopaedic", "medical"))
    if ep.breach("point-of-contact"):
        author = ep.consultant(contactable=False)
        roll = ep.rng.random()
        if roll < 0.4:
            return author, [], [], "breached"
        if roll < 0.8:
            return (
                author,
                [
                    nv.section(
                        "contact-for-further-information", nv.pick(ep.rng, nv.CONTACT_NONE, 1)
                    )
                ],
                [],
                "breached",
            )
        # a phone number, but not in a contact section
        return author, [], [nv.phone_sentence(ep.rng, specialty)], "breached"
    roll = ep.rng.random()
    if roll < 0.4:
        sentence = nv.phone_sentence(ep.rng, specialty)
    elif roll < 0.7:
        sentence = nv.email_sentence(ep.rng, ep.trust.org.code)
    else:
        author = ep.consultant(contactable=True)
        sections = (
            []
            if ep.chance(0.5)
            else [
                nv.section("contact-for-further-information", nv.pick(ep.rng, nv.CONTACT_NONE, 1))
            ]
        )
        return author, sections, [], "met"
    author = ep.consultant()
    return author, [nv.section("contact-for-further-information", [sentence])], [], "met"


def write_letter(
    ep: Episode,
    encounter_id: str,
    kind: str,
    sent: datetime,
    status: str,
    plan: LetterPlan,
    body: tuple[str, ...],
    meds: list[str] | None = None,
    counts: bool = True,
) -> str:
    """Emit a final/amended letter for an encounter, with its point-of-contact truth (when
    `counts`, i.e. rules 5.1/5.2 would count it) and the truths `plan` carries."""
    cid = ep.id()
    author, contact, advice_extra, poc = _contact_sections(ep)
    plan_lines = nv.pick(ep.rng, nv.FILLER_PLAN, 1) + plan.plan
    diagnoses = nv.DIAGNOSES_CLINIC if kind == "clinic" else nv.DIAGNOSES_STAY
    opening = [nv.OPENING_CLINIC] if kind == "clinic" and body is not nv.FILLER_DNA else []
    sections = [
        nv.section("diagnoses", [], nv.pick(ep.rng, diagnoses, ep.rng.randint(1, 2))),
        nv.section(
            "history" if kind == "clinic" else "clinical-summary",
            opening + nv.pick(ep.rng, body, 3),
        ),
    ]
    if plan.plan_section:
        sections.append(nv.section("plan-and-requested-actions", plan_lines))
    else:
        advice_extra = plan_lines + advice_extra
    if meds:
        medications = nv.section(
            "medications-and-medical-devices", ["Medicines on discharge are listed below."], meds
        )
        if ep.medicine_list:
            medications["entry"] = [{"reference": f"List/{ep.medicine_list}"}]
        sections.insert(2, medications)
    sections.append(
        nv.section(
            "information-and-advice-given",
            nv.pick(ep.rng, nv.FILLER_ADVICE, 1) + plan.advice + advice_extra,
        )
    )
    sections.extend(contact)
    authors = [author.ref(use_role=ep.chance(0.7))]
    if ep.chance(0.3):
        authors.append(ep.trust.org.ref)
    type_coding = fhir.DISCHARGE_SUMMARY if kind == "discharge" else fhir.CLINIC_LETTER
    title = "Discharge summary" if kind == "discharge" else "Outpatient clinic letter"
    custodian = ep.trust.org.ref if ep.chance(0.8) else None
    if _as_document(ep, cid, plan, body, meds):
        ep.emit(
            fhir.letter_document(
                cid,
                ep.patient.ref,
                encounter_id,
                type_coding,
                status,
                ep.t(sent),
                authors,
                custodian,
                title,
            )
        )
        if counts:  # its PDF is not read: only an author with a phone or email decides
            ep.truth(
                "point-of-contact",
                f"DocumentReference/{cid}",
                "met" if author.contactable else "not-assessable",
            )
        return cid
    ep.emit(
        fhir.composition(
            cid,
            ep.patient.ref,
            encounter_id,
            type_coding,
            status,
            ep.t(sent),
            authors,
            custodian,
            title,
            sections,
        )
    )
    if counts:
        ep.truth("point-of-contact", f"Composition/{cid}", poc)
    for rule, outcome in plan.composition_truths:
        ep.truth(rule, f"Composition/{cid}", outcome, at=sent)
    return cid


def _as_document(
    ep: Episode, cid: str, plan: LetterPlan, body: tuple[str, ...], meds: list[str] | None
) -> bool:
    """Send this letter as a PDF DocumentReference? Only a letter whose narrative carries
    nothing a rule reads (filler only), chosen by a hash of its id (no random draw)."""
    if ep.document_share <= 0 or plan.plan or plan.advice or plan.composition_truths:
        return False
    if meds or body is nv.FILLER_DNA:
        return False
    digest = hashlib.sha256(f"document:{cid}".encode()).digest()
    return int.from_bytes(digest[:4], "big") < ep.document_share * 2**32


def write_draft(ep: Episode, encounter_id: str, kind: str, sent: datetime) -> None:
    """A preliminary letter: bland filler only; no rule counts it."""
    type_coding = fhir.DISCHARGE_SUMMARY if kind == "discharge" else fhir.CLINIC_LETTER
    sections = [nv.section("clinical-summary", nv.pick(ep.rng, nv.FILLER_SUMMARY, 2))]
    ep.emit(
        fhir.composition(
            ep.id(),
            ep.patient.ref,
            encounter_id,
            type_coding,
            "preliminary",
            ep.t(sent),
            [ep.consultant().ref(True)],
            ep.trust.org.ref,
            "Draft letter",
            sections,
        )
    )

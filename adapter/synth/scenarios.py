"""Care scenarios: outpatient attendances (5.2), inpatient, day-case and A&E stays (5.1)
with discharge medicines (5.3), fit notes (5.5), DNAs (5.6), letters asking the GP to refer
(5.7) or to do tests (5.8), and every letter's point of contact (5.9)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapter.synth import narrative as nv
from adapter.synth import resources as fhir
from adapter.synth.clock import age_on, london_date
from adapter.synth.episode import (
    Episode,
    LetterPlan,
    clinic_letter_days,
    deadline_status,
    near_schedule_change,
    write_draft,
    write_letter,
)
from adapter.synth.medicines import discharge_medicines
from adapter.synth.requests import onward_referral, practice_referral, test_request

SCT = fhir.SNOMED
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def outpatient(ep: Episode) -> None:
    """A practice referral and the attendance it leads to, with its clinic letter."""
    referral, _ = practice_referral(ep, ep.at(0.0, 0.05))
    attendance(ep, referral)


def onward(ep: Episode) -> None:
    """A referral, an attendance, and a referral the trust makes afterwards."""
    referral, reason = practice_referral(ep, ep.at(0.0, 0.05), reason_code=True)
    if ep.chance(0.6):
        attendance(ep, referral, latest=0.5, extras=False)
    onward_referral(ep, ep.at(0.55, 0.9), referral, reason)


def tests(ep: Episode) -> None:
    """An attendance, and a test the trust orders after it."""
    if ep.chance(0.5):
        referral, _ = practice_referral(ep, ep.at(0.0, 0.05))
        attendance(ep, referral, latest=0.5, extras=False)
    test_request(ep, ep.at(0.55, 0.9))


def attendance(
    ep: Episode,
    referral: str | None,
    latest: float = 0.6,
    extras: bool = True,
    queries: bool = False,
) -> str:
    """A finished outpatient attendance (AMB or VR) and its clinic letter, rule 5.2. With
    `queries` the letter says where the patient takes queries and results (contract §11.3)."""
    eid = ep.id()
    pending = ep.chance(0.06)
    end = (
        ep.as_of - timedelta(minutes=ep.rng.randint(120, 6 * 24 * 60))
        if pending
        else (ep.at(0.1, latest))
    )
    if near_schedule_change(end):
        end -= 3 * DAY
    start = end - timedelta(minutes=ep.rng.randint(15, 45))
    start_only = ep.chance(0.05)
    attended = start if start_only else end
    days = clinic_letter_days(attended)
    due = attended + days * DAY
    period = {"start": ep.t(start)} if start_only else {"start": ep.t(start), "end": ep.t(end)}
    extra: dict[str, Any] = {"participant": [_seen_by(ep)]}
    if referral:
        extra["basedOn"] = [fhir.ref(f"ServiceRequest/{referral}")]
    ep.emit(
        fhir.encounter(
            eid,
            ep.patient.ref,
            "AMB" if ep.chance(0.8) else "VR",
            "finished",
            ep.trust.org.ref,
            period,
            **extra,
        )
    )
    sent = None
    if not pending:
        if ep.breach("clinic-letter-7d"):
            sent = None if ep.chance(0.3) else due + timedelta(minutes=ep.rng.randint(1, 28800))
        elif ep.chance(0.04):
            sent = due
        else:
            sent = attended + timedelta(minutes=ep.rng.randint(30, days * 1440 - 1))
        if sent is not None and sent > ep.as_of:
            sent = None
    plan = LetterPlan()
    if extras and sent is not None:
        letter_asks(ep, plan)
    if queries and sent is not None:
        patient_queries(ep, plan)
    fit_note(ep, eid, attended, plan if sent is not None else None)
    if sent is not None:
        letters(ep, eid, "clinic", sent, plan, nv.FILLER_HISTORY + nv.FILLER_SUMMARY)
    ep.truth("clinic-letter-7d", f"Encounter/{eid}", deadline_status(due, sent, ep.as_of))
    return eid


def _seen_by(ep: Episode) -> dict[str, Any]:
    return {"individual": fhir.ref(ep.consultant().ref(use_role=True))}


def letters(
    ep: Episode,
    eid: str,
    kind: str,
    sent: datetime,
    plan: LetterPlan,
    body: tuple[str, ...],
    meds: list[str] | None = None,
) -> None:
    """The letter for an encounter, sometimes after a draft and followed by an amendment."""
    if ep.chance(0.1):
        write_draft(ep, eid, kind, sent - timedelta(minutes=ep.rng.randint(5, 600)))
    write_letter(ep, eid, kind, sent, "final", plan, body, meds)
    later = sent + timedelta(hours=ep.rng.randint(2, 400))
    if ep.chance(0.08) and later <= ep.as_of:
        write_letter(ep, eid, kind, later, "amended", LetterPlan(), body, meds)


def stay(ep: Episode, emergency: bool = False) -> None:
    """An inpatient, day-case or A&E stay and its discharge summary, rule 5.1."""
    rng, eid = ep.rng, ep.id()
    cls = "EMER" if emergency else rng.choice(("IMP", "IMP", "ACUTE", "NONAC", "SS"))
    length = (
        timedelta(minutes=rng.randint(60, 600))
        if cls in ("EMER", "SS")
        else (timedelta(hours=rng.randint(20, 300)))
    )
    roll = rng.random()
    if roll < 0.04:  # no discharge time recorded: not assessable
        start = ep.at(0.05, 0.6)
        ep.emit(
            fhir.encounter(
                eid, ep.patient.ref, cls, "finished", ep.trust.org.ref, {"start": ep.t(start)}
            )
        )
        ep.truth("discharge-summary-24h", f"Encounter/{eid}", "not-assessable")
        return
    if roll < 0.09:
        end = ep.as_of - timedelta(minutes=rng.randint(30, 23 * 60))
    elif roll < 0.1:  # due is exactly as-of: still pending (rules.md §3, as_of <= due)
        end = ep.as_of - 24 * HOUR
    else:
        end = min(ep.at(0.05, 0.6) + length, ep.as_of - 2 * DAY)
    start = end - length
    ep.emit(
        fhir.encounter(
            eid,
            ep.patient.ref,
            cls,
            "finished",
            ep.trust.org.ref,
            {"start": ep.t(start), "end": ep.t(end)},
            type=[fhir.concept(text="Emergency attendance" if emergency else "Hospital admission")],
            participant=[_seen_by(ep)],
        )
    )
    due = end + 24 * HOUR
    if ep.breach("discharge-summary-24h"):
        sent = None if ep.chance(0.3) else due + timedelta(minutes=rng.randint(1, 4320))
    elif ep.chance(0.04):
        sent = due
    else:
        sent = end + timedelta(minutes=rng.randint(20, 24 * 60 - 1))
    if 0.09 <= roll < 0.1:
        sent = None
    if sent is not None and sent > ep.as_of:
        sent = None
    toc = not emergency and ep.statement_share > 0 and ep.chance(ep.statement_share)
    meds = discharge_medicines(ep, eid, end, toc) if not emergency or ep.chance(0.2) else []
    plan = LetterPlan()
    if sent is not None:
        letter_asks(ep, plan)
    fit_note(ep, eid, end, plan if sent is not None else None)
    if sent is not None:
        body = nv.FILLER_AE if emergency else nv.FILLER_INPATIENT
        letters(ep, eid, "discharge", sent, plan, body, meds or None)
    ep.truth("discharge-summary-24h", f"Encounter/{eid}", deadline_status(due, sent, ep.as_of))


def letter_asks(ep: Episode, plan: LetterPlan) -> None:
    """Sometimes a letter asks the GP to refer (5.7) or to do a test (5.8)."""
    rng = ep.rng
    if ep.chance(0.08):
        if ep.breach("onward-referral-by-trust"):
            pool = nv.ASK_REFER_URGENT if ep.chance(0.4) else nv.ASK_REFER_RELATED
            plan.plan.append(rng.choice(pool))
            plan.composition_truths.append(("onward-referral-by-trust", "breached"))
        else:
            plan.plan.append(rng.choice(nv.ASK_REFER_UNRELATED))
            plan.composition_truths.append(("onward-referral-by-trust", "met"))
    if ep.chance(0.08):
        sentence = rng.choice(nv.ASK_TEST)
        roll = rng.random()
        if roll < 0.2:  # outside the plan section, which exists: not read
            plan.advice.append(sentence)
        elif roll < 0.35:  # a letter with no plan section: every section is read
            plan.plan_section = False
            plan.plan.append(sentence)
            plan.composition_truths.append(("trust-arranges-own-tests", "breached"))
        else:
            plan.plan.append(sentence)
            plan.composition_truths.append(("trust-arranges-own-tests", "breached"))


def patient_queries(ep: Episode, plan: LetterPlan) -> None:
    """A sentence sending the patient to the GP for the trust's own results (breached, with
    a sentence back to the trust or not), or only a route back to the trust (met)."""
    if ep.breach("trust-handles-patient-queries"):
        plan.advice.append(ep.rng.choice(nv.QUERY_TO_GP))
        if ep.chance(0.3):
            plan.advice.append(ep.rng.choice(nv.QUERY_TO_TRUST))
        plan.composition_truths.append(("trust-handles-patient-queries", "breached"))
    else:
        plan.advice.append(ep.rng.choice(nv.QUERY_TO_TRUST))
        plan.composition_truths.append(("trust-handles-patient-queries", "met"))


UNFIT = fhir.concept({"system": SCT, "code": "160910001", "display": "Unfit for work"})
FIT_RESTRICTED = fhir.concept(
    {"system": SCT, "code": "225891002", "display": "Fit for work with restrictions"}
)


def fit_note(ep: Episode, eid: str, when: datetime, plan: LetterPlan | None) -> None:
    """Fit-note evidence for a finished encounter (5.5); `plan` is None without a letter."""
    if not ep.chance(0.15):
        if ep.chance(0.1):
            _document(ep, eid, when, "Outpatient letter (PDF copy)")
        return
    rng = ep.rng
    if ep.breach("fit-note-issued"):
        if plan is not None and ep.chance(0.5):
            plan.plan.append(rng.choice(nv.FIT_ASKED_OF_GP))
            if ep.chance(0.3):
                _issued(ep, eid, when, plan)
        else:
            _needed(ep, eid, when, plan)
        status = "breached"
    else:
        if plan is not None and ep.chance(0.25):
            plan.advice.append(rng.choice(nv.FIT_NOT_NEEDED))
            if ep.chance(0.3):
                _needed(ep, eid, when, plan)
            return
        _issued(ep, eid, when, plan)
        if ep.chance(0.5):
            _needed(ep, eid, when, plan)
        status = "met"
    ep.truth("fit-note-issued", f"Encounter/{eid}", status, at=when)


def _issued(ep: Episode, eid: str, when: datetime, plan: LetterPlan | None) -> None:
    if plan is not None and ep.chance(0.6):
        plan.advice.append(ep.rng.choice(nv.FIT_ISSUED))
    else:
        _document(
            ep, eid, when, ep.rng.choice(("Fit note", "Med3", "Statement of fitness for work"))
        )


def _needed(ep: Episode, eid: str, when: datetime, plan: LetterPlan | None) -> None:
    """'Needed' evidence: a sentence, or an Observation with 160910001 or 225891002 as its
    code or as its value."""
    if plan is not None and ep.chance(0.5):
        plan.advice.append(ep.rng.choice(nv.FIT_NEEDED))
        return
    finding = UNFIT if ep.chance(0.5) else FIT_RESTRICTED
    if ep.chance(0.5):
        ep.emit(fhir.observation(ep.id(), ep.patient.ref, eid, finding, ep.t(when)))
        return
    employment = fhir.concept({"system": SCT, "code": "364703007", "display": "Employment detail"})
    ep.emit(
        fhir.observation(
            ep.id(), ep.patient.ref, eid, employment, ep.t(when), valueCodeableConcept=finding
        )
    )


def _document(ep: Episode, eid: str, when: datetime, text: str) -> None:
    type_ = (
        fhir.concept(text=text)
        if ep.chance(0.5)
        else fhir.concept({"system": SCT, "code": "371530004", "display": text})
    )
    ep.emit(fhir.document_reference(ep.id(), ep.patient.ref, eid, type_, ep.t(when), text))


def dna(ep: Episode) -> None:
    """Missed appointments on one referral, and whether the trust discharged (rule 5.6)."""
    rng = ep.rng
    referral, _ = practice_referral(ep, ep.at(0.0, 0.03))
    linked = ep.chance(0.75)
    first = ep.at(0.1, 0.3)
    gap = min(timedelta(days=rng.randint(14, 40)), (ep.end - first) * 0.8)
    second = min(first + gap, ep.as_of - HOUR)
    birth = ep.patient.birth
    if birth is not None and ep.breach("dna-no-blanket-discharge"):
        variant = "one"
    else:
        variant = "two" if ep.chance(0.7) else "none"
    based = referral if linked else None
    if variant == "one":
        subject = _missed(ep, based, first, discharge=True)
        when = first
    else:
        _missed(ep, based, first, discharge=False, appointment=linked and ep.chance(0.3))
        subject = _missed(ep, based, second, discharge=variant == "two")
        when = second
    if subject is None:
        return
    if birth is None:
        status = "not-assessable"
    elif age_on(birth, london_date(when)) < 18 or variant == "one":
        status = "breached"
    else:
        status = "met"
    ep.truth("dna-no-blanket-discharge", subject, status, at=when)


def _missed(
    ep: Episode, referral: str | None, when: datetime, discharge: bool, appointment: bool = False
) -> str | None:
    """One DNA: a cancelled Encounter coded 'did not attend', or an Appointment noshow.
    Returns the Encounter when the patient was discharged after it (a 5.6 subject)."""
    based = [fhir.ref(f"ServiceRequest/{referral}")] if referral else None
    if appointment:
        ep.emit(
            fhir.appointment(
                ep.id(),
                ep.patient.ref,
                "noshow",
                ep.t(when, zoned=True),
                ep.t(when + 30 * MINUTE, zoned=True),
                f"ServiceRequest/{referral}" if referral else None,
            )
        )
        return None
    eid = ep.id()
    extra: dict[str, Any] = {"reasonCode": [fhir.concept(fhir.DNA_REASON)]}
    if based:
        extra["basedOn"] = based
    by_letter = discharge and ep.chance(0.5)
    if discharge and not by_letter:
        extra["extension"] = fhir.outcome_discharged(ep.rng.randint(0, 1))
    ep.emit(
        fhir.encounter(
            eid,
            ep.patient.ref,
            "AMB",
            "cancelled",
            ep.trust.org.ref,
            {"start": ep.t(when)},
            **extra,
        )
    )
    if by_letter or ep.chance(0.4):
        plan = LetterPlan()
        pool = nv.DNA_DISCHARGED if discharge else nv.FILLER_DNA_REBOOK
        plan.plan.append(ep.rng.choice(pool))
        sent = min(when + timedelta(hours=ep.rng.randint(2, 96)), ep.as_of)
        write_letter(ep, eid, "clinic", sent, "final", plan, nv.FILLER_DNA, counts=False)
    return f"Encounter/{eid}" if discharge else None

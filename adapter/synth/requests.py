"""Request scenarios: practice referrals (5.10), trust onward referrals (5.7), tests the
trust orders (5.8) and shared-care prescribing (5.4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapter.synth import resources as fhir
from adapter.synth.clock import london_date, london_midnight
from adapter.synth.episode import Episode
from adapter.synth.population import NHS_NUMBER

SCT = fhir.SNOMED

# Reasons practices refer for, and reasons trusts find on the way (never the same codes, so
# an "unrelated" onward referral can never share a reason with a practice referral).
PRACTICE_REASONS = (
    ("29857009", "Chest pain"),
    ("30989003", "Knee pain"),
    ("162031009", "Indigestion"),
    ("9014002", "Psoriasis"),
    ("69896004", "Rheumatoid arthritis"),
    ("195967001", "Asthma"),
    ("161891005", "Backache"),
    ("80313002", "Palpitations"),
)
UNRELATED_REASONS = (
    ("128060009", "Varicose veins of lower limb"),
    ("396232000", "Inguinal hernia"),
    ("95324001", "Skin lesion"),
    ("249624003", "Lump in neck"),
)
REFERRAL_CODES = (
    ("183519002", "Referral to cardiology service"),
    ("183521007", "Referral to dermatology service"),
    ("183545006", "Referral to orthopaedic service"),
    ("183524004", "Referral to rheumatology service"),
)
TESTS = (
    (fhir.LAB_CATEGORY, ("26604007", "Full blood count")),
    (fhir.LAB_CATEGORY, ("444164000", "Urea and electrolytes")),
    (fhir.LAB_CATEGORY, ("43396009", "Haemoglobin A1c measurement")),
    (fhir.IMAGING_CATEGORY, ("169069000", "Computed tomography of chest")),
    (fhir.IMAGING_CATEGORY, ("168731009", "Chest X-ray")),
)
SHARED_CARE_DRUGS = (
    ("39695211000001102", "Methotrexate 2.5mg tablets"),
    ("42020011000001101", "Azathioprine 50mg tablets"),
    ("39113611000001102", "Lithium carbonate 400mg modified-release tablets"),
)
TASK_AGREED = ("accepted", "in-progress", "completed")


def _coding(pair: tuple[str, str]) -> dict[str, str]:
    return {"system": SCT, "code": pair[0], "display": pair[1]}


def referral_category(ep: Episode, code: tuple[str, str]) -> tuple[dict[str, Any], bool]:
    """A referral category in one of the three forms rules.md §5.7 names; True when e-RS."""
    roll = ep.rng.random()
    if roll < 0.5:
        return fhir.concept({"system": fhir.ERS_CATEGORY, "code": "referral"}), True
    if roll < 0.8:
        return fhir.concept(fhir.REFERRAL_SNOMED), False
    return fhir.concept(text=code[1]), False


def practice_referral(
    ep: Episode, at: datetime, reason_code: bool = False
) -> tuple[str, tuple[str, str]]:
    """A referral from the patient's practice to the episode's trust (rule 5.10). With
    `reason_code` the reason is always a reasonCode (a later scenario shares it)."""
    sid, rng = ep.id(), ep.rng
    code = rng.choice(REFERRAL_CODES)
    reason = rng.choice(PRACTICE_REASONS)
    category, ers = referral_category(ep, code)
    parts = {"reason", "priority", "info"}
    complete = not ep.breach("referral-complete")
    if not complete:
        drop = rng.sample(
            sorted(parts - ({"reason"} if reason_code else set())),
            rng.randint(1, 2 if reason_code else 3),
        )
        parts -= set(drop)
    extra: dict[str, Any] = {"performer": [fhir.ref(ep.trust.org.ref)]}
    if ers:
        extra["identifier"] = [{"system": fhir.UBRN, "value": f"{rng.randrange(10**11, 10**12)}"}]
    if "reason" in parts:
        if reason_code or rng.random() < 0.85:
            extra["reasonCode"] = [fhir.concept(_coding(reason))]
        else:
            extra["reasonReference"] = [fhir.ref(f"Condition/{ep.id()}")]
    if "priority" in parts:
        priority = rng.choice(("routine", "routine", "urgent"))
        extra["priority"] = priority
        if ers:
            extra["extension"] = fhir.ers_priority(
                "ROUTINE" if priority == "routine" else rng.choice(("URGENT", "TWO_WEEK_WAIT"))
            )
    if "info" in parts:
        if rng.random() < 0.5:
            extra["note"] = [{"text": "Symptoms for three months despite first-line treatment."}]
        else:
            extra["supportingInfo"] = [fhir.ref(f"Observation/{ep.id()}")]
    subject: dict[str, Any] = fhir.ref(ep.patient.ref)
    if ers and rng.random() < 0.3:
        subject = {"identifier": {"system": NHS_NUMBER, "value": ep.patient.nhs}}
    requester = (
        ep.patient.practice.org.ref
        if rng.random() < 0.4
        else (f"PractitionerRole/{rng.choice(ep.patient.practice.gps).role_id}")
    )
    ep.emit(
        fhir.service_request(
            sid, subject, requester, category, fhir.concept(_coding(code)), ep.t(at), **extra
        )
    )
    ep.truth("referral-complete", f"ServiceRequest/{sid}", "met" if complete else "breached")
    return sid, reason


def onward_referral(
    ep: Episode, at: datetime, original: str | None, original_reason: tuple[str, str] | None
) -> None:
    """A referral made by the trust (rule 5.7, coded)."""
    sid, rng = ep.id(), ep.rng
    code = rng.choice(REFERRAL_CODES)
    category, _ = referral_category(ep, code)
    extra: dict[str, Any] = {"priority": "routine"}
    if rng.random() < 0.85:
        to_practice = True
        extra["performer"] = [fhir.ref(ep.patient.practice.org.ref)]
    else:
        to_practice = False
        other = rng.choice(
            [t.org for t in ep.pop.trusts if t is not ep.trust]
            + ep.pop.others
            + ep.trust.sites
            + [ep.trust.org]  # another service of the same trust
        )
        extra["performer"] = [fhir.ref(other.ref)]
    reason = rng.choice(UNRELATED_REASONS)
    status = "met"
    if to_practice and ep.breach("onward-referral-by-trust"):
        status = "breached"
        roll = rng.random()
        if roll < 0.25:
            extra["priority"] = rng.choice(("urgent", "asap", "stat"))
        elif roll < 0.45:
            del extra["priority"]
            extra["extension"] = fhir.ers_priority(rng.choice(("URGENT", "TWO_WEEK_WAIT")))
        elif roll < 0.75 and original is not None:
            extra["basedOn"] = [fhir.ref(f"ServiceRequest/{original}")]
        elif original_reason is not None:
            reason = original_reason
        else:
            extra["priority"] = "urgent"
    extra["reasonCode"] = [fhir.concept(_coding(reason))]
    ep.emit(
        fhir.service_request(
            sid,
            fhir.ref(ep.patient.ref),
            ep.trust_requester(),
            category,
            fhir.concept(_coding(code)),
            ep.t(at),
            **extra,
        )
    )
    ep.truth("onward-referral-by-trust", f"ServiceRequest/{sid}", status, at=at)


def test_request(ep: Episode, at: datetime) -> None:
    """A test the trust orders (rule 5.8, coded): done by the trust, or asked of the
    practice with or without the practice's agreement."""
    sid, rng = ep.id(), ep.rng
    category, code = rng.choice(TESTS)
    extra: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.5:
        status = "met"
        performer = rng.choice((ep.trust.org.ref, ep.pop.trusts[0].org.ref, None))
        if performer:
            extra["performer"] = [fhir.ref(performer)]
        ep.emit(
            fhir.service_request(
                sid,
                fhir.ref(ep.patient.ref),
                ep.trust_requester(),
                fhir.concept(category),
                fhir.concept(_coding(code)),
                ep.t(at),
                **extra,
            )
        )
        ep.truth("trust-arranges-own-tests", f"ServiceRequest/{sid}", status, at=at)
        return
    extra["performer"] = [fhir.ref(ep.patient.practice.org.ref)]
    ep.emit(
        fhir.service_request(
            sid,
            fhir.ref(ep.patient.ref),
            ep.trust_requester(),
            fhir.concept(category),
            fhir.concept(_coding(code)),
            ep.t(at),
            **extra,
        )
    )
    agreed = not ep.breach("trust-arranges-own-tests")
    task_status = rng.choice(TASK_AGREED) if agreed else rng.choice(("rejected", "requested", None))
    if task_status is not None:
        when = min(at + timedelta(days=rng.randint(1, 10)), ep.as_of)
        ep.emit(
            fhir.task(
                ep.id(),
                task_status,
                f"ServiceRequest/{sid}",
                ep.patient.ref,
                ep.practice_owner(),
                ep.t(at),
                lastModified=ep.t(when),
            )
        )
    verdict = "met" if agreed else "breached"
    ep.truth("trust-arranges-own-tests", f"ServiceRequest/{sid}", verdict, at=at)


def shared_care(ep: Episode) -> None:
    """A trust hands prescribing to the practice under shared care (rule 5.4)."""
    rng = ep.rng
    mid = ep.id()
    authored = ep.at(0.05, 0.5)
    extra: dict[str, Any] = {}
    focus = f"MedicationRequest/{mid}"
    style = rng.random()
    category = [
        fhir.concept({"system": fhir.MR_CATEGORY, "code": "outpatient", "display": "Outpatient"})
    ]
    if style < 0.4:
        category = [
            fhir.concept(
                {
                    "system": "https://fhir.nhs.uk/CodeSystem/medicationrequest-"
                    "category-shared-care",
                    "code": "shared-care",
                    "display": "Shared care",
                }
            )
        ]
    elif style < 0.7:
        category = [fhir.concept(text="Shared care prescribing")]
    else:
        plan_id = ep.id()
        ep.emit(fhir.care_plan(plan_id, ep.patient.ref, "Shared care agreement", ep.t(authored)))
        extra["basedOn"] = [fhir.ref(f"CarePlan/{plan_id}")]
        if rng.random() < 0.5:
            focus = f"CarePlan/{plan_id}"
    where = rng.random()
    if where < 0.3:  # the practice, or one of its GPs' roles
        extra["performer"] = fhir.ref(ep.practice_owner())
    dispense: dict[str, Any] = {}
    if where >= 0.3 and where < 0.5:
        dispense["performer"] = fhir.ref(ep.patient.practice.org.ref)
    transfer, pending = _transfer(ep, authored, dispense)
    if dispense:
        extra["dispenseRequest"] = dispense
    ep.emit(
        fhir.medication_request(
            mid,
            ep.patient.ref,
            ep.consultant().ref(True),
            ep.t(authored),
            fhir.concept(
                {
                    "system": fhir.DMD,
                    "code": (d := rng.choice(SHARED_CARE_DRUGS))[0],
                    "display": d[1],
                }
            ),
            category,
            **extra,
        )
    )
    status = _shared_care_task(ep, focus, authored, transfer, pending)
    ep.truth("shared-care-gp-agreement", f"MedicationRequest/{mid}", status, at=authored)


def _transfer(ep: Episode, authored: datetime, dispense: dict[str, Any]) -> tuple[datetime, bool]:
    """Choose the transfer time (validityPeriod.start, else authoredOn); a few are in the
    future (pending), a few date-only (00:00 London)."""
    rng = ep.rng
    if rng.random() < 0.1:
        start = ep.as_of + timedelta(days=rng.randint(3, 30), hours=rng.randint(0, 23))
        dispense["validityPeriod"] = {"start": ep.t(start)}
        return start, True
    if rng.random() < 0.3:
        return authored, False
    if rng.random() < 0.3:
        day = london_date(authored + timedelta(days=rng.randint(2, 20)))
        start = london_midnight(day)
        if start > ep.as_of:
            return authored, False
        dispense["validityPeriod"] = {"start": day.isoformat()}
        return start, False
    start = min(authored + timedelta(days=rng.randint(1, 20)), ep.as_of)
    dispense["validityPeriod"] = {"start": ep.t(start)}
    return start, False


def _shared_care_task(
    ep: Episode, focus: str, authored: datetime, transfer: datetime, pending: bool
) -> str:
    """Emit the practice's answer (or none) and return the rule outcome."""
    rng = ep.rng
    if pending:
        if rng.random() < 0.5:
            _emit_agreement(ep, focus, authored, "requested", None)
            return "pending"
        if rng.random() < 0.5:
            return "pending"
        when = min(authored + timedelta(hours=rng.randint(1, 48)), ep.as_of)
        _emit_agreement(ep, focus, authored, rng.choice(TASK_AGREED), when)
        return "met"
    if ep.breach("shared-care-gp-agreement"):
        roll = rng.random()
        if roll < 0.35:
            return "breached" if ep.as_of > transfer else "pending"
        if roll < 0.6:
            when = min(authored + timedelta(hours=rng.randint(1, 48)), ep.as_of)
            _emit_agreement(ep, focus, authored, "rejected", when)
            return "breached"
        when = transfer + timedelta(minutes=rng.choice((30, 600, 3000, 20000)))
        if when > ep.as_of:
            return "breached" if ep.as_of > transfer else "pending"
        _emit_agreement(ep, focus, authored, rng.choice(TASK_AGREED), when)
        return "breached"
    early = timedelta(minutes=0 if rng.random() < 0.05 else rng.randint(30, 20000))
    when = transfer - early
    when = max(when, authored - timedelta(days=3))
    _emit_agreement(ep, focus, authored - timedelta(days=3), rng.choice(TASK_AGREED), when)
    return "met" if when <= transfer else "breached"


def _emit_agreement(
    ep: Episode, focus: str, asked: datetime, status: str, when: datetime | None
) -> None:
    """A Task from the trust to the practice; the agreement time goes in
    executionPeriod.start, lastModified, or authoredOn (rules.md §5.4 order)."""
    rng = ep.rng
    owner = ep.practice_owner()
    if when is None:
        ep.emit(fhir.task(ep.id(), status, focus, ep.patient.ref, owner, ep.t(asked)))
        return
    roll = rng.random()
    if roll < 0.4:
        later = when + timedelta(hours=rng.randint(1, 72))
        extra: dict[str, Any] = {"executionPeriod": {"start": ep.t(when)}}
        if later <= ep.as_of:
            extra["lastModified"] = ep.t(later)
        ep.emit(
            fhir.task(
                ep.id(), status, focus, ep.patient.ref, owner, ep.t(min(asked, when)), **extra
            )
        )
    elif roll < 0.8:
        ep.emit(
            fhir.task(
                ep.id(),
                status,
                focus,
                ep.patient.ref,
                owner,
                ep.t(min(asked, when)),
                lastModified=ep.t(when),
            )
        )
    else:
        ep.emit(fhir.task(ep.id(), status, focus, ep.patient.ref, owner, ep.t(when)))

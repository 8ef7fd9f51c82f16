"""Traffic for the rules added after the first ten (docs/contract.md §11), with its truth:
Advice & Guidance requests and the trust's answers (working-day and bank-holiday edges),
referrals the trust rejects or returns (with or without a coded reason, advice, or a payment
limit as the reason), and clinic letters that say where the patient takes queries and
results. `referee synth --later-rules SHARE` mixes them in; at 0 no draw is spent on them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapter.editions import editions
from adapter.synth import resources as fhir
from adapter.synth.clock import london_date
from adapter.synth.episode import Episode, deadline_status
from adapter.synth.requests import practice_referral
from adapter.synth.scenarios import attendance

AG_CATEGORY = {"system": fhir.ERS_CATEGORY, "code": "request"}
AG_CODE = {
    "system": "https://fhir.nhs.uk/CodeSystem/servicerequest-code",
    "code": "advice-and-guidance",
}
REASONS = "https://fhir.example.nhs.uk/CodeSystem/referral-rejection-reason"
CODED_REASONS = (
    ("service-inappropriate", "Referral to an inappropriate service"),
    ("insufficient-information", "Insufficient clinical information"),
    ("manage-in-primary-care", "Can be managed in primary care"),
)
PAYMENT_LIMIT = ("payment-limit", "Notified payment limit reached")
ADVICE = "Please manage in primary care with the attached pathway; re-refer if no better."
MINUTE = timedelta(minutes=1)


def advice(ep: Episode) -> None:
    """A practice's A&G request to the trust and, mostly, the trust's answer (contract §11.2):
    answered inside the working days (sometimes at the last minute), late (sometimes by a
    minute), or not yet. One in three is sent the working day before a bank holiday."""
    from adapter.rules import RULES  # the rule catalogue: imported when used, so that
    from adapter.rules.working_days import working_days_due  # `synth --help` stays quick

    rng, sid = ep.rng, ep.id()
    sent = _before_a_holiday(ep, ep.at(0.0, 0.6))
    limit = int(RULES["advice-and-guidance-response"].defaults.wording()["max_working_days"])
    due = working_days_due(sent, limit)
    requester = (
        ep.patient.practice.org.ref
        if ep.chance(0.5)
        else f"PractitionerRole/{rng.choice(ep.patient.practice.gps).role_id}"
    )
    ep.emit(
        fhir.service_request(
            sid,
            fhir.ref(ep.patient.ref),
            requester,
            fhir.concept(AG_CATEGORY),
            fhir.concept(AG_CODE),
            ep.t(sent),
            performer=[fhir.ref(ep.trust.org.ref)],
            priority="routine",
            note=[{"text": "Would you advise on next steps before a referral?"}],
        )
    )
    if ep.chance(0.2):  # the practice's own follow-up is no answer
        _message(ep, sid, requester, ep.trust.org.ref, sent + timedelta(hours=rng.randint(2, 48)))
    if due is None:  # outside the bank-holiday table: the rule cannot judge it
        ep.truth("advice-and-guidance-response", f"ServiceRequest/{sid}", "not-assessable", sent)
        return
    answered: datetime | None
    if ep.breach("advice-and-guidance-response"):
        answered = None if ep.chance(0.4) else due + (MINUTE if ep.chance(0.2) else _late(ep))
    elif ep.chance(0.15):
        answered = due  # at the end of the last working day: met
    else:
        answered = sent + (due - sent) * rng.uniform(0.05, 0.95)
    if answered is not None:
        answered = answered.replace(microsecond=0)
        if answered > ep.as_of:
            answered = None
    if answered is not None:
        sender = ep.trust.org.ref if ep.chance(0.5) else ep.consultant().ref(use_role=True)
        _message(ep, sid, sender, requester, answered)
    status = deadline_status(due, answered, ep.as_of)
    ep.truth("advice-and-guidance-response", f"ServiceRequest/{sid}", status, sent)


def rejection(ep: Episode) -> None:
    """A practice referral the trust rejects or returns (contract §11.1): with a coded
    reason and advice (met), without either (breached), or giving a payment limit as its
    reason, which the edition in force at the rejection decides."""
    rng = ep.rng
    referral, _ = practice_referral(ep, ep.at(0.0, 0.4))
    when = min(ep.at(0.45, 0.9), ep.as_of)
    extra: dict[str, Any] = {"lastModified": ep.t(when)}
    if ep.chance(0.5):
        status = "rejected"
    else:
        status = "completed"
        extra["businessStatus"] = fhir.concept(
            text=rng.choice(("Returned to referrer", "Advice and Refer", "Rejected"))
        )
    coded, advised = True, True
    payment = ep.chance(0.2)
    code, display = PAYMENT_LIMIT if payment else rng.choice(CODED_REASONS)
    reason: dict[str, Any] | None = fhir.concept(
        {"system": REASONS, "code": code, "display": display}
    )
    if not payment and ep.breach("referral-rejection-reasoned"):
        variant = rng.choice(("text reason", "no advice", "neither"))
        coded, advised = False, variant == "text reason"
        if variant == "text reason":
            reason = fhir.concept(text=display)  # a reason in words only is not coded
        elif variant == "no advice":
            coded = True
        else:
            reason = None
    if reason is not None:
        extra["statusReason"] = reason
    if advised:
        extra["note"] = [{"text": ADVICE}]
    task = ep.id()
    ep.emit(
        fhir.task(
            task,
            status,
            f"ServiceRequest/{referral}",
            ep.patient.ref,
            ep.trust.org.ref,
            ep.t(when),
            **extra,
        )
    )
    limit_applies = editions().term_at(when).values["referral-rejection-reasoned"]
    if payment and limit_applies["payment_limit_invalid"]:
        verdict = "breached"
    else:
        verdict = "met" if coded and advised else "breached"
    ep.truth("referral-rejection-reasoned", f"Task/{task}", verdict, when)


def queries(ep: Episode) -> None:
    """A referral, its attendance and a clinic letter that says where the patient takes
    queries and results (contract §11.3)."""
    referral, _ = practice_referral(ep, ep.at(0.0, 0.05))
    attendance(ep, referral, extras=False, queries=True)


def _message(ep: Episode, request: str, sender: str, recipient: str, sent: datetime) -> None:
    ep.emit(
        {
            "resourceType": "Communication",
            "id": ep.id(),
            "status": "completed",
            "basedOn": [fhir.ref(f"ServiceRequest/{request}")],
            "subject": fhir.ref(ep.patient.ref),
            "sent": ep.t(sent, zoned=True),
            "sender": fhir.ref(sender),
            "recipient": [fhir.ref(recipient)],
            "payload": [{"contentString": "Advice on the question asked."}],
        }
    )


def _late(ep: Episode) -> timedelta:
    return timedelta(minutes=ep.rng.randint(60, 10 * 24 * 60))


def _before_a_holiday(ep: Episode, sent: datetime) -> datetime:
    """One in three requests moved to the last working day before a bank holiday within
    three weeks (same time of day), when that is still inside the episode."""
    from adapter.rules.working_days import is_working_day

    if not ep.chance(0.33):
        return sent
    day = london_date(sent)
    for ahead in range(1, 22):
        candidate = day + timedelta(days=ahead)
        if candidate.weekday() < 5 and not is_working_day(candidate):
            before = candidate - timedelta(days=1)
            while not is_working_day(before):
                before -= timedelta(days=1)
            moved = sent + timedelta(days=(before - day).days)
            return moved if ep.start <= moved <= ep.as_of else sent
    return sent

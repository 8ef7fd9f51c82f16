"""MedicationRequest → MedicationOrder, with the days supplied worked out (rules.md §5.3,
docs/contract.md §7; the arithmetic is adapter/supply.py).
Profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest"""

from __future__ import annotations

from typing import Any

from adapter.facts import MedicationOrder, MedicineFact
from adapter.policy import Policy
from adapter.supply import course_days, supplied_days
from adapter.translate.dosage import dosage_lines
from adapter.translate.fields import Fields


def medication_request_to_order(f: Fields, policy: Policy) -> MedicationOrder:
    r = f.resource
    status = f.code(
        r, "status", "status", required="send the MedicationRequest status, e.g. active"
    )
    intent = f.code(r, "intent", "intent", required="send the MedicationRequest intent, e.g. order")
    dispense = f.obj(r, "dispenseRequest", "dispenseRequest") or {}
    validity = f.obj(dispense, "validityPeriod", "dispenseRequest.validityPeriod") or {}
    lines = dosage_lines(f, r, "dosageInstruction")
    performers = [
        f.ref(r, "performer", "performer"),
        f.ref(dispense, "performer", "dispenseRequest.performer"),
    ]
    authored = f.instant(r, "authoredOn", "authoredOn")
    return MedicationOrder(
        head=f.head(),
        status=status or "",
        intent=intent or "",
        categories=f.concepts(r, "category", "category"),
        based_on=f.refs(r, "basedOn", "basedOn"),
        requester=f.ref(r, "requester", "requester"),
        performers=tuple(p for p in performers if p),
        encounter=f.ref(r, "encounter", "encounter"),
        patient=f.ref(r, "subject", "subject"),
        authored=authored,
        transfer_at=f.instant(validity, "start", "dispenseRequest.validityPeriod.start")
        or authored,
        supply=supplied_days(
            f.quantity(
                dispense, "expectedSupplyDuration", "dispenseRequest.expectedSupplyDuration"
            ),
            f.quantity(dispense, "quantity", "dispenseRequest.quantity"),
            lines,
        ),
        course_days=course_days(lines),
        medicine=medicine_name(f, r),
        medication=f.ref(r, "medicationReference", "medicationReference"),
    )


def medicine_name(f: Fields, r: dict[str, Any]) -> str | None:
    concept = f.concept(r, "medicationCodeableConcept", "medicationCodeableConcept")
    if concept:
        return concept.text or next((d for _, _, d in concept.codings if d), None)
    ref = r.get("medicationReference")
    return (
        ref.get("display")
        if isinstance(ref, dict) and isinstance(ref.get("display"), str)
        else None
    )


def medication_to_medicine(f: Fields, policy: Policy) -> MedicineFact:
    """A Medication, for its name (dm+d or SNOMED display, or text)."""
    code = f.concept(f.resource, "code", "code")
    name = (code.text or next((d for _, _, d in code.codings if d), None)) if code else None
    return MedicineFact(f.head(), name)

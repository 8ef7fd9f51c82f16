"""Appointment and DocumentReference (STU3) → R4, as e-RS sends them.

Appointment: http://hl7.org/fhir/STU3/appointment.html (`incomingReferral` → `basedOn`, the
referral it was booked on; `reason` → `reasonCode`). The e-RS appointment of a referral
(eRS-Appointment-1) names its referral this way.
DocumentReference: http://hl7.org/fhir/STU3/documentreference.html (`class` → `category`;
`context.encounter` 0..1 → an array; `indexed` is read as the sent time as it is, §3). e-RS
attachments (eRS-DocumentReference-1) are of this shape.
"""

from __future__ import annotations

from adapter.translate.stu3.common import JSON, Renames, move


def appointment(resource: JSON) -> tuple[JSON, Renames]:
    out = dict(resource)
    renames: Renames = {}
    move(out, renames, "incomingReferral", "basedOn")
    move(out, renames, "reason", "reasonCode")
    return out, renames


def document_reference(resource: JSON) -> tuple[JSON, Renames]:
    out = dict(resource)
    renames: Renames = {}
    if isinstance(out.get("class"), dict) and "category" not in out:
        out["category"] = [out.pop("class")]
        renames["category[0]"] = "class"
    context = out.get("context")
    if isinstance(context, dict) and isinstance(context.get("encounter"), dict):
        out["context"] = {**context, "encounter": [context["encounter"]]}
        renames["context.encounter[0]"] = "context.encounter"
    return out, renames

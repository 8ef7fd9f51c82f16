"""Encounter → Attendance. Profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter"""

from __future__ import annotations

from adapter.facts import Attendance
from adapter.policy import Policy
from adapter.translate.fields import Fields


def encounter_to_attendance(f: Fields, policy: Policy) -> Attendance:
    r = f.resource
    status = f.code(r, "status", "status", required="send the Encounter status, e.g. finished")
    klass = f.coding(r, "class", "class")
    if "class" not in r:
        f.missing("class", 'send the v3 ActCode class, e.g. {"code": "IMP"}')
    period = f.obj(r, "period", "period") or {}
    outcome = f.extension_codes(r, policy.codes.values["outcome-of-attendance-extension"], "")
    discharged = any(f"{s}|{c}" in policy.codes["outcome-discharged"] for s, c in outcome)
    return Attendance(
        head=f.head(),
        status=status or "",
        klass=klass[1] if klass else None,
        start=f.instant(period, "start", "period.start"),
        end=f.instant(period, "end", "period.end"),
        start_latest=f.latest(period, "start"),
        end_latest=f.latest(period, "end"),
        types=f.concepts(r, "type", "type"),
        patient=f.ref(r, "subject", "subject"),
        provider=f.ref(r, "serviceProvider", "serviceProvider"),
        reasons=f.concepts(r, "reasonCode", "reasonCode"),
        discharged_outcome=discharged,
        based_on=f.refs(r, "basedOn", "basedOn"),
    )

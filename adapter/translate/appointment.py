"""Appointment → Booking (a `noshow` is a DNA, rules.md §5.6).
Profile: https://hl7.org/fhir/R4/appointment.html"""

from __future__ import annotations

from adapter.facts import Booking, Ref
from adapter.policy import Policy
from adapter.translate.fields import Fields


def appointment_to_booking(f: Fields, policy: Policy) -> Booking:
    r = f.resource
    status = f.code(r, "status", "status", required="send the Appointment status, e.g. noshow")
    actors: list[Ref] = []
    for index, participant in enumerate(f.objects(r, "participant", "participant")):
        actor = f.ref(participant, "actor", f"participant[{index}].actor")
        if actor:
            actors.append(actor)
    outcome = f.extension_codes(r, policy.codes.values["outcome-of-attendance-extension"], "")
    return Booking(
        head=f.head(),
        status=status or "",
        start=f.instant(r, "start", "start"),
        actors=tuple(actors),
        based_on=f.refs(r, "basedOn", "basedOn"),
        discharged_outcome=any(
            f"{s}|{c}" in policy.codes["outcome-discharged"] for s, c in outcome
        ),
    )

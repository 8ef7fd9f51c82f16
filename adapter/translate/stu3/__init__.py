"""STU3 → R4: the shapes of the fields the rules read, rewritten so that the R4 translators
run unchanged (docs/contract.md §1, field by field).

`up_convert(resource)` returns the R4-shaped copy and `Renames`: the R4 path prefixes it
created, each with the STU3 path the sender wrote, so that a located issue names the
field as it was sent. Each converter leaves R4 shapes alone (a resource without an STU3
element comes back equal), so a wrongly inherited STU3 hint changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from adapter.translate.stu3.clinical import composition, encounter
from adapter.translate.stu3.common import JSON, Renames
from adapter.translate.stu3.documents import appointment, document_reference
from adapter.translate.stu3.ers import communication, communication_request
from adapter.translate.stu3.medicines import medication_request, medication_statement
from adapter.translate.stu3.messages import message_header
from adapter.translate.stu3.requests import procedure_request, referral_request

UpConverter = Callable[[JSON], tuple[JSON, Renames]]

# By STU3 resourceType. Types absent here (Patient, Practitioner, PractitionerRole,
# Organization, List...) have the same shape in both releases for every field read.
UP_CONVERTERS: dict[str, UpConverter] = {
    "ReferralRequest": referral_request,
    "ProcedureRequest": procedure_request,
    "Encounter": encounter,
    "Composition": composition,
    "MedicationRequest": medication_request,
    "MedicationStatement": medication_statement,
    "MessageHeader": message_header,
    "CommunicationRequest": communication_request,
    "Communication": communication,
    "Appointment": appointment,
    "DocumentReference": document_reference,
}


def up_convert(resource: JSON) -> tuple[JSON, Renames]:
    """The R4 shape of an STU3 resource, and the paths it renamed (R4 → STU3)."""
    converter = UP_CONVERTERS.get(str(resource.get("resourceType")))
    if converter is None:
        return resource, {}
    return converter(resource)


def stu3_path(path: str, renames: Renames) -> str:
    """An R4 path as the STU3 sender wrote it (longest renamed prefix wins)."""
    for r4 in sorted(renames, key=len, reverse=True):
        if path == r4 or path.startswith((r4 + ".", r4 + "[")):
            return renames[r4] + path[len(r4) :]
    return path


__all__ = ["UP_CONVERTERS", "stu3_path", "up_convert"]

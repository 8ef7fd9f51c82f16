"""The search parameters of stored traffic (issue 12, part 1; docs/contract.md §12.6), per
resource type, as R4 defines them: name → (type, the elements it reads, the type a bare
reference id must be). Every type has `_id` and `_lastUpdated`; a type searches `date`,
`status`, `patient`, `subject` or `encounter` only where R4 gives it that parameter, so a
parameter a type does not have is refused, never ignored."""

from __future__ import annotations

Parameter = tuple[str, tuple[str, ...], str | None]

# made by the service from the obligations (read and searched, never stored from clients),
# and opened rather than stored (a Bundle's entries are stored one by one)
MADE = ("DetectedIssue", "MeasureReport")
NOT_STORED = frozenset({"Bundle", *MADE})

_SUBJECT_TYPES = (
    "CarePlan",
    "Communication",
    "CommunicationRequest",
    "Composition",
    "Condition",
    "DiagnosticReport",
    "DocumentReference",
    "Encounter",
    "Flag",
    "List",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Procedure",
    "QuestionnaireResponse",
    "ReferralRequest",
    "ServiceRequest",
)
_PATIENT_ELEMENT = {
    "AllergyIntolerance": "patient",
    "EpisodeOfCare": "patient",
    "Immunization": "patient",
    "Task": "for",
    "Appointment": "participant.actor",
}
_ENCOUNTER = {
    "CarePlan": "encounter",
    "Communication": "encounter",
    "CommunicationRequest": "encounter",
    "Composition": "encounter",
    "Condition": "encounter",
    "DiagnosticReport": "encounter",
    "DocumentReference": "context.encounter",
    "Flag": "encounter",
    "List": "encounter",
    "MedicationRequest": "encounter",
    "Observation": "encounter",
    "Procedure": "encounter",
    "QuestionnaireResponse": "encounter",
    "ServiceRequest": "encounter",
    "Task": "encounter",
}
_DATE: dict[str, tuple[str, ...]] = {
    "AllergyIntolerance": ("recordedDate",),
    "Appointment": ("start",),
    "CarePlan": ("period",),
    "Composition": ("date",),
    "DiagnosticReport": ("effectiveDateTime", "effectivePeriod"),
    "DocumentReference": ("date",),
    "Encounter": ("period",),
    "EpisodeOfCare": ("period",),
    "Flag": ("period",),
    "Immunization": ("occurrenceDateTime",),
    "List": ("date",),
    "Observation": ("effectiveDateTime", "effectivePeriod", "effectiveInstant"),
    "Procedure": ("performedDateTime", "performedPeriod"),
}
_STATUS = (
    "Appointment",
    "CarePlan",
    "Communication",
    "CommunicationRequest",
    "Composition",
    "DiagnosticReport",
    "DocumentReference",
    "Encounter",
    "EpisodeOfCare",
    "Flag",
    "Immunization",
    "List",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Procedure",
    "QuestionnaireResponse",
    "ReferralRequest",
    "ServiceRequest",
    "Task",
)
COMMON: dict[str, Parameter] = {
    "_id": ("token", ("id",), None),
    "_lastUpdated": ("date", ("meta.lastUpdated",), None),
}
DESCRIPTIONS = {
    "_id": "the resource's id",
    "_lastUpdated": "meta.lastUpdated (the client's, else when stored); eq/ne/lt/le/gt/ge",
    "patient": "the patient the resource is about: Patient/id, id, or NHS number",
    "subject": "the resource's subject: Type/id, or a logical reference's identifier",
    "encounter": "the Encounter the resource belongs to: Encounter/id or id",
    "date": "the type's clinical date (FHIR R4); eq/ne/lt/le/gt/ge",
    "status": "the resource's status code",
}


def parameters(kind: str) -> dict[str, Parameter]:
    """The search parameters of stored resources of type `kind`."""
    found = dict(COMMON)
    if kind in _SUBJECT_TYPES:
        found["patient"] = ("reference", ("subject",), "Patient")
        found["subject"] = ("reference", ("subject",), None)
    if kind in _PATIENT_ELEMENT:
        found["patient"] = ("reference", (_PATIENT_ELEMENT[kind],), "Patient")
    if kind in _ENCOUNTER:
        found["encounter"] = ("reference", (_ENCOUNTER[kind],), "Encounter")
    if kind in _DATE:
        found["date"] = ("date", _DATE[kind], None)
    if kind in _STATUS:
        found["status"] = ("token", ("status",), None)
    return found

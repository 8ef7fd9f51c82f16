"""Translate: one FHIR resource → one fact, or the problems that reject it.

One module per FHIR type; `translate()` picks the translator by `resourceType`. A resource
is rejected when a field a rule reads has the wrong datatype or cardinality, or a required
element a rule reads is missing (rules.md §1); `--validate full` adds every R4 problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from adapter.facts import Fact, Other
from adapter.fhir import full_validation
from adapter.ingest import Received
from adapter.model import Issue
from adapter.policy import Policy
from adapter.translate.appointment import appointment_to_booking
from adapter.translate.composition import composition_to_letter
from adapter.translate.context import (
    care_plan_to_plan,
    communication_to_reply,
    observation_to_observation,
    questionnaire_response_to_document,
    task_to_task,
)
from adapter.translate.document_reference import document_reference_to_fact
from adapter.translate.encounter import encounter_to_attendance
from adapter.translate.fast import fast_fact
from adapter.translate.fields import Fields
from adapter.translate.medication_request import (
    medication_request_to_order,
    medication_to_medicine,
)
from adapter.translate.medication_statement import list_to_list, medication_statement_to_use
from adapter.translate.message import message_header_to_message, operation_outcome_to_outcome
from adapter.translate.parties import (
    healthcare_service_to_service,
    organization_to_organisation,
    patient_to_patient,
    practitioner_role_to_role,
    practitioner_to_person,
)
from adapter.translate.service_request import service_request_to_request
from adapter.translate.stu3 import stu3_path, up_convert

Translator = Callable[[Fields, Policy], Fact]

TRANSLATORS: dict[str, Translator] = {
    "Organization": organization_to_organisation,
    "Practitioner": practitioner_to_person,
    "PractitionerRole": practitioner_role_to_role,
    "Patient": patient_to_patient,
    "Encounter": encounter_to_attendance,
    "Appointment": appointment_to_booking,
    "MedicationRequest": medication_request_to_order,
    "MedicationStatement": medication_statement_to_use,
    "Medication": medication_to_medicine,
    "List": list_to_list,
    "ServiceRequest": service_request_to_request,
    "Task": task_to_task,
    "Communication": communication_to_reply,
    "Observation": observation_to_observation,
    "CarePlan": care_plan_to_plan,
    "HealthcareService": healthcare_service_to_service,
    "QuestionnaireResponse": questionnaire_response_to_document,
    "OperationOutcome": operation_outcome_to_outcome,
}


@dataclass(frozen=True, slots=True)
class Translated:
    fact: Fact | None
    issues: tuple[Issue, ...]


def translate(
    item: Received, policy: Policy, *, full: bool = False, fast: bool = True
) -> Translated:
    """The fact for one received resource, or the issues that reject it (all of them).
    A resource read as STU3 is first up-converted to the R4 shape (translate/stu3/). An R4
    resource with nothing to word is read by the typed fast path (translate/fast.py), which
    gives the same fact; `fast=False` reads every resource with the field readers."""
    if fast and not full and item.release is None:
        found = fast_fact(item, policy, identifier_aliases(policy))
        if found is not None:
            return Translated(found, ())
    resource, renames = item.resource, dict[str, str]()
    if item.release == "STU3":
        resource, renames = up_convert(resource)
    f = Fields(
        resource,
        item.location,
        item.full_url,
        str(item.resource["resourceType"]),
        message=item.message,
        aliases=identifier_aliases(policy),
        scope=item.scope,
    )
    kind = str(resource["resourceType"])
    fact: Fact
    if kind == "Composition":
        fact = composition_to_letter(f, policy, item.sent_at)
    elif kind == "DocumentReference":
        fact = document_reference_to_fact(f, policy, item.sent_at)
    elif kind == "MessageHeader":
        fact = message_header_to_message(f, policy, item.message_at)
    elif kind in TRANSLATORS:
        fact = TRANSLATORS[kind](f, policy)
    else:
        fact = Other(f.head())
    problems = [_as_sent(path, message, renames) for path, message in f.problems]
    if full:
        seen = {path for path, _ in problems}
        checked = full_validation(item.resource, release=item.release or "R4")
        problems.extend((p, m) for p, m in checked if p not in seen)
    if not problems:
        return Translated(fact, _warnings(f, item))
    issues = tuple(
        Issue(
            "error",
            "invalid",
            replace(item.location, field=path),
            f"{item.location.describe()}: {message}",
        )
        for path, message in problems
    )
    return Translated(None, issues)


def identifier_aliases(policy: Policy) -> dict[str, str]:
    """Legacy and mis-cased identifier systems → the right ones (mappings/codes.toml)."""
    found: dict[str, str] | None = policy.cache.get("identifier-aliases")
    if found is None:
        pairs = (entry.split("|", 1) for entry in policy.codes["identifier-system-aliases"])
        found = policy.cache["identifier-aliases"] = {wrong: right for wrong, right in pairs}
    return found


def _warnings(f: Fields, item: Received) -> tuple[Issue, ...]:
    """What an accepted resource was read with, said once per field (docs/contract.md §5)."""
    seen: dict[str, str] = dict(f.warnings)
    return tuple(
        Issue(
            "warning",
            "code-invalid" if "Verhoeff" in message else "business-rule",
            replace(item.location, field=path),
            f"{item.location.describe()}: {path}: {message}",
        )
        for path, message in seen.items()
    )


def _as_sent(path: str, message: str, renames: dict[str, str]) -> tuple[str, str]:
    """A problem found in the up-converted shape, located at the STU3 field as sent."""
    sent = stu3_path(path, renames)
    if sent != path and message.startswith(path):
        message = sent + message[len(path) :]
    return sent, message

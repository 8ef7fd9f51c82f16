"""Organization, Practitioner, PractitionerRole and Patient → the parties of rules.md §2.

Profiles: https://fhir.hl7.org.uk/StructureDefinition/UKCore-Organization,
UKCore-Practitioner, UKCore-PractitionerRole, UKCore-Patient.
"""

from __future__ import annotations

from adapter.facts import Organisation, PatientFact, Person, Role, Service
from adapter.policy import Policy
from adapter.translate.fields import Fields


def organization_to_organisation(f: Fields, policy: Policy) -> Organisation:
    head = f.head()
    ods_systems = policy.codes["ods-systems"]
    ods = next((value for system, value in head.identifiers if system in ods_systems), None)
    name = f.string(f.resource, "name", "name")
    return Organisation(head, ods, f.concepts(f.resource, "type", "type"), name)


def healthcare_service_to_service(f: Fields, policy: Policy) -> Service:
    """HealthcareService → the organisation that provides it.
    Profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-HealthcareService"""
    return Service(f.head(), f.ref(f.resource, "providedBy", "providedBy"))


def practitioner_to_person(f: Fields, policy: Policy) -> Person:
    return Person(f.head(), f.has_telecom(f.resource, ""))


def practitioner_role_to_role(f: Fields, policy: Policy) -> Role:
    r = f.resource
    return Role(
        f.head(),
        f.ref(r, "organization", "organization"),
        f.ref(r, "practitioner", "practitioner"),
        f.has_telecom(r, ""),
    )


def patient_to_patient(f: Fields, policy: Policy) -> PatientFact:
    head = f.head()
    system = policy.codes.values["nhs-number-system"]
    nhs = next((value for s, value in head.identifiers if s == system), None)
    return PatientFact(
        head,
        nhs,
        f.date(f.resource, "birthDate", "birthDate"),
        f.refs(f.resource, "generalPractitioner", "generalPractitioner"),
    )

"""The one place that imports fhir.resources (R4B models, structurally R4 for every type
read here; never the default R5 models, which reject R4 fields).

The default pipeline does not build fhir.resources models (too slow at ICB scale): the
translators check the fields the rules read. `--validate full` adds `full_validation`.
"""

from __future__ import annotations

import functools
from typing import Any

from adapter.version import STU3_ONLY

# Every R4 and R4B resource type name: a `resourceType` outside this set is rejected.
RESOURCE_TYPES = frozenset(
    {
        "Account",
        "ActivityDefinition",
        "AdministrableProductDefinition",
        "AdverseEvent",
        "AllergyIntolerance",
        "Appointment",
        "AppointmentResponse",
        "AuditEvent",
        "Basic",
        "Binary",
        "BiologicallyDerivedProduct",
        "BodyStructure",
        "Bundle",
        "CapabilityStatement",
        "CarePlan",
        "CareTeam",
        "CatalogEntry",
        "ChargeItem",
        "ChargeItemDefinition",
        "Citation",
        "Claim",
        "ClaimResponse",
        "ClinicalImpression",
        "ClinicalUseDefinition",
        "CodeSystem",
        "Communication",
        "CommunicationRequest",
        "CompartmentDefinition",
        "Composition",
        "ConceptMap",
        "Condition",
        "Consent",
        "Contract",
        "Coverage",
        "CoverageEligibilityRequest",
        "CoverageEligibilityResponse",
        "DetectedIssue",
        "Device",
        "DeviceDefinition",
        "DeviceMetric",
        "DeviceRequest",
        "DeviceUseStatement",
        "DiagnosticReport",
        "DocumentManifest",
        "DocumentReference",
        "DomainResource",
        "EffectEvidenceSynthesis",
        "Encounter",
        "Endpoint",
        "EnrollmentRequest",
        "EnrollmentResponse",
        "EpisodeOfCare",
        "EventDefinition",
        "Evidence",
        "EvidenceReport",
        "EvidenceVariable",
        "ExampleScenario",
        "ExplanationOfBenefit",
        "FamilyMemberHistory",
        "Flag",
        "Goal",
        "GraphDefinition",
        "Group",
        "GuidanceResponse",
        "HealthcareService",
        "ImagingStudy",
        "Immunization",
        "ImmunizationEvaluation",
        "ImmunizationRecommendation",
        "ImplementationGuide",
        "Ingredient",
        "InsurancePlan",
        "Invoice",
        "Library",
        "Linkage",
        "List",
        "Location",
        "ManufacturedItemDefinition",
        "Measure",
        "MeasureReport",
        "Media",
        "Medication",
        "MedicationAdministration",
        "MedicationDispense",
        "MedicationKnowledge",
        "MedicationRequest",
        "MedicationStatement",
        "MedicinalProduct",
        "MedicinalProductAuthorization",
        "MedicinalProductContraindication",
        "MedicinalProductDefinition",
        "MedicinalProductIndication",
        "MedicinalProductIngredient",
        "MedicinalProductInteraction",
        "MedicinalProductManufactured",
        "MedicinalProductPackaged",
        "MedicinalProductPharmaceutical",
        "MedicinalProductUndesirableEffect",
        "MessageDefinition",
        "MessageHeader",
        "MolecularSequence",
        "NamingSystem",
        "NutritionOrder",
        "NutritionProduct",
        "Observation",
        "ObservationDefinition",
        "OperationDefinition",
        "OperationOutcome",
        "Organization",
        "OrganizationAffiliation",
        "PackagedProductDefinition",
        "Parameters",
        "Patient",
        "PaymentNotice",
        "PaymentReconciliation",
        "Person",
        "PlanDefinition",
        "Practitioner",
        "PractitionerRole",
        "Procedure",
        "Provenance",
        "Questionnaire",
        "QuestionnaireResponse",
        "RegulatedAuthorization",
        "RelatedPerson",
        "RequestGroup",
        "ResearchDefinition",
        "ResearchElementDefinition",
        "ResearchStudy",
        "ResearchSubject",
        "Resource",
        "RiskAssessment",
        "RiskEvidenceSynthesis",
        "Schedule",
        "SearchParameter",
        "ServiceRequest",
        "Slot",
        "Specimen",
        "SpecimenDefinition",
        "StructureDefinition",
        "StructureMap",
        "Subscription",
        "SubscriptionStatus",
        "SubscriptionTopic",
        "Substance",
        "SubstanceDefinition",
        "SubstanceNucleicAcid",
        "SubstancePolymer",
        "SubstanceProtein",
        "SubstanceReferenceInformation",
        "SubstanceSourceMaterial",
        "SubstanceSpecification",
        "SupplyDelivery",
        "SupplyRequest",
        "Task",
        "TerminologyCapabilities",
        "TestReport",
        "TestScript",
        "ValueSet",
        "VerificationResult",
        "VisionPrescription",
    }
)


def full_validation(resource: dict[str, Any], release: str = "R4") -> list[tuple[str, str]]:
    """Every problem in `resource` as (FHIR path, message) pairs; empty when valid. R4 by
    the R4B models; a resource read as STU3 by the STU3 models (docs/contract.md §1). A
    resource that nests a type its release lacks is rejected at that element, before the
    models see it (they cannot validate it at all)."""
    foreign = foreign_types(resource, release)
    if foreign:
        return foreign
    get_model = _model_lookup(release)
    try:
        model = get_model(str(resource.get("resourceType")))
    except (ValueError, AttributeError):
        return [("resourceType", f"unknown resource type {resource.get('resourceType')!r}")]
    from pydantic import ValidationError

    try:
        model.model_validate(resource)
    except ValidationError as exc:
        return [(_path(error["loc"]), _message(error)) for error in exc.errors()]
    except (TypeError, ValueError, KeyError) as exc:  # fhir_core raises these for some shapes
        return [("", f"the {release} models cannot read this resource ({exc!r})")]
    return []


# What R4 sends instead of the STU3 types that carry obligations.
R4_INSTEAD = {"ReferralRequest": "ServiceRequest", "ProcedureRequest": "ServiceRequest"}


def foreign_types(resource: dict[str, Any], release: str = "R4") -> list[tuple[str, str]]:
    """Resources nested in `resource` (contained, Parameters, Bundle entries...) whose type
    `release` lacks, each as (path, message)."""
    known = _known_types(release)
    found: list[tuple[str, str]] = []
    for path, kind in _nested_types(resource, ""):
        if kind not in known:
            instead = R4_INSTEAD.get(kind)
            hint = f"; send {instead} instead" if instead and release == "R4" else ""
            found.append(
                (
                    path,
                    f"{path} holds a {kind!r} resource, a type FHIR {release} does not have{hint}",
                )
            )
    return found


def _nested_types(value: Any, path: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(value, dict):
        kind = value.get("resourceType")
        if path and isinstance(kind, str):
            out.append((path, kind))
        for key, child in value.items():
            if isinstance(child, dict | list):
                out.extend(_nested_types(child, f"{path}.{key}" if path else key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out.extend(_nested_types(child, f"{path}[{index}]"))
    return out


def _model_lookup(release: str) -> Any:
    if release == "STU3":
        from fhir.resources.STU3 import get_fhir_model_class as stu3_model_class

        return stu3_model_class
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class


_KNOWN: dict[str, frozenset[str]] = {}


def _known_types(release: str) -> frozenset[str]:
    if release != "STU3":
        return RESOURCE_TYPES
    if "STU3" not in _KNOWN:
        from fhir.resources.STU3 import get_fhir_model_class as stu3_model_class

        names = set()
        for name in RESOURCE_TYPES | STU3_ONLY:
            try:
                stu3_model_class(name)
            except (ValueError, AttributeError, ImportError):
                continue
            names.add(name)
        _KNOWN["STU3"] = frozenset(names)
    return _KNOWN["STU3"]


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path.replace("class_fhir", "class").replace("__root__", "")


def _message(error: Any) -> str:
    found = error.get("input")
    shown = repr(found) if not isinstance(found, dict | list) else type(found).__name__
    return f"{error['msg']} (got {shown[:80]})"


@functools.cache
def mandatory_elements(kind: str) -> frozenset[str]:
    """The top-level elements R4 requires of a resource of type `kind` (min 1), which an
    `_elements` summary keeps (R4 search.html#elements); empty for an unknown type."""
    if kind not in RESOURCE_TYPES:
        return frozenset()
    try:
        model = _model_lookup("R4")(kind)
    except (KeyError, ValueError):  # pragma: no cover - an R4 type that R4B dropped
        return frozenset()
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if field.is_required() or (field.json_schema_extra or {}).get("element_required")
    )

"""Which FHIR release a resource is written in: R4 (the default), STU3, or a release the
adapter refuses (DSTU2, R5). docs/contract.md §1.

Markers, cheapest first, only ever at the top of a resource (never a deep scan, so R4 input
at ICB scale pays a few dict look-ups): a type that only one release has; a `fhirVersion`;
a `meta.profile` of an STU3 family (`/STU3/`, CareConnect, ITK3, ambulance ADW); an element
shape that only STU3 has (`MedicationRequest.requester.agent`, `MessageHeader.event`...).
A resource with no marker is R4. A Bundle's release is its own, else STU3 when an
entry shows STU3; its entries inherit it (ITK3 and e-RS send one release per message).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final, Literal

Release = Literal["R4", "STU3", "DSTU2", "R5"]

# Types STU3 has and R4 dropped (renamed or removed). http://hl7.org/fhir/R4/diff.html
STU3_ONLY: Final = frozenset(
    {
        "ReferralRequest",
        "ProcedureRequest",
        "ProcessRequest",
        "ProcessResponse",
        "EligibilityRequest",
        "EligibilityResponse",
        "DeviceComponent",
        "ImagingManifest",
        "BodySite",
        "DataElement",
        "ServiceDefinition",
        "ExpansionProfile",
        "Sequence",
    }
)
# Types only DSTU2 has (STU3 renamed them), and types R5 added: refused by name.
DSTU2_ONLY: Final = frozenset(
    {
        "MedicationOrder",
        "DiagnosticOrder",
        "DeviceUseRequest",
        "Order",
        "OrderResponse",
        "Conformance",
    }
)
R5_ONLY: Final = frozenset(
    {
        "ActorDefinition",
        "ArtifactAssessment",
        "ConditionDefinition",
        "DeviceDispense",
        "DeviceUsage",
        "EncounterHistory",
        "FormularyItem",
        "GenomicStudy",
        "ImagingSelection",
        "InventoryItem",
        "InventoryReport",
        "NutritionIntake",
        "Permission",
        "Requirements",
        "TestPlan",
        "Transport",
    }
)

_STU3_PROFILE_MARKS: Final = (
    "/STU3/",
    "/StructureDefinition/CareConnect-",
    "fhir.nhs.uk/StructureDefinition/ITK-",
    "fhir.nhs.uk/StructureDefinition/ADW-",
)
_DSTU2_PROFILE_MARKS: Final = ("/DSTU2/",)
_R5_PROFILE_MARKS: Final = ("/R5/",)


def release_of(resource: dict[str, Any]) -> Release | None:
    """The release a resource's own markers show, or None when it shows none."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        return None
    if kind in STU3_ONLY:
        return "STU3"
    if kind in DSTU2_ONLY:
        return "DSTU2"
    if kind in R5_ONLY:
        return "R5"
    return _by_version(resource.get("fhirVersion")) or _by_profile(resource) or _by_shape(resource)


def bundle_release(bundle: dict[str, Any]) -> Release | None:
    """A Bundle's own release, else STU3 when an entry (or a nested Bundle's) shows STU3.
    A DSTU2 or R5 entry is refused alone: it does not make its neighbours foreign."""
    own = release_of(bundle)
    if own is not None:
        return own
    entries = bundle.get("entry")
    for entry in entries if isinstance(entries, list) else ():
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        found = (
            bundle_release(resource)
            if resource.get("resourceType") == "Bundle"
            else release_of(resource)
        )
        if found == "STU3":
            return found
    return None


def _by_version(value: Any) -> Release | None:
    """`fhirVersion` (CapabilityStatement, StructureDefinition...): 3.0.x, 1.0.x, 4.x, 5.x."""
    if not isinstance(value, str):
        return None
    if value.startswith(("3.0", "1.8", "1.6", "1.4")):
        return "STU3"
    if value.startswith(("1.0", "0.")):
        return "DSTU2"
    if value.startswith(("4.0", "4.1", "4.3")):
        return "R4"
    if value.startswith(("5.", "4.2", "4.4", "4.5", "4.6")):
        return "R5"
    return None


def _by_profile(resource: dict[str, Any]) -> Release | None:
    meta = resource.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    for profile in profiles if isinstance(profiles, list) else ():
        if not isinstance(profile, str):
            continue
        found = _profile_release(profile)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=4096)
def _profile_release(profile: str) -> Release | None:
    """The release a profile URL names; remembered, as every resource repeats a few."""
    if any(mark in profile for mark in _STU3_PROFILE_MARKS):
        return "STU3"
    if any(mark in profile for mark in _DSTU2_PROFILE_MARKS):
        return "DSTU2"
    if any(mark in profile for mark in _R5_PROFILE_MARKS):
        return "R5"
    return None


def _by_shape(resource: dict[str, Any]) -> Release | None:
    """Elements whose STU3 shape R4 changed, on the types the rules read."""
    check = _SHAPES.get(str(resource.get("resourceType")))
    return "STU3" if check is not None and check(resource) else None


def _requester_agent(r: dict[str, Any]) -> bool:
    requester = r.get("requester")
    return isinstance(requester, dict) and "agent" in requester


def _any_key(*keys: str) -> Any:
    return lambda r: any(k in r for k in keys)


def _string_status(r: dict[str, Any]) -> bool:
    """STU3 `clinicalStatus`/`verificationStatus` are codes; R4 made them concepts."""
    return isinstance(r.get("clinicalStatus"), str) or isinstance(r.get("verificationStatus"), str)


_SHAPES: Final[dict[str, Any]] = {
    "MedicationRequest": _requester_agent,
    "MedicationStatement": _any_key("taken", "reasonNotTaken"),
    "Encounter": _any_key("incomingReferral", "reason"),
    "Composition": _any_key("class"),
    "MessageHeader": _any_key("event", "timestamp", "receiver"),
    "AllergyIntolerance": _string_status,
    "Condition": _string_status,
}

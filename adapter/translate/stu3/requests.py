"""ReferralRequest and ProcedureRequest (STU3) → ServiceRequest (R4).

ReferralRequest: http://hl7.org/fhir/STU3/referralrequest.html
ProcedureRequest: http://hl7.org/fhir/STU3/procedurerequest.html
ServiceRequest: http://hl7.org/fhir/R4/servicerequest.html
"""

from __future__ import annotations

from adapter.translate.stu3.common import (
    JSON,
    REQUEST_STATUS,
    Renames,
    listed,
    move,
    requester,
    status,
)

# A ReferralRequest is a referral by its type; the R4 translators recognise a referral by
# this category (rules.md §5.7), so the up-conversion says so in R4 terms.
REFERRAL_CATEGORY: JSON = {
    "coding": [
        {"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}
    ],
    "text": "STU3 ReferralRequest",
}


# The e-RS STU3 priority extension and its R4 successor: the same codes (ROUTINE, URGENT,
# TWO_WEEK_WAIT, https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1), read by rules.md §5.7.
ERS_PRIORITY = {
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralPriority-1": (
        "https://fhir.nhs.uk/StructureDefinition/Extension-ServiceRequest-Priority"
    ),
}


def referral_request(resource: JSON) -> tuple[JSON, Renames]:
    out = {**resource, "resourceType": "ServiceRequest"}
    renames: Renames = {}
    _ers_priority(out)
    status(out, REQUEST_STATUS)
    requester(out, renames)
    move(out, renames, "recipient", "performer")
    move(out, renames, "context", "encounter")
    _converted_from(out)
    services = out.get("serviceRequested")
    if isinstance(services, list) and services and "code" not in out:
        out["code"] = services[0]
        renames["code"] = "serviceRequested[0]"
    out.pop("serviceRequested", None)
    kinds = [out["type"]] if isinstance(out.get("type"), dict) else []
    out["category"] = [*kinds, REFERRAL_CATEGORY]
    renames["category[0]"] = "type"
    out.pop("type", None)
    return out, renames


def procedure_request(resource: JSON) -> tuple[JSON, Renames]:
    out = {**resource, "resourceType": "ServiceRequest"}
    renames: Renames = {}
    status(out, REQUEST_STATUS)
    requester(out, renames)
    move(out, renames, "context", "encounter")
    if isinstance(out.get("performer"), dict):
        listed(out, "performer")
        renames["performer[0]"] = "performer"
    return out, renames


def _converted_from(out: JSON) -> None:
    """e-RS names the A&G request a referral was converted from in `supportingInfo`
    (`CommunicationRequest/ID`); R4 says that with `basedOn`, so it is added there too."""
    info = out.get("supportingInfo")
    if not isinstance(info, list):
        return
    sources = [
        ref
        for ref in info
        if isinstance(ref, dict)
        and str(ref.get("reference") or "").startswith("CommunicationRequest/")
    ]
    based = out.get("basedOn")
    if sources and (based is None or isinstance(based, list)):
        out["basedOn"] = [*(based or []), *sources]


def _ers_priority(out: JSON) -> None:
    extensions = out.get("extension")
    if not isinstance(extensions, list):
        return
    out["extension"] = [
        {**ext, "url": ERS_PRIORITY[ext["url"]]}
        if isinstance(ext, dict) and ext.get("url") in ERS_PRIORITY
        else ext
        for ext in extensions
    ]

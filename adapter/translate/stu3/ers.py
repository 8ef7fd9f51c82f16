"""e-Referral Service Advice & Guidance (STU3) → R4 (docs/contract.md §1, §11.2).

e-RS API STU3 (https://digital.nhs.uk/developer/api-catalogue/e-referral-service-fhir):
an A&G request is a `CommunicationRequest` (profile eRS-CommunicationRequest-1) and its
conversation is `Communication`s (eRS-Communication-1) `basedOn` it. The rules read an A&G
request as an R4 `ServiceRequest` coded advice-and-guidance (what the e-RS R4 API sends), so
the request is up-converted to that shape: `requester.agent` → `requester`, `recipient` →
`performer`, `status` `suspended`/`cancelled` → `on-hold`/`revoked`.

e-RS wraps its references in extensions (`Extension-PractitionerRole-Reference-1`,
`Extension-HealthcareService-Reference-1`, each with a `valueReference`) and names the
referrer as a contained PractitionerRole; a wrapped reference is read as the reference it
wraps, and a reference to a contained PractitionerRole as that role's organization (the
party rules.md §2 needs: contained resources are not read on their own).
"""

from __future__ import annotations

from typing import Any

from adapter.translate.stu3.common import JSON, REQUEST_STATUS, Renames, status

ERS_PROFILE = "https://fhir.nhs.uk/STU3/StructureDefinition/eRS-"
ERS_AG_STATUS = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-AdviceAndGuidanceStatus-1"
WRAPPERS = (
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-PractitionerRole-Reference-1",
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-HealthcareService-Reference-1",
)

# What makes the up-converted request an A&G request for the rules (mappings/codes.toml
# `advice-and-guidance-codes`, the e-RS R4 code).
ADVICE_CODE: JSON = {
    "coding": [
        {
            "system": "https://fhir.nhs.uk/CodeSystem/servicerequest-code",
            "code": "advice-and-guidance",
            "display": "Advice and Guidance",
        }
    ],
    "text": "e-RS STU3 CommunicationRequest (Advice and Guidance)",
}


def is_ers_advice(resource: JSON) -> bool:
    """An e-RS A&G request: by its e-RS profile or its A&G status category."""
    profiles = (resource.get("meta") or {}).get("profile") if isinstance(resource, dict) else None
    if isinstance(profiles, list) and any(
        isinstance(p, str) and p.startswith(ERS_PROFILE + "CommunicationRequest") for p in profiles
    ):
        return True
    categories = resource.get("category")
    return isinstance(categories, list) and any(
        isinstance(c, dict)
        and any(
            isinstance(coding, dict) and coding.get("system") == ERS_AG_STATUS
            for coding in c.get("coding") or []
        )
        for c in categories
    )


def communication_request(resource: JSON) -> tuple[JSON, Renames]:
    """An e-RS A&G CommunicationRequest → an A&G ServiceRequest; any other STU3
    CommunicationRequest is left as it is (no rule reads it)."""
    if not is_ers_advice(resource):
        return resource, {}
    out = {**resource, "resourceType": "ServiceRequest"}
    renames: Renames = {}
    status(out, REQUEST_STATUS)
    contained = _contained(resource)
    held = out.get("requester")
    if isinstance(held, dict) and ("agent" in held or "onBehalfOf" in held):
        which = "onBehalfOf" if isinstance(held.get("onBehalfOf"), dict) else "agent"
        party = unwrap(held.get(which), contained)
        if party is not None:
            out["requester"] = party
            renames["requester"] = f"requester.{which}"
        else:
            del out["requester"]
    recipients = out.pop("recipient", None)
    if isinstance(recipients, list) and "performer" not in out:
        out["performer"] = [unwrap(r, contained) or r for r in recipients]
        renames["performer"] = "recipient"
    if "code" not in out:
        out["code"] = ADVICE_CODE
    out.pop("sender", None)  # the same referrer as the requester
    return out, renames


def communication(resource: JSON) -> tuple[JSON, Renames]:
    """An STU3 Communication: the same shape as R4 for what is read, except e-RS's wrapped
    `sender` and `recipient` references."""
    out = dict(resource)
    renames: Renames = {}
    contained = _contained(resource)
    sender = out.get("sender")
    unwrapped = unwrap(sender, contained)
    if unwrapped is not None and unwrapped is not sender:
        out["sender"] = unwrapped
        renames["sender"] = "sender.extension[0].valueReference"
    recipients = out.get("recipient")
    if isinstance(recipients, list):
        out["recipient"] = [unwrap(r, contained) or r for r in recipients]
    return out, renames


def unwrap(ref: Any, contained: dict[str, JSON]) -> Any:
    """The reference an e-RS extension wraps (or `ref` itself when it is a plain one); a
    reference to a contained PractitionerRole becomes that role's organization."""
    if not isinstance(ref, dict):
        return None
    if "reference" not in ref and "identifier" not in ref:
        for ext in ref.get("extension") or []:
            if isinstance(ext, dict) and ext.get("url") in WRAPPERS:
                inner = ext.get("valueReference")
                if isinstance(inner, dict):
                    ref = inner
                    break
        else:
            return None
    target = ref.get("reference")
    if isinstance(target, str) and target.startswith("#"):
        role = contained.get(target[1:])
        organisation = role.get("organization") if role else None
        if isinstance(organisation, dict):
            return organisation
    return ref


def _contained(resource: JSON) -> dict[str, JSON]:
    found = resource.get("contained")
    if not isinstance(found, list):
        return {}
    return {
        str(c["id"]): c
        for c in found
        if isinstance(c, dict) and c.get("resourceType") == "PractitionerRole" and "id" in c
    }

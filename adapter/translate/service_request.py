"""ServiceRequest → Request (referrals and test requests, rules.md §5.7, §5.8, §5.10).
Profiles: https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest; e-RS R4
ServiceRequest (https://digital.nhs.uk/developer/api-catalogue/e-referral-service-fhir)."""

from __future__ import annotations

from datetime import datetime

from adapter.facts import Request
from adapter.policy import Policy
from adapter.translate.fields import JSON, Fields
from adapter.translate.outcome import referral_outcome


def service_request_to_request(f: Fields, policy: Policy) -> Request:
    r = f.resource
    ers = f.extension_codes(r, policy.codes.values["ers-priority-extension"], "")
    reasons = f.concepts(r, "reasonCode", "reasonCode")
    reason_refs = f.refs(r, "reasonReference", "reasonReference")
    info = f.refs(r, "supportingInfo", "supportingInfo")
    notes = f.objects(r, "note", "note")
    return Request(
        head=f.head(),
        status=f.code(r, "status", "status"),
        requester=f.ref(r, "requester", "requester"),
        performers=f.refs(r, "performer", "performer"),
        categories=f.concepts(r, "category", "category"),
        code=f.concept(r, "code", "code"),
        priority=f.code(r, "priority", "priority"),
        ers_priority=next((code for _, code in ers if code), None),
        based_on=f.refs(r, "basedOn", "basedOn"),
        reasons=reasons,
        has_reason=bool(reasons or reason_refs),
        has_clinical_info=bool(info or notes),
        authored=f.instant(r, "authoredOn", "authoredOn"),
        patient=f.ref(r, "subject", "subject"),
        encounter=f.ref(r, "encounter", "encounter"),
        outcome=referral_outcome(f, r),
        updated=_last_updated(f, r),
    )


def _last_updated(f: Fields, r: JSON) -> datetime | None:
    """meta.lastUpdated (a wrong `meta` is reported once, by the head)."""
    meta = r.get("meta")
    return f.instant(meta, "lastUpdated", "meta.lastUpdated") if isinstance(meta, dict) else None

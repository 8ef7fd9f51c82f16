"""What a provider did with a referral, as the referral or encounter itself records it
(docs/contract.md §11.1): neutral facts only; whether it is a rejection is the rule's call.

- e-RS (STU3 ReferralRequest, kept through the up-conversion): the extension
  `Extension-eRS-ReferralState-1` with `state` (eRS-ReferralState-1: REJECTED, ...),
  `reason` (APPOINTMENT-CANCELLATION-REASON or eRS-ReviewOutcome-1 codes) and `comments`
  (the provider's words to the referrer). Source: the e-RS API sandbox's rejectReferral and
  recordTriageOutcome responses.
- R4: the core extension `request-statusReason` on a ServiceRequest, a CodeableConcept
  giving why its status is what it is; and `note` authors (the rule asks whether the trust
  wrote one). (A BaRS rejection's reason is the cancelled Encounter's `reasonCode`, read as
  Attendance.reasons.)
"""

from __future__ import annotations

from adapter.facts import Concept, Outcome, Ref
from adapter.translate.fields import JSON, Fields

ERS_STATE = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralState-1"
STATUS_REASON = "http://hl7.org/fhir/StructureDefinition/request-statusReason"


def referral_outcome(f: Fields, r: JSON) -> Outcome | None:
    """The e-RS referral state, else a status reason extension, else None."""
    for index, ext in enumerate(f.objects(r, "extension", "extension")):
        url = ext.get("url")
        path = f"extension[{index}]"
        if url == ERS_STATE:
            return _ers_state(f, ext, path)
        if url == STATUS_REASON:
            reason = f.concept(ext, "valueCodeableConcept", f"{path}.valueCodeableConcept")
            return Outcome(state=None, reason=reason, comments=False, note_authors=_authors(f, r))
    return None


def _ers_state(f: Fields, ext: JSON, path: str) -> Outcome:
    state: str | None = None
    reason: Concept | None = None
    comments = False
    for index, part in enumerate(f.objects(ext, "extension", f"{path}.extension")):
        where = f"{path}.extension[{index}]"
        name = part.get("url")
        if name == "state":
            coding = f.coding(part, "valueCoding", f"{where}.valueCoding")
            state = coding[1] if coding else None
        elif name == "reason":
            coding = f.coding(part, "valueCoding", f"{where}.valueCoding")
            held = f.obj(part, "valueCoding", f"{where}.valueCoding") or {}
            display = f.string(held, "display", f"{where}.valueCoding.display")
            reason = Concept(((*coding, display),)) if coding else None
        elif name == "comments":
            comments = bool((f.string(part, "valueString", f"{where}.valueString") or "").strip())
    return Outcome(state=state, reason=reason, comments=comments)


def _authors(f: Fields, r: JSON) -> tuple[Ref, ...]:
    """Who wrote the notes that have text (Annotation.authorReference)."""
    found: list[Ref] = []
    for index, note in enumerate(f.objects(r, "note", "note")):
        if not str(note.get("text") or "").strip():
            continue
        author = f.ref(note, "authorReference", f"note[{index}].authorReference")
        if author is not None:
            found.append(author)
    return tuple(found)

"""Task, Observation, DocumentReference and CarePlan → the context facts the rules read.
Neutral facts only: whether a document is a fit note or a plan is shared care is read by the
rules (fit-note-issued, shared-care-gp-agreement) with their phrase lists and words.
Profiles: UK Core Task (https://fhir.hl7.org.uk/StructureDefinition/UKCore-Task), Observation,
DocumentReference, CarePlan."""

from __future__ import annotations

from adapter.facts import (
    Concept,
    DocumentFact,
    ObservationFact,
    PlanFact,
    Ref,
    Reply,
    TaskFact,
)
from adapter.policy import Policy
from adapter.translate.fields import JSON, Fields
from adapter.translate.narrative import text_sentences


def task_to_task(f: Fields, policy: Policy) -> TaskFact:
    r = f.resource
    status = f.code(r, "status", "status", required="send the Task status, e.g. accepted")
    period = f.obj(r, "executionPeriod", "executionPeriod") or {}
    when = (
        f.instant(period, "start", "executionPeriod.start")
        or f.instant(r, "lastModified", "lastModified")
        or f.instant(r, "authoredOn", "authoredOn")
    )
    notes = f.objects(r, "note", "note")
    return TaskFact(
        f.head(),
        status or "",
        f.ref(r, "focus", "focus"),
        f.ref(r, "owner", "owner"),
        when,
        business_status=f.concept(r, "businessStatus", "businessStatus"),
        status_reason=f.concept(r, "statusReason", "statusReason"),
        has_note=any(str(n.get("text") or "").strip() for n in notes),
        requester=f.ref(r, "requester", "requester"),
        asks=_asks(f, r),
        patient=f.ref(r, "for", "for"),
    )


def _asks(f: Fields, r: JSON) -> str:
    code = f.concept(r, "code", "code")
    description = f.string(r, "description", "description") or ""
    return f"{code.words() if code else ''} {description.lower()}".strip()


def communication_to_reply(f: Fields, policy: Policy) -> Reply:
    """A Communication (R4; e-RS STU3 up-converted): part of the conversation of the request
    it is `basedOn` (docs/contract.md §11.2)."""
    r = f.resource
    status = f.code(r, "status", "status", required="send the Communication status")
    texts: list[str] = []
    for index, payload in enumerate(f.objects(r, "payload", "payload")):
        text = f.string(payload, "contentString", f"payload[{index}].contentString")
        if text:
            texts.extend(text_sentences(text))
    return Reply(
        f.head(),
        status or "",
        f.refs(r, "basedOn", "basedOn"),
        f.ref(r, "sender", "sender"),
        f.instant(r, "sent", "sent"),
        recipients=f.refs(r, "recipient", "recipient"),
        patient=f.ref(r, "subject", "subject"),
        sentences=tuple(texts),
    )


def observation_to_observation(f: Fields, policy: Policy) -> ObservationFact:
    r = f.resource
    code = f.concept(r, "code", "code")
    if "code" not in r:
        f.missing("code", "send what was observed, e.g. SNOMED 160910001 Unfit for work")
    value = f.concept(r, "valueCodeableConcept", "valueCodeableConcept")
    concepts = tuple(c for c in (code, value) if c is not None)
    return ObservationFact(f.head(), f.ref(r, "encounter", "encounter"), concepts)


def document_reference_to_document(f: Fields, policy: Policy) -> DocumentFact:
    r = f.resource
    kind = f.concept(r, "type", "type")
    context = f.obj(r, "context", "context") or {}
    encounters: tuple[Ref, ...] = f.refs(context, "encounter", "context.encounter")
    return DocumentFact(f.head(), encounters, (kind,) if kind else ())


def care_plan_to_plan(f: Fields, policy: Policy) -> PlanFact:
    return PlanFact(f.head(), f.concepts(f.resource, "category", "category"))


# What a completed fitness-for-work form is, as a document type the fit-note rule reads.
FIT_NOTE_FORM = Concept((), "statement of fitness for work (FitnessForWork questionnaire)")


def questionnaire_response_to_document(f: Fields, policy: Policy) -> DocumentFact:
    """A completed UK Core FitnessForWork QuestionnaireResponse is the fit note itself
    (docs/contract.md §6): read as a document of that kind about its encounter. Profile:
    https://fhir.hl7.org.uk/StructureDefinition/UKCore-QuestionnaireResponse"""
    r = f.resource
    status = f.code(r, "status", "status", required="send the QuestionnaireResponse status")
    form = f.string(r, "questionnaire", "questionnaire") or ""
    forms = policy.codes["fit-note-questionnaires"]
    is_fit_note = status in ("completed", "amended") and any(name in form for name in forms)
    encounter = f.ref(r, "encounter", "encounter")
    kinds = (FIT_NOTE_FORM,) if is_fit_note else ()
    return DocumentFact(f.head(), (encounter,) if encounter else (), kinds)

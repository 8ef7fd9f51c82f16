"""DocumentReference → a Letter (a discharge summary or clinic letter sent as an attachment:
NRL, MESH/Docman, GP Connect Send Document), or otherwise the context fact the fit-note rule
reads. Profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-DocumentReference

A letter's sent time is the document's own time (docs/contract.md §3): the document Bundle's
timestamp when it came in one, else `date` (R4: when the reference was made, i.e. the
letter was filed for the practice), else `indexed` (its STU3 name), else the earliest
`content.attachment.creation`. `context.period` is the care the letter is about, never its
sent time.
"""

from __future__ import annotations

from datetime import datetime

from adapter.facts import DocumentFact, Letter, Ref
from adapter.policy import Policy
from adapter.translate.context import document_reference_to_document
from adapter.translate.fields import JSON, Fields

# DocumentReference.status / docStatus → the Composition status the letter rules read.
_WITHDRAWN = "entered-in-error"


def document_reference_to_fact(
    f: Fields, policy: Policy, sent_at: str | None
) -> Letter | DocumentFact:
    r = f.resource
    kind = f.concept(r, "type", "type")
    codes = policy.codes
    letter_types = codes["discharge-summary-types"] | codes["clinic-letter-types"]
    if kind is None or not kind.has_code(letter_types):
        return document_reference_to_document(f, policy)
    context = f.obj(r, "context", "context") or {}
    encounters: tuple[Ref, ...] = f.refs(context, "encounter", "context.encounter")
    custodian = f.ref(r, "custodian", "custodian")
    return Letter(
        head=f.head(),
        status=_status(f, r),
        types=(kind,),
        encounter=encounters[0] if encounters else None,
        patient=f.ref(r, "subject", "subject"),
        sent=_sent(f, r, sent_at),
        custodian=custodian,
        authors=f.refs(r, "author", "author"),
        sections=(),
        attachment=_content_type(f, r),
    )


def _status(f: Fields, r: JSON) -> str:
    status = f.code(r, "status", "status", required="send the DocumentReference status")
    doc_status = f.code(r, "docStatus", "docStatus")
    if status == _WITHDRAWN or doc_status == _WITHDRAWN:
        return _WITHDRAWN
    return doc_status or "final"  # current or superseded: the letter was filed


def _sent(f: Fields, r: JSON, sent_at: str | None) -> datetime | None:
    bundled = f.instant({"t": sent_at}, "t", "Bundle.timestamp") if sent_at else None
    return (
        bundled
        or f.instant(r, "date", "date")
        or f.instant(r, "indexed", "indexed")
        or min(_creations(f, r), default=None)
    )


def _creations(f: Fields, r: JSON) -> list[datetime]:
    out = []
    for index, content in enumerate(f.objects(r, "content", "content")):
        attachment = f.obj(content, "attachment", f"content[{index}].attachment") or {}
        created = f.instant(attachment, "creation", f"content[{index}].attachment.creation")
        if created is not None:
            out.append(created)
    return out


def _content_type(f: Fields, r: JSON) -> str:
    for index, content in enumerate(f.objects(r, "content", "content")):
        attachment = f.obj(content, "attachment", f"content[{index}].attachment") or {}
        kind = f.string(attachment, "contentType", f"content[{index}].attachment.contentType")
        if kind:
            return kind
    return "an attachment"

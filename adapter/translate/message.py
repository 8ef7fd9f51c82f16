"""MessageHeader → MessageFact, OperationOutcome → OutcomeFact (docs/contract.md §2).

Profiles: ITK3 https://fhir.nhs.uk/STU3/StructureDefinition/ITK-MessageHeader-2 (read after
the STU3 up-conversion, translate/stu3/messages.py), BaRS
https://fhir.nhs.uk/StructureDefinition/BARSMessageHeader-servicerequest-request (R4).
"""

from __future__ import annotations

from datetime import datetime

from adapter.facts import MessageFact, OutcomeFact
from adapter.instants import parse_instant
from adapter.policy import Policy
from adapter.translate.fields import Fields


def message_header_to_message(f: Fields, policy: Policy, bundle_at: str | None) -> MessageFact:
    r = f.resource
    event = f.coding(r, "eventCoding", "eventCoding")
    response = f.obj(r, "response", "response") or {}
    receivers = tuple(
        ref
        for index, destination in enumerate(f.objects(r, "destination", "destination"))
        if (ref := f.ref(destination, "receiver", f"destination[{index}].receiver")) is not None
    )
    return MessageFact(
        head=f.head(),
        message_id=f.string(r, "id", "id"),
        sender=f.ref(r, "sender", "sender"),
        receivers=receivers,
        responsible=f.ref(r, "responsible", "responsible"),
        focus=f.refs(r, "focus", "focus"),
        event=event[1] if event else None,
        sent=f.instant(r, "timestamp", "timestamp") or _instant(bundle_at),
        response_to=f.string(response, "identifier", "response.identifier"),
        response_code=f.code(response, "code", "response.code"),
        response_details=f.ref(response, "details", "response.details"),
    )


def operation_outcome_to_outcome(f: Fields, policy: Policy) -> OutcomeFact:
    codes: set[str] = set()
    for index, issue in enumerate(f.objects(f.resource, "issue", "issue")):
        details = f.concept(issue, "details", f"issue[{index}].details")
        for system, code, _ in details.codings if details else ():
            codes.add(f"{system}|{code}")
    return OutcomeFact(f.head(), frozenset(codes))


def _instant(text: str | None) -> datetime | None:
    return parse_instant(text) if text else None

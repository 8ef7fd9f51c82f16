"""Messages and their routing (docs/contract.md §2): MessageHeader parties as a fallback,
nested document timestamps, ITK3 business acknowledgements (issue 9 point 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapter.engine import check, evaluate
from adapter.model import Location

AS_OF = datetime(2024, 1, 1, tzinfo=UTC)
REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"


def test_itk3_business_ack_puts_the_delivery_time_beside_the_sent_time() -> None:
    case = REAL / "34-itk3-business-ack-delivery-time"
    result = check([case / "ack.xml", case / "message.xml"], as_of=AS_OF)

    summary = next(o for o in result.obligations if o.rule == "discharge-summary-24h")
    assert summary.status == "met"
    assert summary.fulfilled_at == datetime(2015, 2, 17, 10, 0, tzinfo=UTC)  # the sent time
    assert summary.detail == (
        "Discharge summary sent 19 h after discharge and acknowledged by the practice 20.5 h "
        "after discharge (ITK3 business acknowledgement); the limit is 24 h, judged on the "
        "sent time."
    )


def test_without_the_ack_the_detail_names_only_the_sent_time() -> None:
    case = REAL / "34-itk3-business-ack-delivery-time"
    result = check([case / "message.xml"], as_of=AS_OF)

    summary = next(o for o in result.obligations if o.rule == "discharge-summary-24h")
    assert summary.detail == "Discharge summary sent 19 h after discharge; the limit is 24 h."


def message(*entries: dict[str, Any], timestamp: str = "2024-03-02T12:00:00Z") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "message",
        "timestamp": timestamp,
        "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r} for i, r in enumerate(entries)],
    }


HEADER = {
    "resourceType": "MessageHeader",
    "id": "mh",
    "eventCoding": {"code": "servicerequest-request"},
    "sender": {"identifier": {"system": ODS, "value": "RXA"}},
    "destination": [{"receiver": {"identifier": {"system": ODS, "value": "Y12345"}}}],
    "source": {"endpoint": "https://example.org/sender"},
}
ENCOUNTER = {
    "resourceType": "Encounter",
    "id": "e",
    "status": "finished",
    "class": {"code": "IMP"},
    "subject": {"reference": "Patient/p"},
    "period": {"start": "2024-03-01T08:00:00Z", "end": "2024-03-01T10:00:00Z"},
}
PATIENT = {"resourceType": "Patient", "id": "p"}


def test_message_header_names_owner_and_practice_when_the_resources_do_not() -> None:
    result = evaluate([(message(HEADER, ENCOUNTER, PATIENT), Location(file="m"))], as_of=AS_OF)

    [obligation] = result.obligations
    assert (obligation.owner, obligation.owed_to) == ("RXA", "Y12345")


def test_message_header_never_overrides_what_the_resources_say() -> None:
    encounter = {**ENCOUNTER, "serviceProvider": {"identifier": {"system": ODS, "value": "RXB"}}}
    patient = {
        **PATIENT,
        "generalPractitioner": [{"identifier": {"system": ODS, "value": "Y54321"}}],
    }
    result = evaluate([(message(HEADER, encounter, patient), Location(file="m"))], as_of=AS_OF)

    [obligation] = result.obligations
    assert (obligation.owner, obligation.owed_to) == ("RXB", "Y54321")


def test_a_receiver_that_is_not_a_practice_is_not_owed_the_letter() -> None:
    header = {
        **HEADER,
        "destination": [{"receiver": {"identifier": {"system": ODS, "value": "RXC"}}}],
    }
    result = evaluate([(message(header, ENCOUNTER, PATIENT), Location(file="m"))], as_of=AS_OF)

    [obligation] = result.obligations
    assert (obligation.owner, obligation.owed_to) == ("RXA", None)


def test_a_document_nested_in_a_message_keeps_its_own_timestamp() -> None:
    composition = {
        "resourceType": "Composition",
        "id": "c",
        "status": "final",
        "type": {"coding": [{"system": "http://snomed.info/sct", "code": "373942005"}]},
        "subject": {"reference": "Patient/p"},
        "encounter": {"reference": "Encounter/e"},
        "date": "2024-03-01T11:00:00Z",
    }
    document = {
        "resourceType": "Bundle",
        "type": "document",
        "timestamp": "2024-03-01T20:00:00Z",
        "entry": [{"fullUrl": "urn:uuid:c", "resource": composition}],
    }
    bundle = message(HEADER, document, ENCOUNTER, PATIENT, timestamp="2024-03-03T09:00:00Z")
    result = evaluate([(bundle, Location(file="m"))], as_of=AS_OF)

    summary = next(o for o in result.obligations if o.rule == "discharge-summary-24h")
    # the document's timestamp, not the message's (2024-03-03) nor Composition.date
    assert summary.fulfilled_at == datetime(2024, 3, 1, 20, 0, tzinfo=UTC)
    assert (summary.status, summary.owner, summary.owed_to) == ("met", "RXA", "Y12345")


def test_an_ack_with_only_an_infrastructure_code_is_not_delivery(tmp_path: Path) -> None:
    case = REAL / "34-itk3-business-ack-delivery-time"
    path = tmp_path / "ack.xml"
    path.write_text((case / "ack.xml").read_text().replace('"30001"', '"20013"'))
    result = check([path, case / "message.xml"], as_of=AS_OF)

    summary = next(o for o in result.obligations if o.rule == "discharge-summary-24h")
    assert "acknowledged" not in summary.detail

"""e-RS STU3 Advice & Guidance and BaRS responses read (docs/contract.md §1, §11; issue 14
part 5): the e-RS CommunicationRequest up-converted to an A&G ServiceRequest, its wrapped
references, and its conversation of Communications."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapter.engine import evaluate
from adapter.facts import Booking, DocumentFact, Other, Reply, Request
from adapter.ingest import Received, unpack
from adapter.model import Location, Result
from adapter.policy import load_policy
from adapter.translate import translate
from adapter.translate.stu3.ers import communication, communication_request

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
ERS_AG = REAL / "37-stu3-ers-advice-and-guidance-answered"
AS_OF = datetime(2021, 10, 15, tzinfo=UTC)


def request() -> dict[str, Any]:
    found: dict[str, Any] = json.loads((ERS_AG / "request.json").read_text())
    return found


def conversation() -> dict[str, Any]:
    found: dict[str, Any] = json.loads((ERS_AG / "conversation.json").read_text())
    return found


def fact(resource: dict[str, Any]) -> Any:
    [item] = list(unpack(resource, Location(file="in.json")))
    assert isinstance(item, Received)
    translated = translate(item, load_policy())
    assert translated.fact is not None, translated.issues
    return translated.fact


def run(*resources: dict[str, Any]) -> Result:
    return evaluate(
        [(r, Location(file=f"in{i}.json")) for i, r in enumerate(resources)], as_of=AS_OF
    )  # type: ignore[arg-type]


def test_an_ers_request_is_an_advice_request_from_its_referrers_practice() -> None:
    found = fact(request())
    assert isinstance(found, Request)
    assert found.head.key == "CommunicationRequest/000000070000"  # keeps its key as sent
    assert found.requester is not None and found.requester.value == "Y01234"
    assert found.code is not None
    assert found.code.has_code(
        frozenset({"https://fhir.nhs.uk/CodeSystem/servicerequest-code|advice-and-guidance"})
    )
    [performer] = found.performers
    assert (performer.system, performer.value) == ("http://fhir.nhs.net/Id/ers-service", "11014")


def test_a_communication_request_that_is_not_ers_advice_is_left_as_it_is() -> None:
    plain = {
        "resourceType": "CommunicationRequest",
        "id": "cr-1",
        "meta": {
            "profile": [
                "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-CommunicationRequest-1"
            ]
        },
        "status": "active",
    }
    assert communication_request(plain) == (plain, {})
    assert isinstance(fact(plain), Other)
    assert run(plain).obligations == []


def test_a_wrapped_sender_is_read_as_the_reference_it_wraps() -> None:
    [message] = [e["resource"] for e in conversation()["entry"] if e["resource"]["id"] == "70001"]
    out, renames = communication(message)
    assert out["sender"] == {
        "reference": "PractitionerRole/021600556514.RZZ.SERVICE-PROVIDER-CLINICIAN"
    }
    assert renames == {"sender": "sender.extension[0].valueReference"}
    reply = fact({**message, "meta": message["meta"]})
    assert isinstance(reply, Reply)
    assert reply.sender is not None and reply.sender.reference is not None


def test_a_request_with_no_resolvable_requester_names_no_practice_and_owes_nothing() -> None:
    unnamed = request()
    unnamed["requester"] = {"agent": {"extension": [{"url": "https://example.org/other"}]}}
    out, _ = communication_request(unnamed)
    assert "requester" not in out
    assert run(unnamed, conversation()).obligations == []


def test_a_bad_authored_on_is_located_at_the_stu3_field() -> None:
    bad = request()
    bad["authoredOn"] = 20210923
    result = run(bad)
    assert result.counts.rejected == 1
    [issue] = [i for i in result.issues if i.severity == "error"]
    assert issue.location.field == "authoredOn"


def test_the_answer_must_come_from_the_trust_not_the_practice() -> None:
    """Only the referrer's question in the conversation: not answered (owner unknown, as the
    request names a service, not a trust); with the answer's sender turned into the practice,
    the same."""
    talk = copy.deepcopy(conversation())
    for entry in talk["entry"]:
        r = entry["resource"]
        if r["resourceType"] == "PractitionerRole" and "SERVICE-PROVIDER" in r["id"]:
            r["organization"]["identifier"]["value"] = "Y01234"
    [obligation] = run(request(), talk).obligations
    assert obligation.status == "not-assessable"
    assert obligation.owner is None


BARS = Path(__file__).resolve().parents[2] / "shared" / "real-traffic" / "bars-r4-examples"
MUTUAL_AID = (
    BARS / "REFRESP02- Referral Service Request Reponse Short - CAD Mutual Aid Rejection.xml"
)


def test_a_bars_rejection_between_ambulance_services_owes_nothing() -> None:
    """The real BaRS rejection (REFRESP02: an ambulance trust cancels its Encounter for a CAD
    mutual-aid request, reason coded rejected-reasons-bars RRNA, no advice) answers a referral
    no practice made: no rejection obligation, rather than a doubtful breach (contract §2)."""
    from adapter.engine import check

    result = check([MUTUAL_AID], as_of=AS_OF)
    assert result.counts.rejected == 0
    assert [o for o in result.obligations if o.rule == "referral-rejection-reasoned"] == []


def test_ers_referral_state_other_than_rejected_or_returned_is_no_rejection() -> None:
    converted = json.loads(
        (REAL / "40-stu3-ers-returned-to-referrer-with-advice" / "referral.json").read_text()
    )
    for ext in converted["extension"]:
        if ext["url"].endswith("ReferralState-1"):
            ext["extension"][1]["valueCoding"]["code"] = (
                "PROVIDER_CONVERTED_ADVICE_AND_GUIDANCE_ADMIN_TO_REFER"
            )
    assert [o.rule for o in run(converted).obligations] == []


# -- reported beside (contract §11.5) -------------------------------------------------------


def converted_referral() -> dict[str, Any]:
    """An e-RS referral converted from the A&G request of case 37, as the e-RS sandbox's
    retrieveReferralRequest/ConvertedFromAdviceAndGuidance names its source (supportingInfo)."""
    return {
        "resourceType": "ReferralRequest",
        "id": "000000070000",
        "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/eRS-ReferralRequest-1"]},
        "status": "active",
        "intent": "plan",
        "subject": {
            "identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990011117"}
        },
        "supportingInfo": [{"reference": "CommunicationRequest/000000070000"}],
    }


def test_an_ers_request_converted_to_a_referral_is_counted_with_the_practice_told() -> None:
    result = run(request(), conversation(), converted_referral())
    advice = result.to_json()["summary"]["reported_beside"]["advice_and_guidance"]
    assert advice == {
        "requests": 1,
        "converted_to_referral": 1,
        "converted_practice_told": 1,
        "by_trust": {
            "RZZ": {"requests": 1, "converted_to_referral": 1, "converted_practice_told": 1}
        },
    }


def test_a_converted_request_with_no_word_from_the_trust_is_not_told() -> None:
    only_question = copy.deepcopy(conversation())
    only_question["entry"] = [e for e in only_question["entry"] if e["resource"]["id"] != "70001"]
    result = run(request(), only_question, converted_referral())
    # no answer and a request addressed to a service: the trust is unknown
    advice = result.to_json()["summary"]["reported_beside"]["advice_and_guidance"]
    assert (advice["converted_to_referral"], advice["converted_practice_told"]) == (1, 0)
    assert list(advice["by_trust"]) == ["unknown"]


def test_nothing_to_report_leaves_the_summary_as_rules_md_has_it() -> None:
    plain = {"resourceType": "Patient", "id": "p"}
    assert set(run(plain).to_json()["summary"]) == {
        "obligations",
        "met",
        "breached",
        "pending",
        "not-assessable",
    }


def test_rejections_by_trust_and_reason_are_the_same_in_every_partitioning() -> None:
    from adapter.engine import check

    cases = (
        Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "referral-rejection-reasoned"
    )
    paths = [
        cases / "10-ers-stu3-rejected-without-comments-breached",
        REAL / "40-stu3-ers-returned-to-referrer-with-advice",
    ]
    one = check(paths, as_of=AS_OF, partitions=1).reported
    assert one["rejections"] == {
        "rejections": 2,
        "with_advice": 1,
        "advice_and_refer": 1,
        "by_trust": {
            "RYY": {
                "rejections": 1,
                "with_advice": 0,
                "advice_and_refer": 0,
                "by_reason": {"SERVICE_INAPPROPRIATE": 1},
            },
            "RZZ": {
                "rejections": 1,
                "with_advice": 1,
                "advice_and_refer": 1,
                "by_reason": {"RETURN_TO_REFERRER_WITH_ADVICE": 1},
            },
        },
    }
    assert check(paths, as_of=AS_OF, partitions=4).reported == one


# -- e-RS Appointment and DocumentReference (STU3) ------------------------------------------


def test_an_ers_appointment_names_the_referral_it_was_booked_on() -> None:
    booked = {
        "resourceType": "Appointment",
        "id": "70009",
        "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/eRS-Appointment-1"]},
        "status": "booked",
        "start": "2024-05-20T09:00:00Z",
        "incomingReferral": [{"reference": "ReferralRequest/000000070000/_history/10"}],
        "reason": [{"text": "Chest pain"}],
        "participant": [
            {
                "actor": {
                    "identifier": {
                        "system": "https://fhir.nhs.uk/Id/nhs-number",
                        "value": "9990022224",
                    }
                },
                "status": "accepted",
            }
        ],
    }
    found = fact(booked)
    assert isinstance(found, Booking)
    [referral] = found.based_on
    assert referral.reference == "ReferralRequest/000000070000/_history/10"


def test_an_stu3_document_reference_with_one_encounter_is_read() -> None:
    document = {
        "resourceType": "DocumentReference",
        "id": "DocumentReference-70000",
        "meta": {
            "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/eRS-DocumentReference-1"]
        },
        "status": "current",
        "type": {
            "coding": [
                {
                    "system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-AttachmentType-1",
                    "code": "REFERRER",
                }
            ]
        },
        "class": {"text": "Referral letter"},
        "indexed": "2021-10-28T13:22:43.266Z",
        "context": {"encounter": {"reference": "Encounter/e-1"}},
        "content": [
            {
                "attachment": {
                    "contentType": "image/png",
                    "url": "Binary/3816ca48",
                    "title": "upload.png",
                }
            }
        ],
    }
    found = fact(document)
    assert isinstance(found, DocumentFact)
    assert [e.reference for e in found.encounters] == ["Encounter/e-1"]


def test_a_wrong_meta_is_reported_once() -> None:
    """meta.lastUpdated dates an e-RS rejection; a `meta` that is not an object is one
    problem, named once (by the head), not once per field read from it."""
    result = run({"resourceType": "ServiceRequest", "id": "x", "status": "active", "meta": "oops"})
    assert result.counts.rejected == 1
    assert [i.location.field for i in result.issues if i.severity == "error"] == ["meta"]

"""STU3 read as R4 (docs/contract.md §1): version detection, up-conversion, STU3 paths in
located issues, full validation that never crashes (issue 9 points 1 and 8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapter.engine import check, evaluate
from adapter.facts import MedicationOrder, Request
from adapter.ingest import Received, unpack
from adapter.model import Location, Result
from adapter.policy import load_policy
from adapter.translate import translate
from adapter.version import bundle_release, release_of

AS_OF = datetime(2024, 1, 1, tzinfo=UTC)
STU3 = (
    Path(__file__).resolve().parents[1].parent / "shared" / "real-traffic" / "transfer-of-care-stu3"
)
PROFILE = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-ITK-Encounter-1"
REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def run(resource: dict[str, Any], validate: str = "rules") -> Result:
    return evaluate([(resource, Location(file="in.json"))], as_of=AS_OF, validate=validate)  # type: ignore[arg-type]


def received(resource: dict[str, Any]) -> Received:
    [item] = list(unpack(resource, Location(file="in.json")))
    assert isinstance(item, Received)
    return item


# -- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "release"),
    [
        ({"resourceType": "ReferralRequest"}, "STU3"),
        ({"resourceType": "Encounter", "meta": {"profile": [PROFILE]}}, "STU3"),
        (
            {
                "resourceType": "Patient",
                "meta": {
                    "profile": ["https://fhir.hl7.org.uk/StructureDefinition/CareConnect-Patient-1"]
                },
            },
            "STU3",
        ),
        ({"resourceType": "MedicationRequest", "requester": {"agent": {}}}, "STU3"),
        ({"resourceType": "MessageHeader", "event": {"code": "x"}}, "STU3"),
        ({"resourceType": "CapabilityStatement", "fhirVersion": "3.0.2"}, "STU3"),
        ({"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"}, "R4"),
        ({"resourceType": "MedicationOrder"}, "DSTU2"),
        ({"resourceType": "Transport"}, "R5"),
        ({"resourceType": "Encounter", "status": "finished", "class": {"code": "IMP"}}, None),
        (
            {
                "resourceType": "Patient",
                "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
            },
            None,
        ),
        ({"resourceType": {"not": "a string"}}, None),
    ],
)
def test_release_is_read_from_the_resources_own_markers(
    resource: dict[str, Any], release: str | None
) -> None:
    assert release_of(resource) == release


def test_a_bundle_takes_the_release_its_entries_show_and_they_inherit_it() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "message",
        "entry": [
            {"resource": {"resourceType": "Organization", "id": "o"}},
            {"resource": {"resourceType": "ReferralRequest", "id": "r"}},
        ],
    }
    assert bundle_release(bundle) == "STU3"
    items = list(unpack(bundle, Location(file="b.json")))
    assert [i.release for i in items if isinstance(i, Received)] == ["STU3", "STU3"]


def test_dstu2_and_r5_resources_are_rejected_with_a_clear_message() -> None:
    result = run(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"resource": {"resourceType": "MedicationOrder", "id": "m"}},
                {"resource": {"resourceType": "Transport", "id": "t"}},
                {
                    "resource": {
                        "resourceType": "Encounter",
                        "id": "e",
                        "status": "planned",
                        "class": {"code": "AMB"},
                    }
                },
            ],
        }
    )
    assert result.counts.to_json() == {"received": 3, "accepted": 1, "rejected": 2}
    assert [i.message for i in result.issues] == [
        "in.json entry[0] MedicationOrder/m: MedicationOrder is written in FHIR DSTU2 (1.0); "
        "only FHIR R4 and STU3 are read (docs/contract.md §1); send it as R4",
        "in.json entry[1] Transport/t: Transport is written in FHIR R5; only FHIR R4 and STU3 "
        "are read (docs/contract.md §1); send it as R4",
    ]


# -- up-conversion ---------------------------------------------------------------------------


def test_stu3_referral_request_is_read_as_a_referral_with_its_recipient_and_requester() -> None:
    item = received(
        {
            "resourceType": "ReferralRequest",
            "id": "ref-1",
            "status": "active",
            "intent": "order",
            "priority": "urgent",
            "subject": {"reference": "Patient/p"},
            "context": {"reference": "Encounter/e"},
            "requester": {
                "agent": {"reference": "Practitioner/dr"},
                "onBehalfOf": {"reference": "Organization/trust"},
            },
            "recipient": [{"reference": "Organization/gp"}],
            "authoredOn": "2024-03-01T10:00:00Z",
        }
    )
    fact = translate(item, load_policy()).fact
    assert isinstance(fact, Request)
    assert fact.head.key == "ReferralRequest/ref-1"
    assert fact.requester is not None and fact.requester.reference == "Organization/trust"
    assert [p.reference for p in fact.performers] == ["Organization/gp"]
    assert fact.encounter is not None and fact.encounter.reference == "Encounter/e"
    assert fact.priority == "urgent"
    assert any(c.has_code(frozenset({"http://snomed.info/sct|3457005"})) for c in fact.categories)


def test_stu3_medication_request_dose_and_requester_agent_are_read_as_r4() -> None:
    item = received(
        {
            "resourceType": "MedicationRequest",
            "id": "mr",
            "status": "active",
            "intent": "order",
            "category": {"coding": [{"code": "discharge"}]},
            "requester": {"agent": {"reference": "Organization/trust"}},
            "dosageInstruction": [
                {
                    "doseQuantity": {"value": 1, "unit": "tablet"},
                    "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                }
            ],
            "dispenseRequest": {"quantity": {"value": 28, "unit": "tablet"}},
        }
    )
    fact = translate(item, load_policy()).fact
    assert isinstance(fact, MedicationOrder)
    assert fact.requester is not None and fact.requester.reference == "Organization/trust"
    assert [c.codings[0][1] for c in fact.categories] == ["discharge"]
    assert (fact.supply.days, fact.supply.how) == (14.0, "quantity ÷ daily dose")


def test_a_problem_in_an_up_converted_field_is_located_at_the_stu3_field_as_sent() -> None:
    result = run(
        {
            "resourceType": "ReferralRequest",
            "id": "r",
            "status": "active",
            "intent": "order",
            "requester": {"agent": {"reference": 42}},
            "recipient": "Organization/gp",
        }
    )
    assert [(i.location.field, i.message) for i in result.issues if i.severity == "error"] == [
        (
            "requester.agent.reference",
            "in.json ReferralRequest/r: requester.agent.reference must be a string (got 42)",
        ),
        (
            "recipient",
            "in.json ReferralRequest/r: recipient must be an array (0..* in FHIR R4) "
            "(got 'Organization/gp')",
        ),
    ]


def test_an_r4_resource_with_an_inherited_stu3_hint_reads_the_same() -> None:
    encounter = {
        "resourceType": "Encounter",
        "id": "e",
        "status": "finished",
        "class": {"code": "IMP"},
        "reasonCode": [{"text": "fall"}],
        "basedOn": [{"reference": "ServiceRequest/s"}],
    }
    r4 = translate(Received(encounter, Location(resource="Encounter/e")), load_policy())
    stu3 = translate(
        Received(encounter, Location(resource="Encounter/e"), release="STU3"), load_policy()
    )
    assert r4 == stu3


# -- the information issue, full validation ----------------------------------------------------


def test_each_file_read_as_stu3_says_so_once() -> None:
    path = STU3 / "fhirdocuments" / "ITK-EDIS-Example-1.xml"
    result = check([path, path], as_of=AS_OF)

    notices = [i for i in result.issues if i.severity == "information"]
    assert [(i.code, i.location.file, i.message) for i in notices] == [
        (
            "informational",
            str(path),
            f"{path}: read as FHIR STU3 (3.0) and up-converted to R4 for the rules "
            "(docs/contract.md §1)",
        )
    ]


def test_full_validation_of_stu3_uses_the_stu3_definitions() -> None:
    result = check(
        [STU3 / "fhirdocuments" / "ITK-EDIS-Example-1.xml"], as_of=AS_OF, validate="full"
    )
    assert result.counts.to_json() == {"received": 34, "accepted": 34, "rejected": 0}


@pytest.mark.parametrize("validate", ["rules", "full"])
def test_parameters_holding_an_stu3_referral_request_never_crashes(validate: str) -> None:
    result = run(
        {
            "resourceType": "Parameters",
            "id": "p",
            "parameter": [
                {"name": "r", "resource": {"resourceType": "ReferralRequest", "id": "r"}}
            ],
        },
        validate,
    )
    if validate == "rules":
        assert result.counts.to_json() == {"received": 1, "accepted": 1, "rejected": 0}
        return
    assert result.counts.to_json() == {"received": 1, "accepted": 0, "rejected": 1}
    [issue] = result.issues
    assert (issue.location.field, issue.message) == (
        "parameter[0].resource",
        "in.json Parameters/p: parameter[0].resource holds a 'ReferralRequest' resource, a type "
        "FHIR R4 does not have; send ServiceRequest instead",
    )


def test_a_contained_procedure_request_is_rejected_in_full_mode_and_the_run_goes_on() -> None:
    result = run(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {
                    "resource": {
                        "resourceType": "ServiceRequest",
                        "id": "s",
                        "status": "active",
                        "intent": "order",
                        "subject": {"reference": "Patient/p"},
                        "contained": [{"resourceType": "ProcedureRequest", "id": "pr"}],
                    }
                },
                {"resource": {"resourceType": "Patient", "id": "p"}},
            ],
        },
        "full",
    )
    assert result.counts.to_json() == {"received": 2, "accepted": 1, "rejected": 1}
    [issue] = result.issues
    assert issue.location.field == "contained[0]"
    assert "'ProcedureRequest' resource, a type FHIR R4 does not have" in issue.message


def test_ers_stu3_referral_request_priority_extension_is_read_as_the_r4_one() -> None:
    resource = json.loads((REAL / "35-stu3-ers-referral-request" / "referral.json").read_text())
    fact = translate(received(resource), load_policy()).fact

    assert isinstance(fact, Request)
    assert fact.head.key == "ReferralRequest/000000098888"
    assert fact.ers_priority == "ROUTINE"
    assert fact.requester is None  # e-RS returns the referral without its referrer

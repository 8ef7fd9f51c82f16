"""Which medicines are discharge medicines (docs/contract.md §7): by category, by the
discharge document or List they are listed in, never by an outpatient letter, never when
stopped. Each test runs the real engine on a small Bundle written to a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapter.engine import check
from adapter.instants import parse_instant

SNOMED = "http://snomed.info/sct"
AS_OF = parse_instant("2024-03-20T12:00:00Z")
CAST: list[dict[str, Any]] = [
    {
        "resourceType": "Patient",
        "id": "pat-1",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990011117"}],
        "generalPractitioner": [{"reference": "Organization/gp"}],
    },
    {
        "resourceType": "Organization",
        "id": "gp",
        "identifier": [
            {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y01234"}
        ],
    },
    {
        "resourceType": "Organization",
        "id": "trust",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RZZ"}],
    },
]


def encounter(klass: str) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": "enc-1",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": klass},
        "subject": {"reference": "Patient/pat-1"},
        "serviceProvider": {"reference": "Organization/trust"},
        "period": {"start": "2024-03-01T09:00:00Z", "end": "2024-03-01T12:00:00Z"},
    }


def letter(type_code: str, *entries: str, heading: str = "933361000000108") -> dict[str, Any]:
    return {
        "resourceType": "Composition",
        "id": "letter-1",
        "status": "final",
        "type": {"coding": [{"system": SNOMED, "code": type_code}]},
        "subject": {"reference": "Patient/pat-1"},
        "encounter": {"reference": "Encounter/enc-1"},
        "date": "2024-03-01T16:00:00Z",
        "custodian": {"reference": "Organization/trust"},
        "section": [
            {
                "code": {"coding": [{"system": SNOMED, "code": heading}]},
                "entry": [{"reference": e} for e in entries],
            }
        ],
    }


def statement(sid: str = "ms-1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": sid,
        "status": "active",
        "medicationCodeableConcept": {"text": "Ramipril 2.5mg tablets"},
        "subject": {"reference": "Patient/pat-1"},
        **extra,
    }


def medicine_outcomes(tmp_path: Path, *resources: dict[str, Any]) -> dict[str, str]:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in [*CAST, *resources]],
    }
    path = tmp_path / "input.json"
    path.write_text(json.dumps(bundle))
    result = check([path], as_of=AS_OF)
    assert result.counts.rejected == 0, result.issues
    return {o.subject: o.status for o in result.obligations if o.rule == "discharge-medication-7d"}


def test_a_statement_in_a_discharge_summary_medications_section_is_a_subject(
    tmp_path: Path,
) -> None:
    got = medicine_outcomes(
        tmp_path, encounter("IMP"), letter("373942005", "MedicationStatement/ms-1"), statement()
    )
    assert got == {"MedicationStatement/ms-1": "not-assessable"}


def test_a_letter_about_an_inpatient_stay_is_a_discharge_document_whatever_its_type(
    tmp_path: Path,
) -> None:
    got = medicine_outcomes(
        tmp_path, encounter("IMP"), letter("371531000", "MedicationStatement/ms-1"), statement()
    )
    assert got == {"MedicationStatement/ms-1": "not-assessable"}


def test_the_medicines_in_an_outpatient_letter_owe_nothing(tmp_path: Path) -> None:
    got = medicine_outcomes(
        tmp_path, encounter("AMB"), letter("371531000", "MedicationStatement/ms-1"), statement()
    )
    assert got == {}


def test_a_statement_outside_any_medications_section_owes_nothing(tmp_path: Path) -> None:
    got = medicine_outcomes(
        tmp_path,
        encounter("IMP"),
        letter("373942005", "MedicationStatement/ms-1", heading="887181000000106"),
        statement(),
    )
    assert got == {}


def test_a_stopped_change_status_extension_is_no_subject(tmp_path: Path) -> None:
    change = {
        "url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationChangeSummary-1",
        "extension": [{"url": "status", "valueCode": "Discontinued"}],
    }
    got = medicine_outcomes(
        tmp_path,
        encounter("IMP"),
        letter("373942005", "MedicationStatement/ms-1"),
        statement(extension=[change]),
    )
    assert got == {}


def test_not_taken_stopped_and_community_statements_are_no_subjects(tmp_path: Path) -> None:
    community = {"coding": [{"code": "community"}]}
    got = medicine_outcomes(
        tmp_path,
        encounter("IMP"),
        letter(
            "373942005",
            "MedicationStatement/ms-1",
            "MedicationStatement/ms-2",
            "MedicationStatement/ms-3",
        ),
        statement("ms-1", status="not-taken"),
        statement("ms-2", status="stopped"),
        statement("ms-3", category=community),
    )
    assert got == {}


def test_a_list_coded_as_discharge_medications_is_enough_and_deleted_entries_are_not(
    tmp_path: Path,
) -> None:
    listed = {
        "resourceType": "List",
        "id": "list-1",
        "status": "current",
        "mode": "snapshot",
        "code": {"coding": [{"system": "http://loinc.org", "code": "10183-2"}]},
        "entry": [
            {"item": {"reference": "MedicationStatement/ms-1"}},
            {"item": {"reference": "MedicationStatement/ms-2"}, "deleted": True},
        ],
    }
    got = medicine_outcomes(
        tmp_path,
        listed,
        statement("ms-1", context={"reference": "Encounter/enc-1"}),
        statement("ms-2"),
        encounter("IMP"),
    )
    assert got == {"MedicationStatement/ms-1": "not-assessable"}


def test_a_statement_takes_the_supply_of_the_order_it_is_based_on(tmp_path: Path) -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"code": "inpatient"}]}],
        "subject": {"reference": "Patient/pat-1"},
        "requester": {"reference": "Organization/trust"},
        "dispenseRequest": {"expectedSupplyDuration": {"value": 3, "code": "d"}},
    }
    got = medicine_outcomes(
        tmp_path,
        encounter("IMP"),
        letter("373942005", "MedicationStatement/ms-1"),
        statement(basedOn=[{"reference": "MedicationRequest/mr-1"}]),
        order,
    )
    assert got == {"MedicationStatement/ms-1": "breached"}


def test_an_inpatient_order_not_listed_anywhere_is_no_discharge_medicine(tmp_path: Path) -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"code": "inpatient"}]}],
        "subject": {"reference": "Patient/pat-1"},
        "encounter": {"reference": "Encounter/enc-1"},
        "requester": {"reference": "Organization/trust"},
        "dispenseRequest": {"expectedSupplyDuration": {"value": 3, "code": "d"}},
    }
    assert medicine_outcomes(tmp_path, encounter("IMP"), order) == {}


def test_an_order_listed_in_a_discharge_summary_is_a_subject_whatever_its_category(
    tmp_path: Path,
) -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"code": "inpatient"}]}],
        "subject": {"reference": "Patient/pat-1"},
        "dispenseRequest": {"expectedSupplyDuration": {"value": 14, "code": "d"}},
    }
    got = medicine_outcomes(
        tmp_path, encounter("IMP"), letter("373942005", "MedicationRequest/mr-1"), order
    )
    assert got == {"MedicationRequest/mr-1": "met"}


def test_a_short_supply_whose_trust_is_unknown_is_never_breached(tmp_path: Path) -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"code": "discharge"}]}],
        "subject": {"reference": "Patient/pat-1"},
        "dispenseRequest": {"expectedSupplyDuration": {"value": 3, "code": "d"}},
    }
    assert medicine_outcomes(tmp_path, order) == {"MedicationRequest/mr-1": "not-assessable"}


def test_an_stu3_statement_taken_n_reads_as_not_taken_and_is_no_subject(tmp_path: Path) -> None:
    from adapter.translate.stu3 import up_convert

    stu3 = statement(taken="n")
    assert up_convert(stu3)[0]["status"] == "not-taken"
    assert up_convert(statement(taken="y"))[0]["status"] == "active"


def test_an_emergency_department_discharge_summary_lists_no_discharge_supply(
    tmp_path: Path,
) -> None:
    got = medicine_outcomes(
        tmp_path, encounter("EMER"), letter("373942005", "MedicationStatement/ms-1"), statement()
    )
    assert got == {}


def test_a_discharge_summary_whose_encounter_was_not_sent_is_a_discharge_document(
    tmp_path: Path,
) -> None:
    got = medicine_outcomes(tmp_path, letter("373942005", "MedicationStatement/ms-1"), statement())
    assert got == {"MedicationStatement/ms-1": "not-assessable"}


def test_a_completed_statement_or_listed_order_is_no_going_home_supply(tmp_path: Path) -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "completed",
        "intent": "order",
        "category": [{"coding": [{"code": "inpatient"}]}],
        "subject": {"reference": "Patient/pat-1"},
        "dispenseRequest": {"expectedSupplyDuration": {"value": 3, "code": "d"}},
    }
    got = medicine_outcomes(
        tmp_path,
        encounter("IMP"),
        letter("373942005", "MedicationRequest/mr-1", "MedicationStatement/ms-1"),
        order,
        statement(status="completed"),
    )
    assert got == {}

"""Issue 9 points 3, 4, 6, 7 in small real pieces (docs/contract.md §3–§6): who owes a letter,
headings read in their own code system, identifiers and references as found in the wild, the
precision of dates, and the SNOMED check digit. The golden cases in fixtures/real/80-90 cover
the same ground end to end; these pin each behaviour with its exact message."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapter.engine import check
from adapter.facts import Concept, Head, Organisation
from adapter.model import Location, Result
from adapter.policy import load_policy
from adapter.providers import provider_class
from adapter.rules.base import UNKNOWN_OWNER
from adapter.scopes import bundle_scope, plain, scoped, widening
from adapter.translate.composition import heading_of
from adapter.verhoeff import snomed_id_valid, verhoeff_valid

AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
SNOMED = "http://snomed.info/sct"
UKCORE_HEADINGS = "https://fhir.hl7.org.uk/CodeSystem/UKCore-RecordStandardHeadings"
POLICY = load_policy()


def org(ident: str, ods: str | None, *, type_text: str | None = None, name: str | None = None):
    resource: dict[str, Any] = {"resourceType": "Organization", "id": ident}
    if ods:
        resource["identifier"] = [{"system": ODS, "value": ods}]
    if type_text:
        resource["type"] = [{"text": type_text}]
    if name:
        resource["name"] = name
    return resource


def patient(practice: str = "Organization/gp") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990011117"}],
        "generalPractitioner": [{"reference": practice}],
    }


def stay(provider: str | None, *, klass: str = "IMP", end: str = "2024-03-01T10:00:00Z", **more):
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": klass},
        "subject": {"reference": "Patient/p1"},
        "period": {"start": "2024-02-28T10:00:00Z", "end": end},
        **more,
    }
    if provider:
        resource["serviceProvider"] = {"reference": provider}
    return resource


def summary(date: str, *, sections: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "resourceType": "Composition",
        "id": "c1",
        "status": "final",
        "type": {"coding": [{"system": SNOMED, "code": "373942005"}]},
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        "custodian": {"reference": "Organization/trust"},
        "date": date,
        "title": "Discharge summary",
        "section": sections or [],
    }


def run(tmp_path: Path, *resources: dict[str, Any], name: str = "in.json") -> Result:
    path = tmp_path / name
    path.write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": r} for r in resources],
            }
        )
    )
    return check([path], as_of=AS_OF)


def statuses(result: Result, rule: str) -> list[tuple[str, str | None]]:
    return [(o.status, o.owner) for o in result.obligations if o.rule == rule]


# -- §4 who owes it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ods", "type_text", "name", "expected"),
    [
        ("RYE", None, None, "ambulance"),
        ("R9E", None, "South Central Ambulance Service NHS Foundation Trust", "ambulance"),
        ("NL3", "NHS 111 provider", None, "111-cas"),
        ("FA123", None, None, "pharmacy"),
        ("Y01234", None, None, "practice"),
        ("RZZ", "Mental Health Trust", None, "mental-health"),
        ("RZZ", None, None, "acute"),
        ("NT4", None, None, "other"),
        # a name is read only for ambulance, 111/CAS and pharmacy: never "surgery" in a trust
        ("RZZ", None, "Department of General Practice and Surgery", "acute"),
    ],
)
def test_provider_class_from_type_words_name_and_ods_shape(ods, type_text, name, expected):
    types = (Concept((), type_text),) if type_text else ()
    organisation = Organisation(
        Head("Organization", "Organization/x", None, (), Location()), ods, types, name
    )
    assert provider_class(organisation, ods, POLICY) == expected


def test_an_ambulance_trust_encounter_owes_no_discharge_summary(tmp_path: Path) -> None:
    result = run(
        tmp_path, org("amb", "RX6"), org("gp", "Y01234"), patient(), stay("Organization/amb")
    )
    assert result.obligations == []


def test_a_practice_consultation_owes_no_clinic_letter(tmp_path: Path) -> None:
    other = org("gp2", "Y05678")
    result = run(
        tmp_path, other, org("gp", "Y01234"), patient(), stay("Organization/gp2", klass="AMB")
    )
    assert result.obligations == []


def test_an_urgent_ambulance_call_owes_no_letter(tmp_path: Path) -> None:
    call = stay(
        "Organization/trust",
        klass="EMER",
        type=[{"coding": [{"system": SNOMED, "code": "239471000000109"}]}],
    )
    result = run(tmp_path, org("trust", "RZZ"), org("gp", "Y01234"), patient(), call)
    assert result.obligations == []


def test_an_unknown_owner_is_not_assessable_and_says_so(tmp_path: Path) -> None:
    result = run(tmp_path, org("gp", "Y01234"), patient(), stay(None))
    [found] = result.obligations
    assert (found.status, found.owner, found.due, found.evidence) == (
        "not-assessable",
        None,
        None,
        (),
    )
    # Only the clock would have decided it: the sentence names no instant (contract §8).
    assert found.detail == (
        f"{UNKNOWN_OWNER} What the data shows: No discharge summary yet; due by "
        "2024-03-02 10:00 UTC."
    )


def test_the_custodian_trust_owes_when_the_encounter_names_no_provider(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        org("trust", "RZZ"),
        org("gp", "Y01234"),
        patient(),
        stay(None),
        summary("2024-03-01T20:00:00Z"),
    )
    assert statuses(result, "discharge-summary-24h") == [("met", "RZZ")]


# -- §3 headings in their own code system ----------------------------------------------------


@pytest.mark.parametrize(
    ("codings", "expected"),
    [
        ([(SNOMED, "1077931000000102")], "contact-for-further-information"),
        ([(UKCORE_HEADINGS, "contact-for-further-information")], "contact-for-further-information"),
        ([(None, "contact-for-further-information")], "contact-for-further-information"),
        ([(SNOMED, "887201000000105")], "plan-and-requested-actions"),
        # PRSB person completing record: its contact details name the responsible clinician
        ([(SNOMED, "887231000000104")], "contact-for-further-information"),
        # the code of another system is not the heading, even when it is spelt the same
        (
            [("https://example.org/headings", "contact-for-further-information")],
            "https://example.org/headings|contact-for-further-information",
        ),
        # any coding may carry it, not only the first
        (
            [(SNOMED, "887181000000106"), (SNOMED, "1077931000000102")],
            "contact-for-further-information",
        ),
    ],
)
def test_a_heading_is_read_in_its_own_code_system(codings, expected):
    concept = Concept(tuple((s, c, None) for s, c in codings))
    assert heading_of(concept, POLICY) == expected


def test_a_prsb_snomed_contact_heading_with_a_phone_meets_point_of_contact(tmp_path: Path) -> None:
    section = {
        "code": {"coding": [{"system": SNOMED, "code": "1077931000000102"}]},
        "text": {
            "status": "additional",
            "div": '<div xmlns="http://www.w3.org/1999/xhtml">'
            "<p>Dr Paul Rastall Tel: 0113 6323200</p></div>",
        },
    }
    result = run(
        tmp_path,
        org("trust", "RZZ"),
        org("gp", "Y01234"),
        patient(),
        stay("Organization/trust"),
        summary("2024-03-01T20:00:00Z", sections=[section]),
    )
    assert statuses(result, "point-of-contact") == [("met", "RZZ")]


# -- §3 DocumentReference letters ----------------------------------------------------------


def letter_document(**more: Any) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": "d1",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5"}]},
        "subject": {"reference": "Patient/p1"},
        "custodian": {"reference": "Organization/trust"},
        "context": {"encounter": [{"reference": "Encounter/e1"}]},
        "content": [
            {"attachment": {"contentType": "application/pdf", "url": "https://x.example/1.pdf"}}
        ],
        **more,
    }


def test_a_pdf_discharge_summary_is_dated_by_its_own_date(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        org("trust", "RZZ"),
        org("gp", "Y01234"),
        patient(),
        stay("Organization/trust"),
        letter_document(date="2024-03-02T11:00:00Z"),
    )
    [found] = [o for o in result.obligations if o.rule == "discharge-summary-24h"]
    assert (found.status, found.evidence) == ("breached", ("DocumentReference/d1",))
    assert statuses(result, "point-of-contact") == [("not-assessable", "RZZ")]


def test_an_undated_pdf_letter_leaves_the_deadline_not_assessable(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        org("trust", "RZZ"),
        org("gp", "Y01234"),
        patient(),
        stay("Organization/trust"),
        letter_document(),
    )
    [found] = [o for o in result.obligations if o.rule == "discharge-summary-24h"]
    assert found.status == "not-assessable"
    assert found.detail == (
        "DocumentReference/d1 is a discharge summary with no date, so when it was sent cannot "
        "be judged."
    )


# -- §5 identifiers and references ----------------------------------------------------------


def test_a_legacy_ods_system_is_read_with_a_warning_naming_the_right_one(tmp_path: Path) -> None:
    legacy = {
        "resourceType": "Organization",
        "id": "trust",
        "identifier": [{"system": "http://fhir.nhs.net/Id/ods-organization-code", "value": "RZZ"}],
    }
    result = run(tmp_path, legacy, org("gp", "Y01234"), patient(), stay("Organization/trust"))
    assert statuses(result, "discharge-summary-24h") == [("breached", "RZZ")]
    [warning] = [i for i in result.issues if i.severity == "warning"]
    assert warning.message == (
        f"{tmp_path / 'in.json'}:1 entry[0] Organization/trust: identifier[0].system: identifier "
        "system 'http://fhir.nhs.net/Id/ods-organization-code' is read as "
        "'https://fhir.nhs.uk/Id/ods-organization-code'; send "
        "https://fhir.nhs.uk/Id/ods-organization-code"
    )


def test_a_healthcare_service_leads_to_its_organisation(tmp_path: Path) -> None:
    service = {
        "resourceType": "HealthcareService",
        "id": "svc",
        "providedBy": {"reference": "Organization/trust"},
    }
    result = run(
        tmp_path,
        org("trust", "RZZ"),
        service,
        org("gp", "Y01234"),
        patient(),
        stay("HealthcareService/svc"),
    )
    assert statuses(result, "discharge-summary-24h") == [("breached", "RZZ")]


def test_two_different_resources_under_one_key_give_a_warning(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    second = tmp_path / "b.json"
    first.write_text(json.dumps(stay("Organization/trust")))
    second.write_text(json.dumps(stay("Organization/trust", end="2024-03-05T10:00:00Z")))
    result = check([first, second], as_of=AS_OF)
    [warning] = [i for i in result.issues if i.code == "duplicate"]
    assert "a different Encounter with the same key Encounter/e1 was read before" in warning.message
    assert warning.location.file == str(second)
    again = check([first, first], as_of=AS_OF)
    assert [i for i in again.issues if i.code == "duplicate"] == []


def test_urn_references_are_scoped_to_their_bundle() -> None:
    inner = Location(file="f.json", line=None, entry="[2][5]")
    scope = bundle_scope(inner)
    ref = scoped("urn:uuid:abc", scope)
    assert ref is not None and plain(ref) == "urn:uuid:abc"
    assert list(widening(ref)) == ["urn:uuid:abc @f.json:0:[2]", "urn:uuid:abc @f.json:0:"]
    assert scoped("Patient/p1", scope) == "Patient/p1"
    assert bundle_scope(Location(file="f.json")) is None


# -- §5 dates that are not instants ---------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "sent", "expected"),
    [
        ("2024-03-01", "2024-03-01T23:30:00Z", "met"),  # within 24 h of any time that day
        ("2024-03-01", "2024-03-02T12:00:00Z", "not-assessable"),  # late for 00:00, not for 23:00
        ("2024-03-01", "2024-03-03T00:30:00Z", "breached"),  # late for any time that day
        ("2024-03", "2024-03-15T00:00:00Z", "not-assessable"),  # a month: cannot say
    ],
)
def test_a_date_only_discharge_is_judged_at_both_ends_of_the_day(tmp_path, end, sent, expected):
    result = run(
        tmp_path,
        org("trust", "RZZ"),
        org("gp", "Y01234"),
        patient(),
        stay("Organization/trust", end=end),
        summary(sent),
    )
    assert statuses(result, "discharge-summary-24h") == [(expected, "RZZ")]


def test_a_date_only_discharge_without_a_letter_waits_until_the_last_due_time(
    tmp_path: Path,
) -> None:
    path = tmp_path / "in.json"
    path.write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {"resource": r}
                    for r in (
                        org("trust", "RZZ"),
                        org("gp", "Y01234"),
                        patient(),
                        stay("Organization/trust", end="2024-03-01"),
                    )
                ],
            }
        )
    )
    # 12:00 on 2 March: past 24 h after 00:00 on 1 March, not after 23:59
    [found] = check([path], as_of=datetime(2024, 3, 2, 12, tzinfo=UTC)).obligations
    assert found.status == "pending"
    [later] = check([path], as_of=datetime(2024, 3, 3, 0, 30, tzinfo=UTC)).obligations
    assert later.status == "breached"


# -- §5 SNOMED check digit, §6 fit notes and tests -----------------------------------------


@pytest.mark.parametrize(
    ("code", "valid"),
    [("373942005", True), ("1077931000000102", True), ("373942006", False), ("0373942005", False)],
)
def test_snomed_ids_carry_a_verhoeff_check_digit(code: str, valid: bool) -> None:
    assert snomed_id_valid(code) is valid
    assert verhoeff_valid("2363") and not verhoeff_valid("2364")


def test_a_snomed_code_with_a_bad_check_digit_is_a_warning(tmp_path: Path) -> None:
    bad = summary("2024-03-01T20:00:00Z")
    bad["type"] = {"coding": [{"system": SNOMED, "code": "373942006"}]}
    result = run(
        tmp_path,
        org("trust", "RZZ"),
        org("gp", "Y01234"),
        patient(),
        stay("Organization/trust"),
        bad,
    )
    [warning] = [i for i in result.issues if i.code == "code-invalid"]
    assert warning.message.endswith(
        "type.coding[0].code: SNOMED CT code 373942006 fails the Verhoeff check digit, so it is "
        "not a SNOMED CT identifier (mistyped?); it is read as given and matches no table"
    )


def test_a_med3_issued_observation_is_a_fit_note_issued(tmp_path: Path) -> None:
    med3 = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {
            "coding": [
                {
                    "system": "https://trust.example/codes",
                    "code": "MED3-PR",
                    "display": "MED3 (2010) certificate issued - phased return to work",
                }
            ]
        },
        "encounter": {"reference": "Encounter/e1"},
    }
    result = run(
        tmp_path,
        org("trust", "RZZ"),
        org("gp", "Y01234"),
        patient(),
        stay("Organization/trust"),
        med3,
    )
    [found] = [o for o in result.obligations if o.rule == "fit-note-issued"]
    assert (found.status, found.evidence) == ("met", ("Observation/o1",))


@pytest.mark.parametrize(
    ("category", "code", "is_test"),
    [
        ([{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}], None, True),
        (None, {"system": SNOMED, "code": "399208008", "display": "Plain chest X-ray"}, True),
        (None, {"system": SNOMED, "display": "Serum potassium level (observable entity)"}, True),
        (
            None,
            {"system": SNOMED, "code": "73211009", "display": "Diabetes mellitus (disorder)"},
            False,
        ),
    ],
)
def test_a_request_is_a_test_by_category_code_table_or_semantic_tag(
    tmp_path, category, code, is_test
):
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": "s1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "requester": {"reference": "Organization/trust"},
        "performer": [{"reference": "Organization/gp"}],
    }
    if category:
        request["category"] = [{"coding": category}]
    if code:
        request["code"] = {"coding": [code]}
    result = run(tmp_path, org("trust", "RZZ"), org("gp", "Y01234"), patient(), request)
    found = statuses(result, "trust-arranges-own-tests")
    assert found == ([("breached", "RZZ")] if is_test else [])

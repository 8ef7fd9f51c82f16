"""Bad input never stops a run (rules.md §1, §7; style.md "Errors").

An unreadable file is one issue and adds nothing to the counts; a bad resource is rejected
with a message that names the resource and the field; everything else is still read, and
`received = accepted + rejected` per file and in total, in every test here.
"""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapter.cli import main
from adapter.engine import check
from adapter.ingest import Limits
from adapter.model import Counts, Issue, Result
from adapter.xml import HOSTILE_MESSAGE

AS_OF = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
NHS_NUMBER = "9990011117"  # synthetic, 999 range, valid Modulus 11 check digit


# -- synthetic resources ----------------------------------------------------------------------


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "pat-1",
        "identifier": [{"system": NHS, "value": NHS_NUMBER}],
        "generalPractitioner": [{"reference": "Organization/gp-riverside"}],
    }


def organisation(rid: str, ods: str) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": rid,
        "identifier": [{"system": ODS, "value": ods}],
    }


def encounter(rid: str = "enc-1", **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/pat-1"},
        "period": {"start": "2024-02-28T12:00:00Z", "end": "2024-03-01T10:00:00Z"},
        "serviceProvider": {"reference": "Organization/trust-northshire"},
    }
    resource.update(changes)
    return {k: v for k, v in resource.items() if v is not None}


def discharge_summary(rid: str = "ds-1", **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Composition",
        "id": rid,
        "status": "final",
        "type": {"coding": [{"system": "http://snomed.info/sct", "code": "373942005"}]},
        "subject": {"reference": "Patient/pat-1"},
        "date": "2024-03-01T20:00:00Z",
        "encounter": {"reference": "Encounter/enc-1"},
        "custodian": {"reference": "Organization/trust-northshire"},
    }
    resource.update(changes)
    return resource


def medication_request(quantity_value: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "med-1",
        "status": "active",
        "intent": "order",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                        "code": "discharge",
                    }
                ]
            }
        ],
        "subject": {"reference": "Patient/pat-1"},
        "requester": {"reference": "Organization/trust-northshire"},
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}],
            }
        ],
        "dispenseRequest": {"quantity": {"value": quantity_value, "unit": "tablet"}},
    }


def context() -> list[dict[str, Any]]:
    return [
        patient(),
        organisation("gp-riverside", "Y01234"),
        organisation("trust-northshire", "RZZ"),
    ]


# -- helpers ---------------------------------------------------------------------------------


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2))
    return path


def write_ndjson(path: Path, resources: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    return path


def collection(resources: list[Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def counts(result: Result) -> tuple[int, int, int]:
    return result.counts.received, result.counts.accepted, result.counts.rejected


def assert_balanced(result: Result) -> None:
    total = Counts()
    for file_counts in result.files.values():
        assert file_counts.received == file_counts.accepted + file_counts.rejected
        total.merge(file_counts)
    assert result.counts.received == result.counts.accepted + result.counts.rejected
    assert total.to_json() == result.counts.to_json()


def messages(result: Result) -> list[str]:
    return [issue.message for issue in result.issues]


def one_issue(result: Result) -> Issue:
    assert len(result.issues) == 1, messages(result)
    return result.issues[0]


def rules_of(result: Result, rule: str) -> list[Any]:
    return [o for o in result.obligations if o.rule == rule]


# -- unreadable files -------------------------------------------------------------------------


def test_malformed_json_file_is_unreadable_and_counts_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "resourceType": "Patient",\n')

    result = check([bad], as_of=AS_OF)

    assert counts(result) == (0, 0, 0)
    assert result.unreadable_files == 1
    issue = one_issue(result)
    assert (issue.severity, issue.code, issue.location.to_json()) == (
        "fatal",
        "structure",
        {"file": str(bad)},
    )
    assert issue.message.startswith(f"{bad}: is not valid JSON: ")
    assert_balanced(result)


def test_malformed_json_file_does_not_stop_the_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "a-broken.json"
    bad.write_text('{"resourceType": "Patient", "id": ')
    good = write_ndjson(tmp_path / "b-good.ndjson", [*context(), encounter()])

    result = check([tmp_path], as_of=AS_OF)

    assert result.unreadable_files == 1
    assert counts(result) == (4, 4, 0)
    assert result.files[str(good)] == Counts(4, 4, 0)
    assert result.files[str(bad)] == Counts(0, 0, 0)
    [obligation] = rules_of(result, "discharge-summary-24h")
    assert obligation.status == "breached"
    assert_balanced(result)


def test_malformed_json_file_exits_2_from_the_cli_and_still_reports_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "a-broken.json"
    bad.write_text("{oops")
    write_ndjson(tmp_path / "b-good.ndjson", [*context(), encounter()])

    code = main(["check", str(tmp_path), "--format", "json", "--as-of", "2024-03-05T12:00:00Z"])

    out = json.loads(capsys.readouterr().out)
    assert code == 2
    assert out["counts"] == {"received": 4, "accepted": 4, "rejected": 0}
    assert out["summary"]["breached"] == 1
    assert [i["location"] for i in out["issues"]] == [{"file": str(bad)}]
    c = out["counts"]
    assert c["received"] == c["accepted"] + c["rejected"]


def test_file_that_does_not_exist_is_unreadable(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"

    result = check([missing], as_of=AS_OF)

    issue = one_issue(result)
    assert (issue.severity, issue.code) == ("fatal", "not-found")
    assert issue.message == f"{missing}: cannot be opened: No such file or directory"
    assert result.unreadable_files == 1
    assert counts(result) == (0, 0, 0)
    assert_balanced(result)


def test_file_that_is_not_json_xml_or_ndjson_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text("Dear Dr Smith,\nplease see this patient.\n")

    result = check([path], as_of=AS_OF)

    issue = one_issue(result)
    assert (issue.severity, issue.code) == ("fatal", "structure")
    assert issue.message == (
        f"{path}: is not JSON, NDJSON or FHIR XML (it starts with 'Dear Dr Smith,\\n'); "
        "send FHIR R4 resources"
    )
    assert result.unreadable_files == 1
    assert counts(result) == (0, 0, 0)
    assert_balanced(result)


def test_malformed_xml_is_unreadable_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text('<Patient xmlns="http://hl7.org/fhir">\n  <id value="p1"/>\n')

    result = check([path], as_of=AS_OF)

    issue = one_issue(result)
    assert (issue.severity, issue.code, issue.location.to_json()) == (
        "fatal",
        "structure",
        {"file": str(path)},
    )
    assert issue.message.startswith(f"{path}: XML is not well-formed at line ")
    assert result.unreadable_files == 1
    assert counts(result) == (0, 0, 0)
    assert_balanced(result)


ENTITY_XML = """<?xml version="1.0"?>
<!DOCTYPE Patient [<!ENTITY who "ENTITY-WAS-EXPANDED">]>
<Patient xmlns="http://hl7.org/fhir"><id value="p1"/>
  <name><family value="&who;"/></name>
</Patient>
"""


def test_xml_with_a_doctype_and_entity_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "entity.xml"
    path.write_text(ENTITY_XML)

    result = check([path], as_of=AS_OF)

    issue = one_issue(result)
    assert (issue.severity, issue.code) == ("fatal", "security")
    assert issue.message == f"{path}: {HOSTILE_MESSAGE}"
    assert HOSTILE_MESSAGE == (
        "XML with a DOCTYPE is refused: DTDs, entities and external references are never "
        "processed; send plain FHIR XML"
    )
    assert result.unreadable_files == 1
    assert counts(result) == (0, 0, 0)
    assert "ENTITY-WAS-EXPANDED" not in json.dumps(result.to_json())
    assert_balanced(result)


def test_xml_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<Patient xmlns="http://hl7.org/fhir"><id value="p1"/>'
        '<name><family value="&x;"/></name></Patient>\n'
    )

    result = check([path], as_of=AS_OF)

    assert one_issue(result).code == "security"
    assert "TOP-SECRET-CONTENT" not in json.dumps(result.to_json())
    assert counts(result) == (0, 0, 0)
    assert_balanced(result)


def test_xml_billion_laughs_is_refused_quickly_without_expansion(tmp_path: Path) -> None:
    lines = ['<!ENTITY a0 "ha">'] + [
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    path = tmp_path / "laughs.xml"
    path.write_text(
        "<?xml version='1.0'?>\n<!DOCTYPE lolz [\n"
        + "\n".join(lines)
        + "\n]>\n<Patient xmlns='http://hl7.org/fhir'><id value='&a9;'/></Patient>\n"
    )

    result = check([path], as_of=AS_OF)

    assert one_issue(result).code == "security"
    assert result.unreadable_files == 1
    assert counts(result) == (0, 0, 0)
    assert_balanced(result)


def test_doctype_after_a_comment_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "sneaky.xml"
    path.write_text("<!-- hello -->\n" + ENTITY_XML.split("\n", 1)[1])

    result = check([path], as_of=AS_OF)

    assert one_issue(result).message == f"{path}: {HOSTILE_MESSAGE}"
    assert counts(result) == (0, 0, 0)
    assert_balanced(result)


def test_refused_xml_does_not_stop_the_other_files(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(ENTITY_XML)
    write_json(tmp_path / "b.json", collection([*context(), encounter()]))

    result = check([tmp_path], as_of=AS_OF)

    assert result.unreadable_files == 1
    assert counts(result) == (4, 4, 0)
    assert len(rules_of(result, "discharge-summary-24h")) == 1
    assert_balanced(result)


def test_empty_file_is_a_warning_counts_nothing_and_is_not_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.ndjson"
    blank.write_text("\n   \n\t\n")

    result = check([empty, blank], as_of=AS_OF)

    assert [(i.severity, i.code, i.message) for i in result.issues] == [
        ("warning", "informational", f"{empty}: the file is empty; nothing to read"),
        ("warning", "informational", f"{blank}: the file is empty; nothing to read"),
    ]
    assert result.unreadable_files == 0
    assert counts(result) == (0, 0, 0)
    assert_balanced(result)


def test_xml_that_is_not_a_fhir_resource_names_its_root_element(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<foo><bar/></foo>")

    result = check([path], as_of=AS_OF)

    assert messages(result) == [
        f"{path}: the root element <foo> (no namespace) is not a FHIR R4 resource; "
        'send a resource such as <Patient xmlns="http://hl7.org/fhir">'
    ]
    assert_balanced(result)


def test_xml_root_with_an_unknown_resource_type_is_one_rejected_resource(tmp_path: Path) -> None:
    path = tmp_path / "referral.xml"
    path.write_text('<Referral xmlns="http://hl7.org/fhir"><id value="r1"/></Referral>')

    result = check([path], as_of=AS_OF)

    assert result.unreadable_files == 0
    assert counts(result) == (1, 0, 1)
    assert_balanced(result)


XML_BUNDLE_WITH_UNKNOWN = """<Bundle xmlns="http://hl7.org/fhir">
  <type value="collection"/>
  <entry><resource><Referral><id value="r1"/></Referral></resource></entry>
  <entry><resource><Patient><id value="pat-1"/></Patient></resource></entry>
</Bundle>
"""


def test_xml_bundle_entry_of_unknown_type_is_rejected_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bundle.xml"
    path.write_text(XML_BUNDLE_WITH_UNKNOWN)

    result = check([path], as_of=AS_OF)

    assert counts(result) == (2, 1, 1)
    issue = one_issue(result)
    assert (issue.code, issue.location.entry, issue.location.field) == (
        "structure",
        "[0]",
        "resourceType",
    )
    assert_balanced(result)


def test_xml_bundle_entry_of_unknown_type_names_the_type_found(tmp_path: Path) -> None:
    path = tmp_path / "bundle.xml"
    path.write_text(XML_BUNDLE_WITH_UNKNOWN)

    result = check([path], as_of=AS_OF)

    assert "Referral" in one_issue(result).message


def test_xml_resource_with_bad_fields_is_rejected_naming_every_field(tmp_path: Path) -> None:
    path = tmp_path / "encounter.xml"
    path.write_text(
        '<Encounter xmlns="http://hl7.org/fhir"><id value="e1"/>'
        '<period><end value="yesterday"/></period></Encounter>'
    )

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 0, 1)
    assert result.unreadable_files == 0
    assert [(i.location.field, i.location.resource) for i in result.issues] == [
        ("status", "Encounter/e1"),
        ("class", "Encounter/e1"),
        ("period.end", "Encounter/e1"),
    ]
    assert messages(result)[2] == (
        f"{path} Encounter/e1: period.end must be a FHIR dateTime such as "
        "2024-03-01T10:30:00Z (got 'yesterday')"
    )
    assert_balanced(result)


# -- rejected resources ------------------------------------------------------------------------


def test_string_where_fhir_wants_a_decimal_rejects_that_resource_only(tmp_path: Path) -> None:
    path = write_json(tmp_path / "b.json", collection([*context(), medication_request("28")]))

    result = check([path], as_of=AS_OF)

    assert counts(result) == (4, 3, 1)
    issue = one_issue(result)
    assert (issue.severity, issue.code) == ("error", "invalid")
    assert issue.location.to_json() == {
        "file": str(path),
        "entry": "[3]",
        "resource": "MedicationRequest/med-1",
        "field": "dispenseRequest.quantity.value",
    }
    assert issue.message == (
        f"{path} entry[3] MedicationRequest/med-1: dispenseRequest.quantity.value must be a "
        "JSON number (FHIR decimal) (got '28'); send a number without quotes"
    )
    assert rules_of(result, "discharge-medication-7d") == []  # a rejected resource owes nothing
    assert_balanced(result)


def test_same_medication_request_with_a_number_is_accepted_and_judged(tmp_path: Path) -> None:
    path = write_json(tmp_path / "b.json", collection([*context(), medication_request(28)]))

    result = check([path], as_of=AS_OF)

    assert counts(result) == (4, 4, 0)
    [obligation] = rules_of(result, "discharge-medication-7d")
    assert obligation.status == "met"  # 28 tablets at 2 a day = 14 days
    assert_balanced(result)


def test_encounter_without_status_is_rejected_naming_the_field(tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "e.ndjson", [*context(), encounter(status=None)])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (4, 3, 1)
    issue = one_issue(result)
    assert issue.location.to_json() == {
        "file": str(path),
        "line": 4,
        "resource": "Encounter/enc-1",
        "field": "status",
    }
    assert issue.message == (
        f"{path}:4 Encounter/enc-1: status is required here and missing; "
        "send the Encounter status, e.g. finished"
    )
    assert rules_of(result, "discharge-summary-24h") == []
    assert_balanced(result)


def test_encounter_without_class_is_rejected_naming_the_field(tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "e.ndjson", [*context(), encounter(**{"class": None})])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (4, 3, 1)
    assert messages(result) == [
        f"{path}:4 Encounter/enc-1: class is required here and missing; "
        'send the v3 ActCode class, e.g. {"code": "IMP"}'
    ]
    assert rules_of(result, "discharge-summary-24h") == []
    assert_balanced(result)


def test_every_problem_in_one_resource_is_reported_at_once(tmp_path: Path) -> None:
    bad = encounter(status=None, period={"end": "yesterday"}, reasonCode={"text": "x"})
    del bad["class"]
    path = write_ndjson(tmp_path / "e.ndjson", [bad])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 0, 1)
    assert sorted((i.location.field, i.message) for i in result.issues) == sorted(
        [
            (
                "status",
                f"{path}:1 Encounter/enc-1: status is required here and missing; "
                "send the Encounter status, e.g. finished",
            ),
            (
                "class",
                f"{path}:1 Encounter/enc-1: class is required here and missing; "
                'send the v3 ActCode class, e.g. {"code": "IMP"}',
            ),
            (
                "period.end",
                f"{path}:1 Encounter/enc-1: period.end must be a FHIR dateTime such as "
                "2024-03-01T10:30:00Z (got 'yesterday')",
            ),
            (
                "reasonCode",
                f"{path}:1 Encounter/enc-1: reasonCode must be an array (0..* in FHIR R4) "
                "(got an object)",
            ),
        ]
    )
    assert {i.severity for i in result.issues} == {"error"}
    assert_balanced(result)


def test_wrong_datatypes_are_named_with_what_was_found(tmp_path: Path) -> None:
    bad = encounter(status=7, **{"class": "IMP"})
    path = write_ndjson(tmp_path / "e.ndjson", [bad])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 0, 1)
    assert messages(result) == [
        f"{path}:1 Encounter/enc-1: status must be a string (got 7)",
        f"{path}:1 Encounter/enc-1: class must be an object (got 'IMP')",
    ]
    assert_balanced(result)


def test_rejected_composition_is_no_ones_evidence(tmp_path: Path) -> None:
    letter = discharge_summary(section={"title": "not an array"})
    path = write_ndjson(tmp_path / "all.ndjson", [*context(), encounter(), letter])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (5, 4, 1)
    assert messages(result) == [
        f"{path}:5 Composition/ds-1: section must be an array (0..* in FHIR R4) (got an object)"
    ]
    [obligation] = rules_of(result, "discharge-summary-24h")
    assert (obligation.status, obligation.fulfilled_at, obligation.evidence) == (
        "breached",
        None,
        (),
    )
    assert rules_of(result, "point-of-contact") == []
    assert_balanced(result)


def test_composition_with_malformed_narrative_xhtml_is_rejected_naming_the_section(
    tmp_path: Path,
) -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>unclosed</div>'
    letter = discharge_summary(section=[{"text": {"status": "additional", "div": div}}])
    path = write_ndjson(tmp_path / "all.ndjson", [letter])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 0, 1)
    issue = one_issue(result)
    assert issue.location.field == "section[0].text.div"
    assert issue.message.startswith(
        f"{path}:1 Composition/ds-1: section[0].text.div must be well-formed XHTML (got "
    )
    assert "XML is not well-formed at line 1" in issue.message
    assert_balanced(result)


def test_unknown_resource_type_is_rejected_and_the_rest_of_the_bundle_is_read(
    tmp_path: Path,
) -> None:
    path = write_json(
        tmp_path / "b.json",
        collection([{"resourceType": "Referral", "id": "r1"}, *context()]),
    )

    result = check([path], as_of=AS_OF)

    assert counts(result) == (4, 3, 1)
    issue = one_issue(result)
    assert (issue.severity, issue.code) == ("error", "structure")
    assert issue.location.to_json() == {"file": str(path), "entry": "[0]", "field": "resourceType"}
    assert issue.message == (
        f"{path} entry[0]: expected a known FHIR R4 resourceType, found resourceType 'Referral'"
    )
    assert_balanced(result)


def test_object_without_resource_type_is_rejected(tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "x.ndjson", [{"id": "who-knows"}, patient()])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (2, 1, 1)
    assert messages(result) == [
        f"{path}:1: expected a known FHIR R4 resourceType, found no resourceType"
    ]
    assert_balanced(result)


def test_known_but_unread_resource_type_is_accepted_counted_and_ignored(tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "x.ndjson",
        [{"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "P/1"}}],
    )

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 1, 0)
    assert result.issues == []
    assert result.obligations == []
    assert_balanced(result)


def test_bundle_entry_that_is_not_an_object_is_rejected_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    bundle = collection(context())
    bundle["entry"].insert(1, "Patient/pat-1")
    bundle["entry"].append(42)
    path = write_json(tmp_path / "b.json", bundle)

    result = check([path], as_of=AS_OF)

    assert counts(result) == (5, 3, 2)
    assert messages(result) == [
        f"{path} entry[1]: Bundle.entry[1] must be an object, found a string",
        f"{path} entry[4]: Bundle.entry[4] must be an object, found a number",
    ]
    assert_balanced(result)


def test_bundle_entry_resource_that_is_not_an_object_is_rejected(tmp_path: Path) -> None:
    bundle = collection(context())
    bundle["entry"].append({"resource": ["Patient"]})
    path = write_json(tmp_path / "b.json", bundle)

    result = check([path], as_of=AS_OF)

    assert counts(result) == (4, 3, 1)
    assert messages(result) == [
        f"{path} entry[3]: expected a FHIR resource (a JSON object), found an array"
    ]
    assert_balanced(result)


def test_bundle_whose_entry_is_not_an_array_is_one_rejected_item(tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "b.ndjson",
        [{"resourceType": "Bundle", "id": "b1", "type": "collection", "entry": {}}, patient()],
    )

    result = check([path], as_of=AS_OF)

    assert counts(result) == (2, 1, 1)
    assert messages(result) == [
        f"{path}:1 Bundle/b1: Bundle.entry must be an array, found an object"
    ]
    assert_balanced(result)


def test_ndjson_line_that_is_json_but_not_an_object_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.ndjson"
    path.write_text(json.dumps(patient()) + '\n"just a string"\n[1, 2]\nnull\n')

    result = check([path], as_of=AS_OF)

    assert counts(result) == (4, 1, 3)
    assert messages(result) == [
        f"{path}:2: expected a FHIR resource (a JSON object), found a string",
        f"{path}:3: expected a FHIR resource (a JSON object), found an array",
        f"{path}:4: expected a FHIR resource (a JSON object), found null",
    ]
    assert_balanced(result)


# -- references that resolve to nothing --------------------------------------------------------


def test_unresolvable_references_are_not_errors_and_the_rule_decides(tmp_path: Path) -> None:
    lonely = encounter(
        subject={"reference": "Patient/ghost"},
        serviceProvider={"reference": "Organization/missing"},
    )
    letter = discharge_summary(encounter={"reference": "Encounter/elsewhere"})
    path = write_ndjson(tmp_path / "x.ndjson", [lonely, letter])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (2, 2, 0)
    assert result.issues == []
    [obligation] = rules_of(result, "discharge-summary-24h")
    assert (obligation.owner, obligation.owed_to, obligation.patient) == (
        None,
        None,
        "Patient/ghost",
    )
    # owner unknown: never breached (docs/contract.md §4)
    assert (obligation.status, obligation.evidence) == ("not-assessable", ())
    assert obligation.detail.startswith("The organisation that owes this cannot be identified")
    assert_balanced(result)


def test_discharge_summary_for_an_encounter_not_read_creates_no_obligation(
    tmp_path: Path,
) -> None:
    path = write_ndjson(tmp_path / "x.ndjson", [*context(), discharge_summary()])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (4, 4, 0)
    assert result.issues == []
    assert rules_of(result, "discharge-summary-24h") == []
    assert_balanced(result)


# -- large input --------------------------------------------------------------------------------


def test_json_document_over_the_size_limit_is_unreadable_with_advice(tmp_path: Path) -> None:
    path = write_json(tmp_path / "big.json", collection([patient()] * 20))

    result = check([path], as_of=AS_OF, limits=Limits(max_document_bytes=1000))

    assert result.unreadable_files == 1
    assert counts(result) == (0, 0, 0)
    issue = one_issue(result)
    assert (issue.severity, issue.code) == ("fatal", "too-costly")
    assert issue.message == (
        f"{path}: is larger than the 1000-byte limit for one JSON or XML document; "
        "split it, or send NDJSON (streamed)"
    )
    assert_balanced(result)


def test_bundles_nested_past_the_depth_limit_are_one_rejected_item(tmp_path: Path) -> None:
    nested: dict[str, Any] = patient()
    for level in range(3):
        nested = {
            "resourceType": "Bundle",
            "id": f"b{level}",
            "type": "collection",
            "entry": [{"resource": nested}],
        }
    path = write_json(tmp_path / "deep.json", nested)

    result = check([path], as_of=AS_OF, limits=Limits(max_depth=2))

    assert counts(result) == (1, 0, 1)
    issue = one_issue(result)
    assert (issue.code, issue.location.entry) == ("too-costly", "[0][0]")
    assert issue.message == f"{path} entry[0][0] Bundle/b0: Bundles nested deeper than 2"
    assert_balanced(result)


def test_over_long_ndjson_line_is_one_rejected_resource(tmp_path: Path) -> None:
    long = patient() | {"text": {"status": "generated", "div": "x" * 300}}
    path = write_ndjson(tmp_path / "x.ndjson", [patient(), long, patient() | {"id": "pat-3"}])

    result = check([path], as_of=AS_OF, limits=Limits(max_line_bytes=200))

    assert counts(result) == (3, 2, 1)
    assert messages(result) == [f"{path}:2: line longer than 200 bytes; not read"]
    assert_balanced(result)


@pytest.mark.slow
def test_fifty_megabyte_ndjson_is_streamed_not_loaded_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.ndjson"
    padding = "x" * 5000
    target = 50 * 1024 * 1024
    lines = 0
    with path.open("w") as handle:
        while handle.tell() < target:
            resource = {
                "resourceType": "Patient",
                "id": f"p{lines}",
                "text": {
                    "status": "generated",
                    "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{padding}</div>',
                },
            }
            handle.write(json.dumps(resource) + "\n")
            lines += 1
    size = path.stat().st_size
    assert size >= target

    tracemalloc.start()
    try:
        result = check([path], as_of=AS_OF)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert counts(result) == (lines, lines, 0)
    assert result.issues == []
    assert peak < 25 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
    assert_balanced(result)

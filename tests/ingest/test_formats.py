"""Every input format of rules.md §1 is read, counted and linked.

Each test writes real files in `tmp_path` and runs them through `adapter.engine.check` (the
real reader, translator, linker and rules), then checks the counts (`received = accepted +
rejected`, per file and in total) and, where the format matters to a rule, the obligations.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapter.engine import check
from adapter.model import Counts, Obligation, Result

AS_OF = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
NHS_NUMBER = "9990011117"  # synthetic, 999 range, valid Modulus 11 check digit
SNOMED = "http://snomed.info/sct"
BUNDLE_TYPES = ("document", "collection", "transaction", "batch", "searchset", "message")


# -- synthetic cast ---------------------------------------------------------------------------


def practice(rid: str = "gp-riverside", ods: str = "Y01234") -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": rid,
        "identifier": [{"system": ODS, "value": ods}],
        "name": "Riverside Surgery",
    }


def trust(rid: str = "trust-northshire", ods: str = "RZZ") -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": rid,
        "identifier": [{"system": ODS, "value": ods}],
        "name": "Northshire Hospitals NHS Trust",
    }


def patient(gp: dict[str, Any] | None = None, rid: str = "pat-1") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": rid,
        "identifier": [{"system": NHS, "value": NHS_NUMBER}],
        "birthDate": "1970-05-01",
        "generalPractitioner": [gp or {"reference": "Organization/gp-riverside"}],
    }


def encounter(
    rid: str = "enc-1",
    *,
    subject: dict[str, Any] | None = None,
    provider: dict[str, Any] | None = None,
    end: str = "2024-03-01T10:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": subject or {"reference": "Patient/pat-1"},
        "period": {"start": "2024-02-28T12:00:00Z", "end": end},
        "serviceProvider": provider or {"reference": "Organization/trust-northshire"},
        **extra,
    }


def discharge_summary(
    rid: str = "ds-1",
    *,
    encounter_ref: dict[str, Any] | None = None,
    date: str = "2024-03-01T20:00:00Z",
) -> dict[str, Any]:
    return {
        "resourceType": "Composition",
        "id": rid,
        "status": "final",
        "type": {"coding": [{"system": SNOMED, "code": "373942005"}]},
        "subject": {"reference": "Patient/pat-1"},
        "date": date,
        "author": [{"display": "Dr Sam Jones"}],
        "title": "Discharge summary",
        "encounter": encounter_ref or {"reference": "Encounter/enc-1"},
        "custodian": {"reference": "Organization/trust-northshire"},
    }


def bundle(kind: str, resources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    entries = [
        {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{index:012d}", "resource": resource}
        for index, resource in enumerate(resources)
    ]
    return {"resourceType": "Bundle", "type": kind, "entry": entries, **extra}


# -- helpers ---------------------------------------------------------------------------------


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2))
    return path


def write_ndjson(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def counts(result: Result) -> tuple[int, int, int]:
    c = result.counts
    return c.received, c.accepted, c.rejected


def assert_balanced(result: Result) -> None:
    """received = accepted + rejected, per file and in total, and the files add up."""
    total = Counts()
    for file_counts in result.files.values():
        assert file_counts.received == file_counts.accepted + file_counts.rejected
        total.merge(file_counts)
    assert result.counts.received == result.counts.accepted + result.counts.rejected
    assert total.to_json() == result.counts.to_json()


def only(result: Result, rule: str) -> Obligation:
    found = [o for o in result.obligations if o.rule == rule]
    assert len(found) == 1, found
    return found[0]


# -- single resources, Bundles, NDJSON ---------------------------------------------------------


def test_single_json_resource_is_received_and_accepted(tmp_path: Path) -> None:
    path = write_json(tmp_path / "patient.json", patient())

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 1, 0)
    assert result.files == {str(path): Counts(1, 1, 0)}
    assert result.issues == []
    assert_balanced(result)


def test_single_json_resource_on_one_line_is_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(patient()))

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 1, 0)
    assert_balanced(result)


@pytest.mark.parametrize("kind", BUNDLE_TYPES)
def test_bundle_of_any_type_counts_its_entries_and_not_itself(tmp_path: Path, kind: str) -> None:
    extra = {"timestamp": "2024-03-01T21:00:00Z"} if kind in ("document", "message") else {}
    path = write_json(
        tmp_path / f"{kind}.json",
        bundle(kind, [patient(), practice(), trust()], id=f"b-{kind}", **extra),
    )

    result = check([path], as_of=AS_OF)

    assert counts(result) == (3, 3, 0)
    assert result.files[str(path)] == Counts(3, 3, 0)
    assert result.issues == []
    assert_balanced(result)


def test_bundle_inside_a_bundle_counts_the_inner_entries_and_neither_bundle(
    tmp_path: Path,
) -> None:
    inner = bundle("collection", [practice(), trust()], id="inner")
    outer = bundle("searchset", [patient(), inner], id="outer")
    path = write_json(tmp_path / "nested.json", outer)

    result = check([path], as_of=AS_OF)

    assert counts(result) == (3, 3, 0)
    assert_balanced(result)


def test_nested_bundle_entry_locations_name_the_path_of_entries(tmp_path: Path) -> None:
    inner = bundle("collection", [practice(), {"resourceType": "Encounter", "id": "bad"}])
    path = write_json(tmp_path / "nested.json", bundle("collection", [patient(), inner]))

    result = check([path], as_of=AS_OF)

    assert counts(result) == (3, 2, 1)
    assert {(i.location.entry, i.location.resource, i.location.field) for i in result.issues} == {
        ("[1][1]", "Encounter/bad", "status"),
        ("[1][1]", "Encounter/bad", "class"),
    }
    assert_balanced(result)


def test_bundle_entry_with_only_a_request_carries_no_resource_and_is_not_counted(
    tmp_path: Path,
) -> None:
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": "Patient/pat-1"}},
            {"resource": practice(), "request": {"method": "POST", "url": "Organization"}},
        ],
    }
    path = write_json(tmp_path / "batch.json", batch)

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 1, 0)
    assert_balanced(result)


def test_bare_json_array_of_resources_reads_each_element(tmp_path: Path) -> None:
    path = write_json(tmp_path / "array.json", [patient(), practice(), trust()])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (3, 3, 0)
    assert_balanced(result)


def test_ndjson_reads_one_resource_per_line_and_skips_blank_lines(tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "export.ndjson",
        [json.dumps(patient()), "", json.dumps(practice()), "   ", json.dumps(trust())],
    )

    result = check([path], as_of=AS_OF)

    assert counts(result) == (3, 3, 0)
    assert result.files == {str(path): Counts(3, 3, 0)}
    assert_balanced(result)


def test_ndjson_issue_is_located_by_line_number(tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "export.ndjson",
        [json.dumps(patient()), "", json.dumps({"resourceType": "Encounter", "id": "e9"})],
    )

    result = check([path], as_of=AS_OF)

    assert counts(result) == (2, 1, 1)
    assert {(i.location.line, i.location.resource) for i in result.issues} == {(3, "Encounter/e9")}
    assert_balanced(result)


def test_ndjson_line_that_is_not_json_is_rejected_and_the_rest_is_read(tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "export.ndjson",
        [json.dumps(patient()), "this is not json", json.dumps(practice())],
    )

    result = check([path], as_of=AS_OF)

    assert counts(result) == (3, 2, 1)
    assert result.unreadable_files == 0
    [issue] = result.issues
    assert (issue.severity, issue.code, issue.location.line) == ("error", "structure", 2)
    assert issue.message.startswith(
        f"{path}:2: expected one JSON resource on the line, found invalid JSON ("
    )
    assert_balanced(result)


def test_ndjson_line_that_is_a_bundle_counts_its_entries(tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "export.ndjson",
        [json.dumps(patient()), json.dumps(bundle("collection", [practice(), trust()]))],
    )

    result = check([path], as_of=AS_OF)

    assert counts(result) == (3, 3, 0)
    assert_balanced(result)


def test_ndjson_whose_first_line_is_bad_rejects_that_line_and_reads_the_rest(
    tmp_path: Path,
) -> None:
    path = write_ndjson(
        tmp_path / "export.ndjson",
        [
            '{"resourceType": "Patient", "id": "cut-off"',
            json.dumps(practice()),
            json.dumps(trust()),
        ],
    )

    result = check([path], as_of=AS_OF)

    assert result.unreadable_files == 0
    assert counts(result) == (3, 2, 1)
    assert_balanced(result)


def test_ndjson_whose_first_two_lines_are_bad_rejects_them_and_reads_the_rest(
    tmp_path: Path,
) -> None:
    path = write_ndjson(
        tmp_path / "export.ndjson",
        [
            '{"resourceType": "Patient", "id": "cut-off"',
            '{"resourceType": "Patient", "id": "cut-off-too"',
            json.dumps(practice()),
            json.dumps(trust()),
        ],
    )

    result = check([path], as_of=AS_OF)

    assert result.unreadable_files == 0
    assert counts(result) == (4, 2, 2)
    assert_balanced(result)


def test_ndjson_whose_first_line_is_not_an_object_rejects_that_line_and_reads_the_rest(
    tmp_path: Path,
) -> None:
    path = write_ndjson(
        tmp_path / "export.ndjson", ['"Patient/pat-1"', json.dumps(practice()), json.dumps(trust())]
    )

    result = check([path], as_of=AS_OF)

    assert result.unreadable_files == 0
    assert counts(result) == (3, 2, 1)
    assert_balanced(result)


# -- folders and standard input -----------------------------------------------------------------


def test_folder_is_read_recursively_in_sorted_path_order(tmp_path: Path) -> None:
    root = tmp_path / "in"
    write_json(root / "b" / "z.json", patient())
    write_json(root / "a.json", practice())
    write_ndjson(root / "b" / "a" / "deep.ndjson", [json.dumps(trust())])
    write_json(root / "c.xml", trust("t2", "RYY"))  # JSON content in an .xml name
    write_json(root / "B.json", trust("t3", "RXX"))

    result = check([root], as_of=AS_OF)

    assert list(result.files) == [
        str(root / "B.json"),
        str(root / "a.json"),
        str(root / "b" / "a" / "deep.ndjson"),
        str(root / "b" / "z.json"),
        str(root / "c.xml"),
    ]
    assert counts(result) == (5, 5, 0)
    assert_balanced(result)


def test_folder_walk_skips_hidden_files_hidden_folders_and_non_data_suffixes(
    tmp_path: Path,
) -> None:
    root = tmp_path / "in"
    good = write_json(root / "patient.json", patient())
    (root / "notes.txt").write_text("not FHIR at all")
    (root / "README.md").write_text("# not FHIR")
    (root / "data.json.bak").write_text("{broken")
    write_json(root / ".hidden.json", practice())
    write_json(root / ".git" / "objects.json", practice())
    (root / ".cache").mkdir()
    (root / ".cache" / "broken.json").write_text("{broken")
    write_json(root / "upper.JSON", trust())

    result = check([root], as_of=AS_OF)

    assert list(result.files) == [str(good), str(root / "upper.JSON")]
    assert counts(result) == (2, 2, 0)
    assert result.unreadable_files == 0
    assert_balanced(result)


def test_file_named_on_the_command_line_is_read_whatever_its_suffix(tmp_path: Path) -> None:
    path = write_json(tmp_path / "export.txt", patient())

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 1, 0)
    assert_balanced(result)


def test_several_paths_are_read_in_the_order_given_and_counted_per_file(tmp_path: Path) -> None:
    second = write_json(tmp_path / "a.json", patient())
    first = write_ndjson(tmp_path / "z.ndjson", [json.dumps(practice()), json.dumps(trust())])

    result = check([first, second], as_of=AS_OF)

    assert list(result.files) == [str(first), str(second)]
    assert result.files[str(first)] == Counts(2, 2, 0)
    assert result.files[str(second)] == Counts(1, 1, 0)
    assert counts(result) == (3, 3, 0)
    assert_balanced(result)


STDIN_CHECK = (
    sys.executable,
    "-m",
    "adapter",
    "check",
    "-",
    "--format",
    "json",
    "--as-of",
    "2024-03-05T12:00:00Z",
)


def test_dash_reads_standard_input(tmp_path: Path) -> None:
    body = "\n".join(json.dumps(r) for r in (patient(), practice(), trust())) + "\n"

    done = subprocess.run(
        [*STDIN_CHECK],
        input=body.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    assert out["counts"] == {"received": 3, "accepted": 3, "rejected": 0}
    assert out["issues"] == []
    c = out["counts"]
    assert c["received"] == c["accepted"] + c["rejected"]


def test_dash_issues_are_located_in_stdin(tmp_path: Path) -> None:
    body = json.dumps({"resourceType": "Encounter", "id": "e1"}) + "\n"

    # Nothing is accepted, so the run says so and exits 2 unless --allow-empty.
    done = subprocess.run(
        [*STDIN_CHECK, "--allow-empty"],
        input=body.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    assert out["counts"] == {"received": 1, "accepted": 0, "rejected": 1}
    c = out["counts"]
    assert c["received"] == c["accepted"] + c["rejected"]
    assert {i["location"]["file"] for i in out["issues"]} == {"<stdin>"}


# -- FHIR XML, and format chosen by content ------------------------------------------------------

PATIENT_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<Patient xmlns="http://hl7.org/fhir">
  <id value="pat-1"/>
  <identifier><system value="{NHS}"/><value value="{NHS_NUMBER}"/></identifier>
  <birthDate value="1970-05-01"/>
  <generalPractitioner><reference value="Organization/gp-riverside"/></generalPractitioner>
</Patient>
"""

BUNDLE_XML = f"""<Bundle xmlns="http://hl7.org/fhir">
  <id value="xml-bundle"/>
  <type value="collection"/>
  <entry>
    <fullUrl value="urn:uuid:11111111-1111-4111-8111-111111111111"/>
    <resource>
      <Organization>
        <id value="gp-riverside"/>
        <identifier><system value="{ODS}"/><value value="Y01234"/></identifier>
      </Organization>
    </resource>
  </entry>
  <entry>
    <fullUrl value="urn:uuid:22222222-2222-4222-8222-222222222222"/>
    <resource>
      <Organization>
        <id value="trust-northshire"/>
        <identifier><system value="{ODS}"/><value value="RZZ"/></identifier>
      </Organization>
    </resource>
  </entry>
  <entry>
    <resource>
      <Encounter>
        <id value="enc-1"/>
        <status value="finished"/>
        <class>
          <system value="http://terminology.hl7.org/CodeSystem/v3-ActCode"/>
          <code value="IMP"/>
        </class>
        <subject><reference value="Patient/pat-1"/></subject>
        <period><start value="2024-02-28T12:00:00Z"/><end value="2024-03-01T10:00:00Z"/></period>
        <serviceProvider>
          <reference value="urn:uuid:22222222-2222-4222-8222-222222222222"/>
        </serviceProvider>
      </Encounter>
    </resource>
  </entry>
</Bundle>
"""


def test_fhir_xml_single_resource_is_read(tmp_path: Path) -> None:
    path = tmp_path / "patient.xml"
    path.write_text(PATIENT_XML)

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 1, 0)
    assert result.issues == []
    assert_balanced(result)


def test_fhir_xml_bundle_counts_its_entries_and_links_them(tmp_path: Path) -> None:
    (tmp_path / "bundle.xml").write_text(BUNDLE_XML)
    (tmp_path / "patient.xml").write_text(PATIENT_XML)

    result = check([tmp_path], as_of=AS_OF)

    assert result.files[str(tmp_path / "bundle.xml")] == Counts(3, 3, 0)
    assert counts(result) == (4, 4, 0)
    obligation = only(result, "discharge-summary-24h")
    assert obligation.subject == "Encounter/enc-1"
    assert obligation.status == "breached"
    assert (obligation.owner, obligation.owed_to, obligation.patient) == (
        "RZZ",
        "Y01234",
        NHS_NUMBER,
    )
    assert_balanced(result)


def test_fhir_xml_with_a_byte_order_mark_and_declaration_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.xml"
    path.write_bytes(b"\xef\xbb\xbf" + PATIENT_XML.encode())

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 1, 0)
    assert result.issues == []
    assert_balanced(result)


def test_fhir_xml_after_blank_lines_is_read(tmp_path: Path) -> None:
    path = tmp_path / "blank-first.xml"
    path.write_text("\n\n  " + PATIENT_XML.split("\n", 1)[1])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (1, 1, 0)
    assert_balanced(result)


def test_json_content_in_a_file_named_xml_is_read_as_json(tmp_path: Path) -> None:
    path = write_json(tmp_path / "really-json.xml", bundle("collection", [patient(), trust()]))

    result = check([path], as_of=AS_OF)

    assert counts(result) == (2, 2, 0)
    assert result.issues == []
    assert_balanced(result)


def test_xml_content_in_a_file_named_json_is_read_as_xml(tmp_path: Path) -> None:
    path = tmp_path / "really-xml.json"
    path.write_text(BUNDLE_XML)

    result = check([path], as_of=AS_OF)

    assert counts(result) == (3, 3, 0)
    assert result.issues == []
    assert_balanced(result)


def test_ndjson_content_in_a_file_named_json_is_read_line_by_line(tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "export.json", [json.dumps(patient()), json.dumps(trust())])

    result = check([path], as_of=AS_OF)

    assert counts(result) == (2, 2, 0)
    assert_balanced(result)


# -- sent time of a Composition (rules.md §3) ---------------------------------------------------


def test_composition_in_a_document_bundle_is_sent_at_the_bundle_timestamp(
    tmp_path: Path,
) -> None:
    document = bundle(
        "document",
        [discharge_summary(date="2024-03-01T20:00:00Z")],
        timestamp="2024-03-02T11:00:00Z",
    )
    write_json(tmp_path / "document.json", document)
    write_ndjson(
        tmp_path / "context.ndjson",
        [json.dumps(r) for r in (patient(), practice(), trust(), encounter())],
    )

    result = check([tmp_path], as_of=AS_OF)

    obligation = only(result, "discharge-summary-24h")
    assert obligation.fulfilled_at == datetime(2024, 3, 2, 11, 0, tzinfo=UTC)
    assert obligation.status == "breached"  # 25 h after discharge; Composition.date was on time
    assert obligation.evidence == ("Composition/ds-1",)
    assert counts(result) == (5, 5, 0)
    assert_balanced(result)


def test_composition_outside_a_document_bundle_is_sent_at_its_date(tmp_path: Path) -> None:
    carried = bundle(
        "collection",
        [discharge_summary(date="2024-03-01T20:00:00Z")],
        timestamp="2024-03-02T11:00:00Z",
    )
    write_json(tmp_path / "collection.json", carried)
    write_ndjson(
        tmp_path / "context.ndjson",
        [json.dumps(r) for r in (patient(), practice(), trust(), encounter())],
    )

    result = check([tmp_path], as_of=AS_OF)

    obligation = only(result, "discharge-summary-24h")
    assert obligation.fulfilled_at == datetime(2024, 3, 1, 20, 0, tzinfo=UTC)
    assert obligation.status == "met"
    assert_balanced(result)


def test_composition_in_a_document_inside_a_collection_keeps_the_document_timestamp(
    tmp_path: Path,
) -> None:
    document = bundle("document", [discharge_summary()], timestamp="2024-03-02T09:30:00Z")
    outer = bundle("collection", [patient(), practice(), trust(), encounter(), document])
    write_json(tmp_path / "outer.json", outer)

    result = check([tmp_path], as_of=AS_OF)

    assert only(result, "discharge-summary-24h").fulfilled_at == datetime(
        2024, 3, 2, 9, 30, tzinfo=UTC
    )
    assert counts(result) == (5, 5, 0)
    assert_balanced(result)


# -- references (rules.md §1) ---------------------------------------------------------------------


def test_urn_uuid_references_resolve_to_bundle_full_urls(tmp_path: Path) -> None:
    pat_url = "urn:uuid:6edb9f6c-f5ff-5e44-9a93-f9c992d301e1"
    gp_url = "urn:uuid:15f7c0b9-c0e9-537a-9657-9ed9b8d1282b"
    trust_url = "urn:uuid:d8215d52-ad70-51af-aa48-f2b4824be9a3"
    enc_url = "urn:uuid:7b397103-57bf-522d-85b5-39e47db02336"
    # ids differ from anything the references could name, so only the fullUrl can match
    document = {
        "resourceType": "Bundle",
        "type": "document",
        "timestamp": "2024-03-01T21:00:00Z",
        "entry": [
            {
                "fullUrl": "urn:uuid:5fe34415-7070-56a0-ab9a-ddc58f833b71",
                "resource": discharge_summary(encounter_ref={"reference": enc_url}),
            },
            {"fullUrl": pat_url, "resource": patient({"reference": gp_url}, rid="p-x")},
            {
                "fullUrl": enc_url,
                "resource": encounter(
                    "enc-x",
                    subject={"reference": pat_url},
                    provider={"reference": trust_url},
                ),
            },
            {"fullUrl": gp_url, "resource": practice("o-1")},
            {"fullUrl": trust_url, "resource": trust("o-2")},
        ],
    }
    path = write_json(tmp_path / "document.json", document)

    result = check([path], as_of=AS_OF)

    obligation = only(result, "discharge-summary-24h")
    assert obligation.subject == "Encounter/enc-x"
    assert (obligation.owner, obligation.owed_to, obligation.patient) == (
        "RZZ",
        "Y01234",
        NHS_NUMBER,
    )
    assert obligation.fulfilled_at == datetime(2024, 3, 1, 21, 0, tzinfo=UTC)
    assert obligation.status == "met"
    assert counts(result) == (5, 5, 0)
    assert_balanced(result)


def test_absolute_url_references_resolve_by_their_type_and_id(tmp_path: Path) -> None:
    base = "https://fhir.example.nhs.uk/R4"
    write_ndjson(
        tmp_path / "all.ndjson",
        [
            json.dumps(patient({"reference": f"{base}/Organization/gp-riverside"})),
            json.dumps(practice()),
            json.dumps(trust()),
            json.dumps(
                encounter(
                    subject={"reference": f"{base}/Patient/pat-1"},
                    provider={"reference": f"{base}/Organization/trust-northshire/_history/3"},
                )
            ),
            json.dumps(discharge_summary(encounter_ref={"reference": f"{base}/Encounter/enc-1"})),
        ],
    )

    result = check([tmp_path], as_of=AS_OF)

    obligation = only(result, "discharge-summary-24h")
    assert (obligation.owner, obligation.owed_to, obligation.patient) == (
        "RZZ",
        "Y01234",
        NHS_NUMBER,
    )
    assert obligation.fulfilled_at == datetime(2024, 3, 1, 20, 0, tzinfo=UTC)
    assert obligation.status == "met"
    assert_balanced(result)


def test_logical_references_by_identifier_resolve(tmp_path: Path) -> None:
    visit = "https://trust.example.nhs.uk/Id/encounter"
    gp_system = "https://practice.example.nhs.uk/Id/org"
    write_ndjson(
        tmp_path / "all.ndjson",
        [
            # the practice is found only by a non-ODS identifier, so its ODS code must come
            # from resolving it
            json.dumps(patient({"identifier": {"system": gp_system, "value": "riverside"}})),
            json.dumps(
                practice()
                | {
                    "identifier": [
                        {"system": ODS, "value": "Y01234"},
                        {"system": gp_system, "value": "riverside"},
                    ]
                }
            ),
            json.dumps(trust()),
            json.dumps(
                encounter(
                    subject={"identifier": {"system": NHS, "value": NHS_NUMBER}},
                    provider={"identifier": {"system": ODS, "value": "RZZ"}},
                    identifier=[{"system": visit, "value": "V-42"}],
                )
            ),
            json.dumps(
                discharge_summary(encounter_ref={"identifier": {"system": visit, "value": "V-42"}})
            ),
        ],
    )

    result = check([tmp_path], as_of=AS_OF)

    obligation = only(result, "discharge-summary-24h")
    assert obligation.subject == "Encounter/enc-1"
    assert (obligation.owner, obligation.owed_to, obligation.patient) == (
        "RZZ",
        "Y01234",
        NHS_NUMBER,
    )
    assert obligation.fulfilled_at == datetime(2024, 3, 1, 20, 0, tzinfo=UTC)
    assert obligation.evidence == ("Composition/ds-1",)
    assert_balanced(result)


def test_references_resolve_across_files_read_in_one_run(tmp_path: Path) -> None:
    write_json(tmp_path / "1-patient.json", patient())
    (tmp_path / "2-orgs.xml").write_text(BUNDLE_XML)
    write_json(tmp_path / "3-letter.json", discharge_summary())

    result = check([tmp_path], as_of=AS_OF)

    obligation = only(result, "discharge-summary-24h")
    assert obligation.status == "met"
    assert (obligation.owner, obligation.owed_to) == ("RZZ", "Y01234")
    assert counts(result) == (5, 5, 0)
    assert_balanced(result)


def test_ndjson_after_blank_lines_keeps_true_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "export.ndjson"
    path.write_text(
        '\n\n{"resourceType": "Patient", "id": "p1"}\n{"resourceType": "Patient", "id": 7}\n'
    )

    result = check([path], as_of=AS_OF)

    assert [issue.location.line for issue in result.issues] == [4]
    assert result.counts.to_json() == {"received": 2, "accepted": 1, "rejected": 1}


def test_json_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    single = tmp_path / "patient.json"
    single.write_bytes(b'\xef\xbb\xbf{"resourceType": "Patient", "id": "p1"}')
    lines = tmp_path / "patients.ndjson"
    lines.write_bytes(
        b'\xef\xbb\xbf{"resourceType": "Patient", "id": "p1"}\n{"resourceType": "Patient", "id": "p2"}\n'
    )
    pretty = tmp_path / "bundle.json"
    pretty.write_bytes(
        b'\xef\xbb\xbf{\n "resourceType": "Bundle", "type": "collection",\n "entry": []\n}\n'
    )

    for path, received in ((single, 1), (lines, 2), (pretty, 0)):
        result = check([path], as_of=AS_OF)
        assert (result.unreadable_files, result.counts.accepted) == (0, received), path

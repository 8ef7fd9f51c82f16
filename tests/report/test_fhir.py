import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from cases import CASES, as_of, case_id, inputs, policy
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.measure import Measure
from junitparser import JUnitXml

from adapter.engine import check
from adapter.mappings import mappings_dir, shipped
from adapter.model import Counts, Issue, Location, Result
from adapter.report import csv as csv_report
from adapter.report import fhir_xml
from adapter.report import junit as junit_report
from adapter.report.fhir import MEASURE_BASE, POLICY_EXTENSION, RULE_SYSTEM, render
from adapter.rules import RULES
from adapter.xml import fhir_xml_to_json

from .test_csv import AS_OF, obligation, sample_result

RULE_IDS = [
    "discharge-summary-24h",
    "clinic-letter-7d",
    "discharge-medication-7d",
    "shared-care-gp-agreement",
    "fit-note-issued",
    "dna-no-blanket-discharge",
    "onward-referral-by-trust",
    "trust-arranges-own-tests",
    "point-of-contact",
    "referral-complete",
    "referral-rejection-reasoned",
    "advice-and-guidance-response",
    "trust-handles-patient-queries",
]
FHIR_DIR = mappings_dir() / "fhir"


def rendered(result: Result) -> dict:
    data = json.loads(render(result))
    Bundle.model_validate(data)  # every resource valid R4 (R4B models)
    return data


def of_type(bundle: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def populations(report: dict) -> dict[str, int]:
    group = report["group"][0]
    return {p["code"]["coding"][0]["code"]: p["count"] for p in group["population"]}


def test_fhir_report_is_a_valid_collection_bundle_stamped_with_as_of():
    bundle = rendered(sample_result())
    assert bundle["type"] == "collection"
    assert bundle["timestamp"] == "2024-06-01T12:00:00Z"
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])


def test_fhir_report_is_the_same_bytes_when_run_twice():
    assert render(sample_result()) == render(sample_result())


def test_fhir_report_has_one_detected_issue_per_breached_obligation():
    late = obligation(
        "discharge-summary-24h",
        "Encounter/9",
        "breached",
        fulfilled_at=AS_OF - timedelta(hours=1),
        evidence=("Composition/late", "Composition/later"),
        detail="Discharge summary sent 31.5 h after discharge; the limit is 24 h.",
    )
    result = sample_result()
    result.obligations.append(late)
    issues = of_type(rendered(result), "DetectedIssue")
    assert len(issues) == result.summary()["breached"] == 3
    issue = issues[-1]
    assert issue["status"] == "final"
    assert issue["severity"] == "moderate"
    assert issue["code"]["coding"] == [
        {
            "system": RULE_SYSTEM,
            "code": "discharge-summary-24h",
            "display": RULES["discharge-summary-24h"].title,
        }
    ]
    assert issue["patient"]["identifier"] == {
        "system": "https://fhir.nhs.uk/Id/nhs-number",
        "value": "9990000018",
    }
    assert issue["identifiedDateTime"] == "2024-06-01T12:00:00Z"
    assert [r["reference"] for r in issue["implicated"]] == [
        "Encounter/9",
        "Composition/late",
        "Composition/later",
    ]
    assert issue["detail"] == late.detail
    assert issue["reference"] == "https://www.england.nhs.uk/nhs-standard-contract/#SC11.5"
    carried = {e["url"]: e for e in issue["extension"][0]["extension"]}
    assert carried["owner"]["valueIdentifier"]["value"] == "RXQ"
    assert carried["owedTo"]["valueIdentifier"]["value"] == "K81001"
    assert carried["fulfilledAt"]["valueDateTime"] == "2024-06-01T11:00:00Z"


def test_detected_issue_refers_to_a_patient_without_nhs_number_by_reference():
    breach = obligation("point-of-contact", "Composition/c", "breached", patient="Patient/p1")
    bundle = rendered(Result(AS_OF, Counts(1, 1, 0), [breach], []))
    (issue,) = of_type(bundle, "DetectedIssue")
    assert issue["patient"] == {"reference": "Patient/p1"}


def test_fhir_report_has_one_measure_report_per_rule_and_owner():
    result = sample_result()
    result.obligations += [
        obligation("discharge-summary-24h", "Encounter/4", "met", owner="RYY", due=AS_OF),
        obligation("discharge-summary-24h", "Encounter/5", "breached", owner="RYY"),
        obligation("discharge-summary-24h", "Encounter/6", "met", owner="RYY", due=None),
    ]
    reports = of_type(rendered(result), "MeasureReport")
    keys = [
        (
            r["measure"].removeprefix(MEASURE_BASE),
            r.get("reporter", {}).get("identifier", {}).get("value"),
        )
        for r in reports
    ]
    assert keys == [
        ("discharge-medication-7d", "RXQ"),
        ("discharge-summary-24h", "RXQ"),
        ("discharge-summary-24h", "RYY"),
        ("discharge-summary-24h", None),
        ("referral-complete", "K81001"),
    ]
    ds_ryy = reports[2]
    assert ds_ryy["status"] == "complete"
    assert ds_ryy["type"] == "summary"
    assert ds_ryy["date"] == "2024-06-01T12:00:00Z"
    assert populations(ds_ryy) == {
        "initial-population": 3,
        "denominator": 3,
        "numerator": 2,
        "denominator-exclusion": 0,
    }
    assert ds_ryy["group"][0]["measureScore"]["value"] == pytest.approx(2 / 3, abs=1e-4)
    assert ds_ryy["period"] == {"start": "2024-05-31T06:00:00Z", "end": "2024-06-01T12:00:00Z"}
    ds_rxq = reports[1]
    assert populations(ds_rxq) == {
        "initial-population": 2,
        "denominator": 2,
        "numerator": 1,
        "denominator-exclusion": 0,
    }
    assert ds_rxq["group"][0]["measureScore"]["value"] == 0.5


def test_measure_report_without_decided_obligations_has_no_score_and_as_of_period():
    result = sample_result()
    reports = of_type(rendered(result), "MeasureReport")
    unknown_owner = reports[2]  # discharge-summary-24h, owner null: one pending obligation
    assert "reporter" not in unknown_owner
    assert populations(unknown_owner)["denominator"] == 0
    assert "measureScore" not in unknown_owner["group"][0]
    medication = reports[0]  # one not-assessable obligation without due or fulfilled_at
    assert populations(medication)["denominator-exclusion"] == 1
    assert medication["period"] == {"start": "2024-06-01T12:00:00Z", "end": "2024-06-01T12:00:00Z"}


def test_operation_outcome_lists_the_input_issues_with_location_and_expression():
    issues = [
        Issue(
            "error",
            "required",
            Location("in.ndjson", 12, None, "Encounter/abc", "status"),
            "Encounter.status is missing; send one of planned | in-progress | finished",
        ),
        Issue("fatal", "structure", Location("junk.txt"), "not JSON, XML or NDJSON"),
        Issue("warning", "made-up-code", Location(), "odd"),
    ]
    bundle = rendered(Result(AS_OF, Counts(1, 0, 1), [], issues))
    (outcome,) = of_type(bundle, "OperationOutcome")
    first, second, third = outcome["issue"]
    assert first == {
        "severity": "error",
        "code": "required",
        "details": {"text": issues[0].message},
        "location": ["in.ndjson:12 Encounter/abc"],
        "expression": ["Encounter.status"],
    }
    assert second["location"] == ["junk.txt"]
    assert second["severity"] == "fatal"
    assert third["code"] == "processing"
    assert third["details"] == {"text": "odd"}
    assert third["diagnostics"] == "issue code made-up-code"
    assert "location" not in third


def test_operation_outcome_says_no_input_issues_when_there_are_none():
    bundle = rendered(Result(AS_OF, Counts(), [], []))
    (outcome,) = of_type(bundle, "OperationOutcome")
    assert outcome["issue"] == [
        {"severity": "information", "code": "informational", "details": {"text": "no input issues"}}
    ]
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["OperationOutcome"]


def test_a_local_policy_is_recorded_on_the_bundle_meta():
    result = sample_result()
    result.policy = {
        "name": "Example ICB local policy 2024/25",
        "file": "policy.toml",
        "overrides": {
            "rules": {"discharge-medication-7d": {"min_days": 14}},
            "phrases": {"fit-note-issued": ["fit note emailed"]},
        },
    }
    bundle = rendered(result)
    (extension,) = bundle["meta"]["extension"]
    assert extension["url"] == POLICY_EXTENSION
    assert [(e["url"], e["valueString"]) for e in extension["extension"]] == [
        ("name", "Example ICB local policy 2024/25"),
        ("file", "policy.toml"),
        ("override", "rules.discharge-medication-7d.min_days = 14"),
        ("override", 'phrases.fit-note-issued = ["fit note emailed"]'),
    ]


def test_without_a_local_policy_the_bundle_has_no_meta():
    assert "meta" not in rendered(sample_result())


def test_the_rule_code_system_has_exactly_the_rule_ids_with_their_titles():
    data = json.loads((FHIR_DIR / "CodeSystem-interface-rule.json").read_text("utf-8"))
    CodeSystem.model_validate(data)
    codes = [concept["code"] for concept in data["concept"]]
    assert codes == RULE_IDS
    assert sorted(codes) == sorted(shipped("rules")["rules"])
    for concept in data["concept"]:
        rule = RULES[concept["code"]]
        properties = {
            p["code"]: p.get("valueCode", p.get("valueString")) for p in concept["property"]
        }
        assert concept["display"] == rule.title
        assert properties == {"side": rule.side, "domain4": rule.domain4, "clause": rule.clause}
    assert data["url"] == RULE_SYSTEM
    assert data["count"] == len(RULE_IDS)


def test_the_published_fhir_definitions_are_the_ones_the_rule_objects_generate():
    from adapter.report.measures import published

    generated = published()
    on_disk = {p.name for p in FHIR_DIR.glob("*.json")}
    assert on_disk == set(generated), "run python -m adapter.report.measures"
    for name, text in generated.items():
        assert (FHIR_DIR / name).read_text("utf-8") == text, f"{name}: regenerate it"


def test_a_measure_describes_the_rule_with_the_national_defaults():
    from adapter.report.measures import measure

    data = measure(RULES["discharge-summary-24h"])
    Measure.model_validate(data)
    assert "within 24 hours of discharge (parameter max_hours)" in data["description"]
    assert data["name"] == "DischargeSummary24h"
    assert data["group"][0]["description"] == (
        "Obligations of rule discharge-summary-24h owed by one trust."
    )
    assert measure(RULES["referral-complete"])["group"][0]["description"].endswith("one practice.")


@pytest.mark.parametrize("rule", RULE_IDS)
def test_each_rule_has_a_valid_proportion_measure_with_the_rule_title_and_clause(rule):
    data = json.loads((FHIR_DIR / f"Measure-{rule}.json").read_text("utf-8"))
    Measure.model_validate(data)
    assert data["url"] == MEASURE_BASE + rule
    assert data["title"] == RULES[rule].title
    assert data["relatedArtifact"][0]["label"] == RULES[rule].clause
    assert data["scoring"]["coding"][0]["code"] == "proportion"
    codes = [p["code"]["coding"][0]["code"] for p in data["group"][0]["population"]]
    assert codes == ["initial-population", "denominator", "numerator", "denominator-exclusion"]


def test_fhir_report_keeps_unicode_in_the_detail():
    breach = obligation(
        "fit-note-issued", "Encounter/f", "breached", detail="GP asked for a fit note — “Med3”."
    )
    data = render(Result(AS_OF, Counts(1, 1, 0), [breach], []))
    assert "GP asked for a fit note — “Med3”.".encode() in data
    issue = of_type(rendered(Result(AS_OF, Counts(1, 1, 0), [breach], [])), "DetectedIssue")[0]
    assert issue["detail"] == breach.detail


def test_clause_with_an_en_dash_and_the_delivery_plan_get_valid_urls():
    items = [
        obligation(
            "shared-care-gp-agreement", "MedicationRequest/s", "breached", clause="SC11.3–11.4"
        ),
        obligation("point-of-contact", "Composition/p", "breached", clause="Delivery Plan 2023"),
    ]
    bundle = rendered(Result(datetime(2025, 1, 1, tzinfo=UTC), Counts(2, 2, 0), items, []))
    assert [i["reference"] for i in of_type(bundle, "DetectedIssue")] == [
        "https://www.england.nhs.uk/nhs-standard-contract/#SC11.3%E2%80%9311.4",
        "https://www.england.nhs.uk/publication/delivery-plan-for-recovering-access-to-primary-care/",
    ]


def test_fhir_xml_report_reads_back_to_the_json_report():
    result = sample_result()
    result.policy = {"name": "Local", "file": "p.toml", "overrides": {"rules": {"x": {"y": 1}}}}
    result.issues.append(
        Issue("fatal", "structure", Location("junk.txt"), "not JSON <at all> & “odd”")
    )
    data = fhir_xml.render(result)
    assert data.startswith(b"<?xml")
    assert fhir_xml_to_json(data) == json.loads(render(result))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_format_renders_the_result_of_checking_each_fixture(case):
    result = check(inputs(case), as_of=as_of(case), policy=policy(case))
    assert result.counts.to_json() == json.loads((case / "expected.json").read_text())["counts"]
    summary = result.summary()

    table = list(csv.DictReader(io.StringIO(csv_report.render(result).decode(), newline="")))
    assert [(r["rule"], r["subject"], r["status"]) for r in table] == [
        (o.rule, o.subject, o.status) for o in result.obligations
    ]

    xml = JUnitXml.fromstring(junit_report.render(result))
    assert xml.failures == summary["breached"]
    assert xml.skipped == summary["pending"] + summary["not-assessable"]
    assert xml.errors == result.counts.rejected + result.unreadable_files

    bundle = rendered(result)
    assert len(of_type(bundle, "DetectedIssue")) == summary["breached"]
    reports = of_type(bundle, "MeasureReport")
    assert sum(populations(r)["initial-population"] for r in reports) == summary["obligations"]
    assert fhir_xml_to_json(fhir_xml.render(result)) == bundle


def test_the_service_and_the_report_write_the_same_operation_outcome_issue():
    from adapter.api.outcomes import outcome
    from adapter.report.fhir import operation_outcome

    issue = Issue(
        "error",
        "required",
        Location("request", None, "[2]", "Encounter/e1", "status"),
        "Encounter.status is missing",
    )
    served = outcome([issue])["issue"]
    reported = operation_outcome([issue], "2024-06-01T12:00:00Z")["issue"]
    assert (
        served
        == reported
        == [
            {
                "severity": "error",
                "code": "required",
                "details": {"text": "Encounter.status is missing"},
                "location": ["request entry[2] Encounter/e1"],
                "expression": ["Bundle.entry[2].resource.status"],
            }
        ]
    )


def test_the_met_rate_is_met_over_met_plus_breached_in_every_output():
    from adapter.board.aggregate import Options, build_board
    from adapter.board.periods import Period
    from adapter.store.reads import _summary_row

    statuses = ["met", "met", "breached", "pending", "not-assessable"]
    items = [
        obligation("referral-complete", f"ServiceRequest/{i}", s) for i, s in enumerate(statuses)
    ]
    (report,) = of_type(rendered(Result(AS_OF, Counts(5, 5, 0), items, [])), "MeasureReport")
    assert report["group"][0]["measureScore"] == {"value": 0.6667}  # 2 ÷ 3, by hand
    row = _summary_row(
        ["rule"],
        ("referral-complete",),
        {"met": 2, "breached": 1, "pending": 1, "not-assessable": 1},
    )
    assert (row["met_rate"], row["breach_rate"], row["obligations"]) == (0.6667, 0.3333, 5)
    period = Period(AS_OF.date() - timedelta(days=30), AS_OF.date())
    board = build_board(items, period, AS_OF, Options())
    assert board.to_json()["headline"]["practice_side"]["current"]["rate"] == 0.6667

from datetime import UTC, datetime

from junitparser import Error, Failure, JUnitXml, Skipped
from lxml import etree

from adapter.model import Counts, Issue, Location, Result
from adapter.report.junit import render

from .test_csv import AS_OF, obligation, sample_result


def parse(result: Result) -> JUnitXml:
    return JUnitXml.fromstring(render(result))


def suites(xml: JUnitXml) -> dict:
    return {suite.name: suite for suite in xml}


def test_junit_counts_breaches_as_failures_and_pending_or_unassessable_as_skipped():
    result = sample_result()
    xml = parse(result)
    summary = result.summary()
    assert xml.failures == summary["breached"] == 2
    assert xml.skipped == summary["pending"] + summary["not-assessable"] == 2
    assert xml.tests == len(result.obligations) + 1  # one rejected resource
    results = [type(r) for suite in xml for case in suite for r in case.result]
    assert results.count(Failure) == 2
    assert results.count(Skipped) == 2


def test_junit_has_one_suite_per_rule_and_one_case_per_obligation():
    result = sample_result()
    by_name = suites(parse(result))
    assert list(by_name) == [
        "discharge-summary-24h",
        "discharge-medication-7d",
        "referral-complete",
        "input",
    ]
    ds = by_name["discharge-summary-24h"]
    assert (ds.tests, ds.failures, ds.errors, ds.skipped) == (3, 1, 0, 1)
    assert [(c.classname, c.name) for c in ds] == [
        ("discharge-summary-24h", "Encounter/1"),
        ("discharge-summary-24h", "Encounter/2"),
        ("discharge-summary-24h", "Encounter/3"),
    ]
    met = next(iter(ds))
    assert met.is_passed
    breached = list(ds)[1].result[0]
    assert breached.type == "breached"
    assert breached.message.startswith('Sent 31.5 h after discharge, "late"')


def test_junit_makes_one_error_case_per_rejected_resource_joining_its_problems():
    where = Location("in.ndjson", 12, None, "Encounter/abc")
    issues = [
        Issue(
            "error",
            "required",
            Location("in.ndjson", 12, None, "Encounter/abc", "status"),
            "Encounter.status is missing",
        ),
        Issue(
            "error",
            "value",
            Location("in.ndjson", 12, None, "Encounter/abc", "class"),
            "Encounter.class must be a Coding",
        ),
        Issue("error", "structure", Location("b.json", None, "[3]", "Patient/p"), "not an object"),
        Issue("fatal", "structure", Location("junk.txt"), "not JSON, XML or NDJSON"),
        Issue("warning", "not-supported", where, "unmapped code"),
    ]
    result = Result(AS_OF, Counts(3, 1, 2), [], issues)
    data = render(result)
    xml = JUnitXml.fromstring(data)
    (input_suite,) = list(xml)
    assert input_suite.name == "input"
    assert (input_suite.tests, input_suite.errors) == (3, 3)
    cases = {case.name: case.result[0] for case in input_suite}
    assert set(cases) == {"in.ndjson:12 Encounter/abc", "b.json entry[3] Patient/p", "junk.txt"}
    assert all(isinstance(r, Error) for r in cases.values())
    assert cases["in.ndjson:12 Encounter/abc"].message == (
        "Encounter.status is missing; Encounter.class must be a Coding"
    )
    assert cases["junk.txt"].type.startswith("unreadable")
    assert b"unmapped code" in data  # the warning, in system-out


def test_junit_always_has_an_input_suite_even_with_no_issues():
    xml = parse(Result(AS_OF, Counts(), [], []))
    assert [(s.name, s.tests) for s in xml] == [("input", 0)]
    assert xml.tests == 0


def test_junit_drops_characters_xml_cannot_carry_and_keeps_unicode():
    odd = obligation(
        "point-of-contact",
        "Composition/c1",
        "breached",
        detail="No contact \x00\x1b given — café ☎",
        due=datetime(2024, 1, 1, tzinfo=UTC),
    )
    data = render(Result(AS_OF, Counts(1, 1, 0), [odd], []))
    root = etree.fromstring(data)
    assert root.find(".//failure").get("message") == "No contact  given — café ☎"

"""Issue 15, finding 5: extreme but parseable values are located rejections, never a crash
(exit 3). Each case is the minimal input of the finding, run through `referee check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapter.cli import main
from tests.ingest.test_bad_input import collection, context, encounter, medication_request

AS_OF = "2024-03-05T12:00:00Z"


def run(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, Any]:
    code = main(["check", str(path), "--as-of", AS_OF, "--format", "json", "--allow-empty", *extra])
    return code, json.loads(capsys.readouterr().out)


def rejected(body: Any) -> list[tuple[str | None, str]]:
    return [(i["location"].get("field"), i["message"]) for i in body["issues"]]


def dose_timing(**repeat: Any) -> dict[str, Any]:
    med = medication_request(28)
    med["dosageInstruction"][0]["timing"]["repeat"].update(repeat)
    return med


def supply(value: Any) -> dict[str, Any]:
    med = medication_request(28)
    med["dispenseRequest"]["expectedSupplyDuration"] = {"value": value, "code": "d"}
    return med


CASES = [
    # (name, resource, field rejected, expected wording)
    (
        "period end past 9999 once 24 h are added",
        encounter(period={"start": "2024-03-01T08:00:00Z", "end": "9999-12-31"}),
        "period.end",
        "period.end must be a FHIR dateTime such as 2024-03-01T10:30:00Z, in the years "
        "1800 to 8999 (got '9999-12-31')",
    ),
    (
        "period before year 1",
        encounter(period={"start": "0001-01-01", "end": "2024-03-01T10:00:00Z"}),
        "period.start",
        "in the years 1800 to 8999 (got '0001-01-01')",
    ),
    (
        "dose period of 4.9e-324 s",
        dose_timing(period=4.9e-324, periodUnit="s"),
        "dosageInstruction[0].timing.repeat.period",
        "dosageInstruction[0].timing.repeat.period must be zero or at least 1e-09 (got 5e-324)",
    ),
    (
        "supply of 1e300 days",
        supply(1e300),
        "dispenseRequest.expectedSupplyDuration.value",
        "dispenseRequest.expectedSupplyDuration.value must be at most 1e+09 (got 1e+300)",
    ),
    (
        "negative supply",
        supply(-5),
        "dispenseRequest.expectedSupplyDuration.value",
        "dispenseRequest.expectedSupplyDuration.value must be zero or more (got -5.0)",
    ),
    (
        "a Reference whose type is an array",
        encounter(subject={"reference": "Patient/pat-1", "type": ["Patient"]}),
        "subject.type",
        "subject.type must be a string (got an array)",
    ),
]


@pytest.mark.parametrize(
    ("resource", "field", "wording"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_an_extreme_value_is_a_located_rejection_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], resource: Any, field: str, wording: str
) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(collection([*context(), resource])))
    code, body = run(path, capsys)
    assert code == 0  # nothing judged, nothing crashed
    assert body["counts"] == {"received": 4, "accepted": 3, "rejected": 1}
    [(where, message)] = rejected(body)
    assert where == field
    assert message.endswith(wording)


def nested(depth: int, leaf: str = '"x"') -> str:
    return "[" * depth + leaf + "]" * depth


@pytest.mark.parametrize("key", ["resourceType", "id"])
def test_a_value_nested_1000_deep_is_rejected_not_a_recursion_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    resource = json.dumps(encounter(**{key: "@@"})).replace('"@@"', nested(1000))
    path = tmp_path / "in.json"
    path.write_text(
        f'{{"resourceType": "Bundle", "type": "collection", "entry": [{{"resource": {resource}}}]}}'
    )
    code, body = run(path, capsys)
    assert code == 0
    assert body["counts"] == {"received": 1, "accepted": 0, "rejected": 1}
    [(where, message)] = rejected(body)
    if key == "resourceType":
        assert where == "resourceType"
        assert message.endswith(
            "expected a known FHIR R4 resourceType, found resourceType an array"
        )
    else:
        assert where is not None and where.startswith("id[0][0]")
        assert message.endswith("nested deeper than 64 levels; not read")


def test_codings_nested_deep_in_an_extension_are_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    concept = '{"coding": [' * 400 + '{"code": "x"}' + "]}" * 400
    resource = json.dumps(encounter(extension=[{"url": "http://x", "valueCodeableConcept": "@@"}]))
    path = tmp_path / "in.json"
    path.write_text(resource.replace('"@@"', concept))
    code, body = run(path, capsys)
    assert code == 0
    assert body["counts"] == {"received": 1, "accepted": 0, "rejected": 1}
    [(where, message)] = rejected(body)
    assert where is not None and where.startswith("extension[0].valueCodeableConcept.coding[0]")
    assert message.endswith("nested deeper than 64 levels; not read")


def xml_extensions(depth: int) -> str:
    return (
        '<Encounter xmlns="http://hl7.org/fhir"><id value="e1"/>'
        + '<extension url="http://x">' * depth
        + "</extension>" * depth
        + '<status value="finished"/></Encounter>'
    )


@pytest.mark.parametrize("validate", ["rules", "full"])
def test_xml_nested_250_deep_is_rejected_under_either_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], validate: str
) -> None:
    path = tmp_path / "in.xml"
    path.write_text(xml_extensions(250))
    code, body = run(path, capsys, "--validate", validate)
    assert code == 0
    assert body["counts"] == {"received": 1, "accepted": 0, "rejected": 1}
    [(where, message)] = rejected(body)
    assert where is not None and where.startswith("extension[0].extension[0]")
    assert message.endswith("nested deeper than 64 levels; not read")


def test_xml_nested_just_inside_the_limit_is_read_and_fully_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ext = {"url": "http://x", "valueString": "v"}
    for _ in range(30):  # 62 JSON levels
        ext = {"url": "http://x", "extension": [ext]}
    path = tmp_path / "in.json"
    path.write_text(json.dumps(encounter(extension=[ext])))
    code, body = run(path, capsys, "--validate", "full")
    assert code in (0, 1)  # read, validated and judged
    assert body["counts"] == {"received": 1, "accepted": 1, "rejected": 0}
    assert [o["subject"] for o in body["obligations"]] == ["Encounter/enc-1"]


@pytest.mark.parametrize("digits", ["18446744073709551616", "9223372036854775808"])
def test_an_xml_integer_at_or_above_2_to_the_63_is_rejected_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], digits: str
) -> None:
    path = tmp_path / "in.xml"
    path.write_text(
        '<MedicationRequest xmlns="http://hl7.org/fhir"><id value="m1"/>'
        '<status value="active"/><intent value="order"/><category><coding>'
        '<system value="http://terminology.hl7.org/CodeSystem/medicationrequest-category"/>'
        '<code value="discharge"/></coding></category>'
        '<subject><reference value="Patient/p"/></subject>'
        "<dosageInstruction><timing><repeat>"
        f'<frequency value="{digits}"/><period value="1"/><periodUnit value="d"/>'
        "</repeat></timing>"
        '<doseAndRate><doseQuantity><value value="1"/><unit value="tablet"/></doseQuantity>'
        "</doseAndRate></dosageInstruction>"
        '<dispenseRequest><quantity><value value="28"/><unit value="tablet"/></quantity>'
        "</dispenseRequest></MedicationRequest>"
    )
    for validate in ("rules", "full"):
        code, body = run(path, capsys, "--validate", validate)
        assert code == 0
        assert body["counts"] == {"received": 1, "accepted": 0, "rejected": 1}
        fields = [where for where, _ in rejected(body)]
        assert "dosageInstruction[0].timing.repeat.frequency" in fields

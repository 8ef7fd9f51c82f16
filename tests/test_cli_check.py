"""`referee check` exit codes, options and output shape (rules.md §7), through
`adapter.cli.main` and a few real runs of the installed `referee` command."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapter.cli import build_parser, main

AS_OF = "2024-03-05T12:00:00Z"  # discharge 2024-03-01T10:00Z + 24 h is long past
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
REFEREE = Path(sys.executable).parent / "referee"

OBLIGATION_FIELDS = [
    "rule",
    "status",
    "subject",
    "patient",
    "owner",
    "owed_to",
    "due",
    "fulfilled_at",
    "evidence",
    "detail",
    "domain4",
    "clause",
    "edition",  # the contract edition that judged it: the project's extension (contract §11.4)
]


# -- synthetic inputs -----------------------------------------------------------------------------


def context() -> list[dict[str, Any]]:
    return [
        {
            "resourceType": "Patient",
            "id": "pat-1",
            "identifier": [{"system": NHS, "value": "9990011117"}],
            "generalPractitioner": [{"reference": "Organization/gp-riverside"}],
        },
        {
            "resourceType": "Organization",
            "id": "gp-riverside",
            "identifier": [{"system": ODS, "value": "Y01234"}],
        },
        {
            "resourceType": "Organization",
            "id": "trust-northshire",
            "identifier": [{"system": ODS, "value": "RZZ"}],
        },
    ]


def encounter(rid: str = "enc-1") -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/pat-1"},
        "period": {"start": "2024-02-28T12:00:00Z", "end": "2024-03-01T10:00:00Z"},
        "serviceProvider": {"reference": "Organization/trust-northshire"},
    }


def discharge_summary(encounter_id: str = "enc-1") -> dict[str, Any]:
    contact = "<p>Ward 7: 01632 960123.</p>"
    return {
        "resourceType": "Composition",
        "id": f"ds-{encounter_id}",
        "status": "final",
        "type": {"coding": [{"system": "http://snomed.info/sct", "code": "373942005"}]},
        "subject": {"reference": "Patient/pat-1"},
        "date": "2024-03-01T20:00:00Z",
        "author": [{"display": "Dr Sam Jones"}],
        "encounter": {"reference": f"Encounter/{encounter_id}"},
        "custodian": {"reference": "Organization/trust-northshire"},
        "section": [
            {
                "code": {
                    "coding": [
                        {
                            "system": "https://fhir.hl7.org.uk/CodeSystem/"
                            "UKCore-RecordStandardHeadings",
                            "code": "contact-for-further-information",
                        }
                    ]
                },
                "text": {
                    "status": "additional",
                    "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{contact}</div>',
                },
            }
        ],
    }


INVALID_ENCOUNTER = {"resourceType": "Encounter", "id": "enc-bad"}  # no status, no class


def ndjson(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    return path


@pytest.fixture
def met(tmp_path: Path) -> Path:
    """One discharge summary sent 10 h after discharge: every obligation met."""
    return ndjson(tmp_path / "met.ndjson", [*context(), encounter(), discharge_summary()])


@pytest.fixture
def breached(tmp_path: Path) -> Path:
    """A finished inpatient stay with no discharge summary, long after the 24 h."""
    return ndjson(tmp_path / "breached.ndjson", [*context(), encounter()])


@pytest.fixture
def met_with_invalid(tmp_path: Path) -> Path:
    """As `met`, plus one resource that is rejected (readable file)."""
    resources = [*context(), encounter(), discharge_summary(), INVALID_ENCOUNTER]
    return ndjson(tmp_path / "met-invalid.ndjson", resources)


@pytest.fixture
def unreadable(tmp_path: Path) -> Path:
    path = tmp_path / "broken.json"
    path.write_text('{"resourceType": "Patient", ')
    return path


def check(*args: str | Path) -> int:
    return main(["check", *map(str, args), "--as-of", AS_OF])


# -- exit codes -------------------------------------------------------------------------------------


def test_exit_0_when_nothing_is_breached(met: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(met) == 0
    assert "Resources: 5 received, 5 accepted, 0 rejected" in capsys.readouterr().out


def test_exit_1_when_an_obligation_is_breached(
    breached: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(breached) == 1
    assert "Breaches (1):" in capsys.readouterr().out


def test_exit_2_for_an_unreadable_file(unreadable: Path) -> None:
    assert check(unreadable) == 2


def test_exit_2_for_a_file_that_does_not_exist(tmp_path: Path) -> None:
    assert check(tmp_path / "missing.json") == 2


def test_exit_2_for_xml_with_a_doctype(tmp_path: Path) -> None:
    path = tmp_path / "entity.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE Patient [<!ENTITY x "y">]>\n'
        '<Patient xmlns="http://hl7.org/fhir"><id value="p1"/></Patient>\n'
    )
    assert check(path) == 2


def test_unreadable_file_beats_a_breach_highest_code_wins(
    breached: Path, unreadable: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(breached, unreadable, "--format", "json") == 2
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["breached"] == 1  # the readable file was still judged
    assert out["counts"] == {"received": 4, "accepted": 4, "rejected": 0}


def test_invalid_resource_without_strict_follows_the_breaches_exit_0(
    met_with_invalid: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(met_with_invalid, "--format", "json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"] == {"received": 6, "accepted": 5, "rejected": 1}
    assert {i["location"]["resource"] for i in out["issues"]} == {"Encounter/enc-bad"}


def test_invalid_resource_without_strict_follows_the_breaches_exit_1(
    breached: Path, tmp_path: Path
) -> None:
    invalid = ndjson(tmp_path / "invalid.ndjson", [INVALID_ENCOUNTER])
    assert check(breached, invalid) == 1


def test_strict_makes_a_rejected_resource_exit_2(met_with_invalid: Path) -> None:
    assert check(met_with_invalid, "--strict") == 2


def test_strict_with_a_rejected_resource_beats_a_breach(breached: Path, tmp_path: Path) -> None:
    invalid = ndjson(tmp_path / "invalid.ndjson", [INVALID_ENCOUNTER])
    assert check(breached, invalid, "--strict") == 2


def test_strict_without_rejections_follows_the_breaches(met: Path, breached: Path) -> None:
    assert check(met, "--strict") == 0
    assert check(breached, "--strict") == 1


def test_invalid_as_of_is_bad_usage_with_the_argparse_message(
    met: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["check", str(met), "--as-of", "tomorrow"])

    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        "referee check: argument --as-of: expected an instant such as 2025-03-31T17:00:00Z "
        "or a date such as 2025-03-31, got 'tomorrow'; see 'referee check --help'\n"
    )


def test_missing_path_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["check"])

    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        "referee check: the following arguments are required: PATH; see 'referee check --help'\n"
    )


def test_unknown_format_is_bad_usage(met: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["check", str(met), "--format", "yaml"])

    assert stopped.value.code == 2


def test_policy_file_that_does_not_exist_exits_2_with_a_message(
    met: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"

    assert check(met, "--policy", missing) == 2
    assert capsys.readouterr().err == (
        f"referee: {missing}: cannot be read: No such file or directory\n"
    )


def test_as_of_moves_the_judgement(breached: Path) -> None:
    # due is 2024-03-02T10:00Z: pending (exit 0) at the due instant, breached one second later
    assert main(["check", str(breached), "--as-of", "2024-03-02T10:00:00Z"]) == 0
    assert main(["check", str(breached), "--as-of", "2024-03-02T10:00:01Z"]) == 1


def test_validate_full_also_rejects_elements_no_rule_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = {"resourceType": "Patient", "id": "p-odd", "notAnElement": 1}
    path = ndjson(tmp_path / "odd.ndjson", [odd])

    assert check(path, "--strict", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["counts"]["rejected"] == 0

    assert check(path, "--strict", "--format", "json", "--validate", "full") == 2
    out = json.loads(capsys.readouterr().out)
    assert out["counts"] == {"received": 1, "accepted": 0, "rejected": 1}
    [issue] = out["issues"]
    assert issue["location"] == {
        "file": str(path),
        "line": 1,
        "resource": "Patient/p-odd",
        "field": "notAnElement",
    }
    assert issue["message"].startswith(f"{path}:1 Patient/p-odd: ")


# -- output ---------------------------------------------------------------------------------------


def test_output_file_receives_the_report_and_stdout_stays_empty(
    breached: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.json"

    assert check(breached, "--format", "json", "--output", target) == 1

    assert capsys.readouterr().out == ""
    body = json.loads(target.read_text())
    assert body["summary"]["breached"] == 1


def test_json_format_has_exactly_the_published_shape(
    breached: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    invalid = ndjson(tmp_path / "invalid.ndjson", [INVALID_ENCOUNTER])

    assert check(breached, invalid, "--format", "json") == 1

    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["as_of", "counts", "summary", "obligations", "issues"]
    assert out["as_of"] == AS_OF
    assert out["counts"] == {"received": 5, "accepted": 4, "rejected": 1}
    assert out["summary"] == {
        "obligations": 1,
        "met": 0,
        "breached": 1,
        "pending": 0,
        "not-assessable": 0,
    }
    [obligation] = out["obligations"]
    assert list(obligation) == OBLIGATION_FIELDS
    assert {k: v for k, v in obligation.items() if k != "detail"} == {
        "rule": "discharge-summary-24h",
        "status": "breached",
        "subject": "Encounter/enc-1",
        "patient": "9990011117",
        "owner": "RZZ",
        "owed_to": "Y01234",
        "due": "2024-03-02T10:00:00Z",
        "fulfilled_at": None,
        "evidence": [],
        "domain4": "complete-care",
        "clause": "SC11.5",
        "edition": "2023/24",
    }
    assert obligation["detail"]
    assert [list(issue) for issue in out["issues"]] == [
        ["severity", "code", "location", "message"]
    ] * 2
    assert out["issues"][0]["location"] == {
        "file": str(invalid),
        "line": 1,
        "resource": "Encounter/enc-bad",
        "field": "status",
    }


def test_json_obligations_are_sorted_by_rule_then_subject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = [*context(), encounter("enc-b"), encounter("enc-a"), discharge_summary("enc-b")]
    path = ndjson(tmp_path / "two.ndjson", resources)

    check(path, "--format", "json")

    out = json.loads(capsys.readouterr().out)
    keys = [(o["rule"], o["subject"]) for o in out["obligations"]]
    assert keys == sorted(keys)
    assert keys == [
        ("discharge-summary-24h", "Encounter/enc-a"),
        ("discharge-summary-24h", "Encounter/enc-b"),
        ("point-of-contact", "Composition/ds-enc-b"),
    ]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "fhir", "junit"])
def test_every_published_format_is_accepted_and_prints_something(
    fmt: str, breached: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(breached, "--format", fmt) == 1
    assert capsys.readouterr().out.strip()


# -- the installed command ----------------------------------------------------------------------------


def test_installed_referee_command_exits_1_on_a_breach_with_json_on_stdout(
    breached: Path,
) -> None:
    done = subprocess.run(
        [str(REFEREE), "check", str(breached), "--as-of", AS_OF, "--format", "json"],
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1, done.stderr.decode()
    assert json.loads(done.stdout)["summary"]["breached"] == 1


def test_installed_referee_command_exits_2_on_an_unreadable_file(unreadable: Path) -> None:
    done = subprocess.run(
        [str(REFEREE), "check", str(unreadable), "--as-of", AS_OF],
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2, done.stderr.decode()


def test_python_dash_m_adapter_help_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "adapter", "--help"],
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert out.startswith("usage: referee ")
    assert "check" in out


def test_check_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["check", "--help"])

    assert stopped.value.code == 0
    out = capsys.readouterr().out
    for line in ("0  no breach", "1  at least one breach", "3  an internal error"):
        assert line in out
    for option in ("--as-of", "--policy", "--format", "--out", "--strict", "--allow-empty"):
        assert option in out


# -- every sub-command documents itself ------------------------------------------------------------


def subcommands() -> dict[str, tuple[str | None, argparse.ArgumentParser]]:
    parser = build_parser(full=True)
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    return {name: (helps.get(name), sub) for name, sub in action.choices.items()}


def test_check_is_registered_as_a_sub_command() -> None:
    assert "check" in subcommands()


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_sub_command_has_help_text(name: str) -> None:
    summary, parser = subcommands()[name]
    assert summary and summary.strip(), f"referee {name} has no one-line help"
    assert parser.description and parser.description.strip(), f"referee {name}: no description"
    assert parser.format_help().strip()


def test_edition_forces_one_contract_edition_and_an_unknown_one_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = Path(__file__).resolve().parents[1] / "fixtures/rules/clinic-letter-7d"
    attendance = case / "04-attendance-2017-06-uses-10-days/input.json"
    as_of = ["--as-of", "2017-07-01T12:00:00Z", "--format", "json"]

    assert main(["check", str(attendance), *as_of]) == 0
    judged = json.loads(capsys.readouterr().out)["obligations"]
    assert {(o["rule"], o["status"], o["edition"]) for o in judged} == {
        ("clinic-letter-7d", "met", "2017/19"),  # 9 days within the 10 then in force
        ("point-of-contact", "met", "2017/19"),
    }
    assert main(["check", str(attendance), *as_of, "--edition", "2025/26"]) == 1
    out = json.loads(capsys.readouterr().out)
    letter = next(o for o in out["obligations"] if o["rule"] == "clinic-letter-7d")
    assert (letter["status"], letter["edition"]) == ("breached", "2025/26")
    assert out["policy"] == {"edition": "2025/26"}

    with pytest.raises(SystemExit) as exited:
        main(["check", str(attendance), "--edition", "2030/31"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "unknown contract edition '2030/31'; known editions: 2016/17, 2017/19" in err

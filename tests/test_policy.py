"""Local policy files (--policy): overrides change outcomes; bad policies are clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapter.cli import main
from adapter.engine import check
from adapter.errors import PolicyError
from adapter.policy import load_policy

AS_OF = datetime(2024, 6, 1, tzinfo=UTC)


def supply_of(days: int) -> dict[str, object]:
    """A discharge MedicationRequest supplying `days` days."""
    return {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
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
        "subject": {"reference": "Patient/p1"},
        "requester": {
            "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RZZ"}
        },
        "medicationCodeableConcept": {"text": "Amlodipine 5mg tablets"},
        "dispenseRequest": {
            "expectedSupplyDuration": {
                "value": days,
                "unit": "days",
                "system": "http://unitsofmeasure.org",
                "code": "d",
            }
        },
    }


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def status(result_path: Path, policy: Path | None) -> str:
    result = check([result_path], as_of=AS_OF, policy=load_policy(policy))
    return result.obligations[0].status


def test_the_same_supply_is_met_at_7_days_and_breached_under_a_14_day_policy(
    tmp_path: Path,
) -> None:
    data = write(tmp_path, "mr.json", json.dumps(supply_of(10)))
    policy = write(
        tmp_path,
        "icb.toml",
        'name = "Example ICB local policy 2024/25"\n'
        "[rules.discharge-medication-7d]\nmin_days = 14\n",
    )

    assert status(data, None) == "met"
    assert status(data, policy) == "breached"


def test_policy_name_and_overrides_appear_in_the_json_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write(tmp_path, "mr.json", json.dumps(supply_of(10)))
    policy = write(
        tmp_path,
        "icb.toml",
        'name = "Example ICB"\n[rules.discharge-medication-7d]\nmin_days = 14\n',
    )

    code = main(
        [
            "check",
            str(data),
            "--as-of",
            "2024-06-01T00:00:00Z",
            "--policy",
            str(policy),
            "--format",
            "json",
        ]
    )

    body = json.loads(capsys.readouterr().out)
    assert code == 1
    assert body["policy"] == {
        "name": "Example ICB",
        "file": str(policy),
        "overrides": {"rules.discharge-medication-7d.min_days": 14},
    }


def test_clinic_letter_schedule_can_be_overridden_by_a_dated_policy(tmp_path: Path) -> None:
    policy = write(
        tmp_path,
        "p.toml",
        "[rules.clinic-letter-7d]\nschedule = "
        '[{from = "2016-04-01", max_days = 14}, {from = "2024-01-01", max_days = 3}]\n',
    )
    params = load_policy(policy).params["clinic-letter-7d"]
    assert params.max_days_on(datetime(2023, 12, 31).date()) == 14  # type: ignore[attr-defined]
    assert params.max_days_on(datetime(2024, 1, 1).date()) == 3  # type: ignore[attr-defined]


def test_phrase_additions_extend_the_national_list(tmp_path: Path) -> None:
    policy = write(tmp_path, "p.toml", '[phrases]\nfit-note-issued = ["fit note emailed"]\n')
    phrases = load_policy(policy).phrases["fit-note-issued"]
    assert phrases.search("Fit note emailed to the patient.")
    assert phrases.search("Fit note issued for 2 weeks.")


def test_code_additions_let_a_local_document_type_count_as_a_discharge_summary(
    tmp_path: Path,
) -> None:
    policy = write(
        tmp_path, "p.toml", '[codes]\ndischarge-summary-types = ["https://trust.example/doc|DS"]\n'
    )
    assert "https://trust.example/doc|DS" in load_policy(policy).codes["discharge-summary-types"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[rules.discharge-medication-7d]\nmin_dayz = 3\n",
            "p.toml:2: rules.discharge-medication-7d.min_dayz: Extra inputs are not permitted (got 3)",
        ),
        (
            '[rules.discharge-medication-7d]\nmin_days = "two"\n',
            "p.toml:2: rules.discharge-medication-7d.min_days: Input should be a valid number (got 'two')",
        ),
        (
            "[rules.no-such-rule]\nx = 1\n",
            "p.toml:1: rules.no-such-rule: unknown rule; known rules: discharge-summary-24h, "
            "clinic-letter-7d, discharge-medication-7d, shared-care-gp-agreement, fit-note-issued, "
            "dna-no-blanket-discharge, onward-referral-by-trust, trust-arranges-own-tests, "
            "point-of-contact, referral-complete, referral-rejection-reasoned, "
            "advice-and-guidance-response, trust-handles-patient-queries",
        ),
        (
            "rulez = 1\n",
            "p.toml:1: rulez: unknown top-level key; expected one of "
            "['codes', 'name', 'phrases', 'rules', 'trusts']",
        ),
        (
            '[phrases]\nfit-note-issued = ["(unclosed"]\n',
            "p.toml:2: phrases.fit-note-issued: bad regular expression: missing ), unterminated "
            "subpattern at position 0",
        ),
    ],
)
def test_a_bad_policy_is_an_error_naming_file_line_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    policy = write(tmp_path, "p.toml", text)
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert caught.value.message == f"{tmp_path}/{message}"


def test_a_bad_policy_exits_2_with_the_message_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(tmp_path, "p.toml", "[rules.discharge-medication-7d]\nmin_dayz = 3\n")
    data = write(tmp_path, "mr.json", json.dumps(supply_of(10)))

    code = main(["check", str(data), "--policy", str(policy)])

    assert code == 2
    assert capsys.readouterr().err == (
        f"referee: {policy}:2: rules.discharge-medication-7d.min_dayz: "
        "Extra inputs are not permitted (got 3)\n"
    )


def test_referee_rules_lists_every_rule_with_parameters_under_the_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(
        tmp_path, "p.toml", 'name = "Example ICB"\n[rules.discharge-medication-7d]\nmin_days = 14\n'
    )

    assert main(["rules", "--policy", str(policy), "--format", "json"]) == 0

    listed = json.loads(capsys.readouterr().out)
    from adapter.rules import RULES

    assert [r["id"] for r in listed] == list(RULES)
    medication = next(r for r in listed if r["id"] == "discharge-medication-7d")
    assert medication["parameters"] == {"min_days": 14.0}
    assert medication["overridden"] == ["min_days"]


def test_referee_rules_rule_prints_its_documentation_with_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["rules", "clinic-letter-7d"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("clinic-letter-7d: Clinic letter sent to the practice within 7 days")
    assert "Met, for example:" in page and "Breached, for example:" in page
    assert "parameters: max_days=7; schedule=none" in page
    assert (
        "contract editions: exists from 2016/17; max_days: 14 (2016/17, from 2016-04-01), "
        "10 (2017/19, from 2017-04-01), 7 (2017/19, from 2018-04-01)"
    ) in page


def test_referee_rules_unknown_rule_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "no-such-rule"]) == 2
    assert capsys.readouterr().err.startswith("referee: unknown rule 'no-such-rule'; known rules:")


def test_every_rule_documents_itself_and_has_parameters() -> None:
    from adapter.rules import CATALOGUE, PARAMS

    for rule in CATALOGUE:
        assert rule.id in PARAMS
        assert rule.title and rule.why and rule.met_example and rule.breached_example
        assert rule.evaluate.__module__.endswith(rule.id.replace("-", "_"))


LOCAL_VALUES = """
name = "Local values"
[rules.discharge-summary-24h]
max_hours = 48
[rules.clinic-letter-7d]
schedule = [{ from = "2016-04-01", max_days = 14 }, { from = "2024-04-01", max_days = 5 }]
[rules.discharge-medication-7d]
min_days = 14
[rules.dna-no-blanket-discharge]
min_dnas_before_discharge = 3
adult_age_years = 16
"""


def test_a_policy_s_values_show_in_the_board_titles_and_definitions(tmp_path: Path) -> None:
    from adapter.board.method import rule_methods

    policy = load_policy(write(tmp_path, "local.toml", LOCAL_VALUES))
    worded = {m.info.rule: (m.info.title, m.info.definition) for m in rule_methods(policy)}
    assert worded["discharge-summary-24h"] == (
        "Discharge summary within 48 hours",
        "After inpatient, day-case or A&E care the trust sends the practice a final discharge "
        "summary within max_hours (48) of discharge.",
    )
    assert worded["clinic-letter-7d"][0] == "Clinic letter within 5 days"
    assert worded["clinic-letter-7d"][1].endswith("(5 days from April 2024).")
    assert worded["discharge-medication-7d"][0] == "At least 14 days' medicines on discharge"
    assert "min_days (14)" in worded["discharge-medication-7d"][1]
    assert worded["dna-no-blanket-discharge"][1] == (
        "A patient who did not attend is discharged back to the GP only if an adult (aged 16 or "
        "over) and after at least min_dnas_before_discharge (3) missed appointments on the "
        "referral."
    )


def test_without_a_policy_the_board_words_the_national_values() -> None:
    from adapter.board.catalogue import info

    assert info("discharge-summary-24h").title == "Discharge summary within 24 hours"
    assert info("clinic-letter-7d").definition.endswith("(7 days from April 2018).")
    assert "min_days (7)" in info("discharge-medication-7d").definition
    assert "min_dnas_before_discharge (2)" in info("dna-no-blanket-discharge").definition


def test_a_policy_s_values_show_in_the_board_page(tmp_path: Path) -> None:
    from adapter.board.aggregate import Options, build_board
    from adapter.board.html import render_html
    from adapter.board.periods import Period

    policy = load_policy(write(tmp_path, "local.toml", LOCAL_VALUES))
    period = Period(datetime(2024, 4, 1).date(), datetime(2024, 4, 30).date())
    board = build_board([], period, AS_OF, Options(policy=policy))
    page = render_html(board)
    assert "Discharge summary within 48 hours" in page
    assert "Discharge summary within 24 hours" not in page
    assert "summary within max_hours (48) of discharge." in page
    assert board.info("clinic-letter-7d").title == "Clinic letter within 5 days"


def test_a_policy_s_values_show_in_referee_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "local.toml", LOCAL_VALUES)
    assert main(["rules", "discharge-summary-24h", "--policy", str(path)]) == 0
    page = capsys.readouterr().out
    assert "parameters: max_hours=48 (overridden by Local values: max_hours)" in page
    assert "the GP within 48 hours of\n  discharge (parameter max_hours)." in page
    assert main(["rules", "--policy", str(path), "--format", "json"]) == 0
    described = {d["id"]: d for d in json.loads(capsys.readouterr().out)}
    assert described["dna-no-blanket-discharge"]["parameters"] == {
        "min_dnas_before_discharge": 3,
        "adult_age_years": 16,
        "same_referral_window_days": 365,
    }
    assert "within 48 hours of discharge" in described["discharge-summary-24h"]["definition"]


def test_a_discharge_with_no_end_names_the_policy_s_limit(tmp_path: Path) -> None:
    encounter = {
        "resourceType": "Encounter",
        "id": "e-1",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/p1"},
        # a known owner, or the detail would first say the owner is unknown (contract.md §4)
        "serviceProvider": {
            "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RZZ"}
        },
        "period": {"start": "2024-05-01T10:00:00Z"},
    }
    source = write(tmp_path, "e.json", json.dumps(encounter))
    local = load_policy(write(tmp_path, "local.toml", LOCAL_VALUES))
    national = check([source], as_of=AS_OF, policy=load_policy(None)).obligations[0]
    judged = check([source], as_of=AS_OF, policy=local).obligations[0]
    assert (national.status, judged.status) == ("not-assessable", "not-assessable")
    assert national.detail == (
        "The encounter has no discharge time (period.end), so the 24 h limit cannot be judged."
    )
    assert judged.detail == (
        "The encounter has no discharge time (period.end), so the 48 h limit cannot be judged."
    )


def test_every_rule_s_defaults_live_in_rules_toml_and_its_tables_exist() -> None:
    from adapter.mappings import shipped
    from adapter.rules import CATALOGUE

    national = load_policy(None)
    codes, phrases = shipped("codes")["codes"], shipped("phrases")["phrases"]
    assert [r.id for r in CATALOGUE] == list(shipped("rules")["rules"])
    for rule in CATALOGUE:
        assert rule.defaults == national.params[rule.id]
        assert set(rule.codes) <= set(codes), rule.id
        assert set(rule.phrases) <= set(phrases), rule.id
        for field in rule.params.model_fields.values():
            assert field.is_required(), f"{rule.id}: a default belongs in rules.toml"

"""`referee synth`: deterministic, streaming, valid UK Core R4, and — the point of it — the
truth it writes is exactly what the engine finds in the data (rules.md §5)."""

from __future__ import annotations

import importlib
import re
import tempfile
import tomllib
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapter import engine
from adapter.cli import main
from adapter.synth import RULES, generate, narrative
from adapter.synth.clock import parse_instant
from adapter.synth.population import NHS_NUMBER, is_valid_nhs_number

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-03-29T01:30:00Z"  # the night the clocks go forward in London


def _synth(tmp: Path, name: str, **kwargs: object) -> Path:
    params: dict[str, object] = {
        "patients": 150,
        "months": 12,
        "seed": 7,
        "progress": False,
        "as_of": parse_instant(AS_OF),
    }
    params.update(kwargs)
    out = tmp / name
    generate(out, **params)  # type: ignore[arg-type]
    return out


def _files(out: Path) -> dict[str, bytes]:
    found = {p.name: p.read_bytes() for p in sorted(out.glob("*.ndjson"))}
    found["truth"] = out.with_name(out.name + ".truth.ndjson").read_bytes()
    return found


def _truth(out: Path) -> set[tuple[str, str, str]]:
    lines = out.with_name(out.name + ".truth.ndjson").read_bytes().splitlines()
    return {(t["rule"], t["subject"], t["status"]) for t in map(orjson.loads, lines)}


def _resources(out: Path) -> list[dict[str, object]]:
    return [
        orjson.loads(line)
        for p in sorted(out.glob("*.ndjson"))
        for line in p.read_bytes().splitlines()
    ]


# --- determinism and layout -------------------------------------------------------------


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    first = _files(_synth(tmp_path, "a", local_times=True))
    second = _files(_synth(tmp_path, "b", local_times=True))
    assert first == second


def test_different_seed_writes_different_files(tmp_path: Path) -> None:
    assert _files(_synth(tmp_path, "a")) != _files(_synth(tmp_path, "b", seed=8))


def test_bulk_layout_is_one_ndjson_file_per_type_and_the_truth_sits_outside(tmp_path: Path) -> None:
    out = _synth(tmp_path, "icb")
    for path in out.iterdir():
        kinds = {orjson.loads(line)["resourceType"] for line in path.read_bytes().splitlines()}
        assert kinds == {path.stem}
    assert {
        "Patient.ndjson",
        "Organization.ndjson",
        "Encounter.ndjson",
        "Composition.ndjson",
        "ServiceRequest.ndjson",
        "MedicationRequest.ndjson",
        "Task.ndjson",
    } <= {p.name for p in out.iterdir()}
    assert (tmp_path / "icb.truth.ndjson").exists()


# --- valid, synthetic FHIR --------------------------------------------------------------


def test_every_resource_is_valid_r4(tmp_path: Path) -> None:
    out = _synth(tmp_path, "icb", patients=200)
    for resource in _resources(out):
        kind = str(resource["resourceType"])
        model = getattr(importlib.import_module(f"fhir.resources.R4B.{kind.lower()}"), kind)
        model.model_validate(resource)


def test_nhs_numbers_are_distinct_valid_and_from_the_test_range(tmp_path: Path) -> None:
    out = _synth(tmp_path, "icb", patients=300)
    numbers = [
        i["value"]
        for r in _resources(out)
        if r["resourceType"] == "Patient"
        for i in r["identifier"]
        if i["system"] == NHS_NUMBER
    ]
    assert len(numbers) == len(set(numbers)) == 300
    assert all(n.startswith("999") and is_valid_nhs_number(n) for n in numbers)


def test_ods_codes_are_made_up_shapes(tmp_path: Path) -> None:
    out = _synth(tmp_path, "icb", patients=50)
    codes = [
        i["value"]
        for r in _resources(out)
        if r["resourceType"] == "Organization"
        for i in r["identifier"]
    ]
    assert all(re.fullmatch(r"Y\d{5}|RZ\d(\d\d)?|NX\d", c) for c in codes), codes


# --- narrative: filler never speaks a phrase, rule sentences always do --------------------


def _phrases() -> dict[str, list[list[re.Pattern[str]]]]:
    data = tomllib.loads((ROOT / "mappings" / "phrases.toml").read_text())
    gp = data["macros"]["GP"]

    def compile_(entry: str | list[str]) -> list[re.Pattern[str]]:
        parts = [entry] if isinstance(entry, str) else entry
        return [re.compile(p.replace("{GP}", gp), re.IGNORECASE) for p in parts]

    # document-fit-note and fit-note-coded-issued are read from codings, never a sentence
    return {
        name: [compile_(e) for e in entries]
        for name, entries in data["phrases"].items()
        if name not in ("document-fit-note", "fit-note-coded-issued")
    }


def _matches(sentence: str) -> set[str]:
    return {
        name
        for name, entries in _phrases().items()
        if any(all(p.search(sentence) for p in entry) for entry in entries)
    }


FILLER = (
    narrative.FILLER_HISTORY
    + narrative.FILLER_SUMMARY
    + narrative.DIAGNOSES_CLINIC
    + narrative.DIAGNOSES_STAY
    + (narrative.OPENING_CLINIC,)
    + narrative.FILLER_AE
    + narrative.FILLER_PLAN
    + narrative.FILLER_ADVICE
    + narrative.FILLER_DNA
    + narrative.FILLER_DNA_REBOOK
    + narrative.CONTACT_NONE
    + narrative.MEDICATION_LINES
)


@pytest.mark.parametrize("sentence", FILLER)
def test_filler_sentence_matches_no_phrase_list(sentence: str) -> None:
    assert _matches(sentence) == set()


@pytest.mark.parametrize("sentence", narrative.FILLER_INPATIENT)
def test_inpatient_filler_matches_at_most_discharged(sentence: str) -> None:
    assert _matches(sentence) <= {"discharged-after-dna"}


RULE_SENTENCES = [
    *((s, {"fit-note-not-needed", "fit-note-needed"}) for s in narrative.FIT_NOT_NEEDED),
    *((s, {"fit-note-asked-of-gp", "fit-note-needed"}) for s in narrative.FIT_ASKED_OF_GP),
    *((s, {"fit-note-issued", "fit-note-needed"}) for s in narrative.FIT_ISSUED),
    *((s, {"gp-asked-to-refer", "unrelated"}) for s in narrative.ASK_REFER_UNRELATED),
    *((s, {"gp-asked-to-test"}) for s in narrative.ASK_TEST),
]


@pytest.mark.parametrize(("sentence", "expected"), RULE_SENTENCES)
def test_rule_sentence_matches_exactly_its_phrase_lists(sentence: str, expected: set[str]) -> None:
    assert _matches(sentence) == expected


@pytest.mark.parametrize("sentence", narrative.ASK_REFER_RELATED + narrative.ASK_REFER_URGENT)
def test_related_or_urgent_ask_to_refer_is_read_as_such(sentence: str) -> None:
    found = _matches(sentence)
    assert "gp-asked-to-refer" in found
    assert "urgent" in found or "unrelated" not in found


@pytest.mark.parametrize("sentence", narrative.FIT_NEEDED)
def test_fit_note_needed_sentence_says_only_needed(sentence: str) -> None:
    assert _matches(sentence) == {"fit-note-needed"}


@pytest.mark.parametrize("sentence", narrative.DNA_DISCHARGED)
def test_dna_discharge_sentence_never_asks_the_gp(sentence: str) -> None:
    assert _matches(sentence) == {"discharged-after-dna"}


# --- streaming --------------------------------------------------------------------------


@pytest.mark.slow
def test_memory_does_not_grow_with_the_number_of_patients(tmp_path: Path) -> None:
    peaks = []
    for n in (200, 1000):
        tracemalloc.start()
        _synth(tmp_path, f"n{n}", patients=n)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 2 + 1_000_000, peaks


# --- the command ------------------------------------------------------------------------


def test_synth_command_writes_files_and_summarises_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "synth",
            "--patients",
            "20",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "icb"),
            "--as-of",
            AS_OF,
            "--breach-rate",
            "referral-complete=1",
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("synth: wrote ") and "obligations" in out
    statuses = {s for r, _, s in _truth(tmp_path / "icb") if r == "referral-complete"}
    assert statuses == {"breached"}


def test_a_zero_breach_rate_means_no_breach_of_that_rule(tmp_path: Path) -> None:
    out = _synth(tmp_path, "icb", patients=300, breach_rates={"discharge-summary-24h": 0})
    statuses = {s for r, _, s in _truth(out) if r == "discharge-summary-24h"}
    assert "breached" not in statuses and "met" in statuses


def test_synth_command_refuses_an_unknown_rule_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["synth", "--out", str(tmp_path / "icb"), "--breach-rate", "no-such-rule=0.5"])
    assert code == 2
    assert "unknown rule id(s) in breach rates: no-such-rule" in capsys.readouterr().err


def test_synth_command_refuses_a_malformed_rate_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["synth", "--out", str(tmp_path / "icb"), "--trust-quality", "RZ1"])
    assert code == 2
    assert "--trust-quality expects NAME=NUMBER, got 'RZ1'" in capsys.readouterr().err


# --- the truth --------------------------------------------------------------------------


def _engine_truth(out: Path, as_of: str) -> tuple[set[tuple[str, str, str]], int]:
    result = engine.check([out], as_of=parse_instant(as_of))
    found = {(o.rule, o.subject, o.status) for o in result.obligations}
    return found, result.counts.rejected


def _explain(expected: set[tuple[str, str, str]], found: set[tuple[str, str, str]]) -> str:
    want = {(r, s): st for r, s, st in expected}
    got = {(r, s): st for r, s, st in found}
    wrong = Counter(
        (k[0], want.get(k), got.get(k))
        for k in want.keys() | got.keys()
        if want.get(k) != got.get(k)
    )
    return "; ".join(f"{rule}: truth {w} engine {g} x{n}" for (rule, w, g), n in wrong.items())


def test_truth_covers_every_rule_and_every_outcome(tmp_path: Path) -> None:
    truth = _truth(_synth(tmp_path, "icb", patients=800, later_rules=0.15))
    assert {r for r, _, _ in truth} == set(RULES)
    for rule in RULES:
        assert {"met", "breached"} <= {s for r, _, s in truth if r == rule}, rule
    assert {"pending", "not-assessable"} <= {s for _, _, s in truth}


def test_medication_statement_lists_keep_the_truth_exact(tmp_path: Path) -> None:
    out = _synth(tmp_path, "icb", patients=300, statements=0.6, local_times=True)
    found, rejected = _engine_truth(out, AS_OF)
    expected = _truth(out)
    assert rejected == 0
    assert found == expected, _explain(expected, found)
    judged = {
        (s.split("/")[0], status)
        for rule, s, status in expected
        if rule == "discharge-medication-7d"
    }
    assert {("MedicationStatement", "met"), ("MedicationStatement", "breached")} <= judged
    assert {"List.ndjson", "MedicationStatement.ndjson"} <= {p.name for p in out.iterdir()}


def test_medication_statement_share_outside_0_to_1_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        _synth(tmp_path, "icb", patients=1, statements=1.5)


def test_synth_medication_statements_option_writes_lists(tmp_path: Path) -> None:
    out = tmp_path / "icb"
    args = ["synth", "--out", str(out), "--patients", "60", "--as-of", AS_OF, "--quiet"]
    assert main([*args, "--medication-statements", "1"]) == 0
    assert (out / "MedicationStatement.ndjson").exists()
    assert main([*args, "--medication-statements", "1.5"]) == 2


def test_stu3_transfer_of_care_share_keeps_the_truth_exact(tmp_path: Path) -> None:
    out = _synth(tmp_path, "icb", patients=300, stu3=0.5, statements=0.3, local_times=True)
    found, rejected = _engine_truth(out, AS_OF)
    expected = _truth(out)
    assert rejected == 0
    assert found == expected, _explain(expected, found)
    stu3 = [
        r
        for r in _resources(out)
        if any("/STU3/" in p for p in r.get("meta", {}).get("profile", []))
    ]
    kinds = {str(r["resourceType"]) for r in stu3}
    assert kinds == {"Encounter", "Composition", "MedicationRequest"}
    assert any("agent" in r.get("requester", {}) for r in stu3)
    # the rest of the traffic is the same as without the share (no random draw spent)
    plain = _synth(tmp_path, "plain", patients=300, statements=0.3, local_times=True)
    assert _truth(plain) == expected


def test_document_reference_letters_keep_the_truth_exact(tmp_path: Path) -> None:
    out = _synth(tmp_path, "icb", patients=300, documents=0.5, stu3=0.2, local_times=True)
    found, rejected = _engine_truth(out, AS_OF)
    expected = _truth(out)
    assert rejected == 0
    assert found == expected, _explain(expected, found)
    letters = {
        (rule, status)
        for rule, subject, status in expected
        if subject.startswith("DocumentReference/")
    }
    assert {("point-of-contact", "met"), ("point-of-contact", "not-assessable")} <= letters
    fulfilled = {s for r, s, st in expected if r in ("discharge-summary-24h", "clinic-letter-7d")}
    assert fulfilled  # the letter rules still judge the encounters those letters fulfil
    pdfs = [
        r
        for r in _resources(out)
        if r["resourceType"] == "DocumentReference" and r.get("docStatus") is not None
    ]
    assert pdfs and all("application/pdf" in str(r["content"]) for r in pdfs)


def test_stu3_share_outside_0_to_1_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="STU3 share must be between 0 and 1"):
        _synth(tmp_path, "icb", patients=1, stu3=-0.1)


@pytest.mark.slow
def test_engine_finds_exactly_the_truth_in_2000_patients(tmp_path: Path) -> None:
    out = _synth(tmp_path, "icb", patients=2000, seed=2026, local_times=True)
    found, rejected = _engine_truth(out, AS_OF)
    expected = _truth(out)
    assert rejected == 0
    assert found == expected, _explain(expected, found)


def test_engine_finds_the_truth_under_the_older_clinic_letter_limits(tmp_path: Path) -> None:
    """Attendances from 2016 to 2018 fall under the 14-, 10- and 7-day limits of §5.2, and
    the rules the 2016/17 and 2017/19 editions do not contain make no obligation then
    (contract §11.4): A&G before 2019/20, rejected referrals and the 2017 duties before
    2017/19."""
    as_of = "2018-09-01T09:00:00+01:00"
    out = _synth(
        tmp_path,
        "icb",
        patients=300,
        months=30,
        seed=11,
        as_of=parse_instant(as_of),
        later_rules=0.2,
    )
    found, rejected = _engine_truth(out, as_of)
    expected = _truth(out)
    assert rejected == 0
    assert found == expected, _explain(expected, found)


def test_engine_finds_exactly_the_truth_of_the_later_rules(tmp_path: Path) -> None:
    """A&G answered by the working day (Easter, Christmas and the May bank holidays in the
    year), rejected referrals on both sides of the 2025/26 payment-limit clause, letters
    sending patients to the GP or back to the trust: the engine agrees with the truth."""
    as_of = "2025-06-01T09:00:00Z"
    out = _synth(tmp_path, "icb", patients=300, seed=5, as_of=parse_instant(as_of), later_rules=0.5)
    found, rejected = _engine_truth(out, as_of)
    expected = _truth(out)
    assert rejected == 0
    assert found == expected, _explain(expected, found)
    later = ("advice-and-guidance-response", "referral-rejection-reasoned")
    for rule in (*later, "trust-handles-patient-queries"):
        assert {"met", "breached"} <= {s for r, _, s in expected if r == rule}, rule
    limits = [
        r["lastModified"]
        for r in _resources(out)
        if r["resourceType"] == "Task" and "payment-limit" in str(r.get("statusReason"))
    ]
    assert min(limits) < "2025-04" < max(limits)  # the clause both before and after


def test_a_later_as_of_turns_pending_into_breached_or_met(tmp_path: Path) -> None:
    """The truth is for its own as-of; judged a year later nothing is pending."""
    out = _synth(tmp_path, "icb", patients=300)
    later = datetime.fromisoformat("2027-06-01T00:00:00+00:00")
    result = engine.check([out], as_of=later)
    assert "pending" in {s for _, _, s in _truth(out)}
    assert {o.status for o in result.obligations if o.rule != "shared-care-gp-agreement"} >= {
        "met",
        "breached",
    }
    assert all(o.status != "pending" for o in result.obligations)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    as_of=st.datetimes(
        min_value=datetime(2019, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    months=st.integers(min_value=1, max_value=24),
)
def test_engine_finds_the_truth_for_any_seed_as_of_and_span(
    seed: int, as_of: datetime, months: int
) -> None:
    instant = as_of.replace(microsecond=0).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        out = _synth(
            Path(tmp),
            "icb",
            patients=60,
            months=months,
            seed=seed,
            local_times=True,
            as_of=parse_instant(instant),
        )
        found, rejected = _engine_truth(out, instant)
        expected = _truth(out)
    assert rejected == 0
    assert found == expected, _explain(expected, found)


def test_referee_check_json_on_synth_output_reports_exactly_the_truth(tmp_path: Path) -> None:
    """End to end through both commands, as a user would run them."""
    out, report = tmp_path / "icb", tmp_path / "report.json"
    assert (
        main(
            [
                "synth",
                "--patients",
                "120",
                "--seed",
                "3",
                "--out",
                str(out),
                "--as-of",
                AS_OF,
                "--local-times",
                "--quiet",
            ]
        )
        == 0
    )
    code = main(["check", str(out), "--as-of", AS_OF, "--format", "json", "--output", str(report)])
    body = orjson.loads(report.read_bytes())
    found = {(o["rule"], o["subject"], o["status"]) for o in body["obligations"]}
    assert code == 1  # the synthetic trusts breach
    assert body["counts"]["rejected"] == 0
    assert found == _truth(out)


@pytest.mark.parametrize(("validate", "jobs"), [("full", 1), ("rules", 2)])
def test_full_validation_and_two_jobs_find_the_same_truth(
    tmp_path: Path, validate: str, jobs: int
) -> None:
    """Without zone-less times the data is strict R4, so full validation rejects nothing."""
    out = _synth(tmp_path, "icb", patients=150, seed=5)
    result = engine.check(
        [out],
        as_of=parse_instant(AS_OF),
        validate=validate,  # type: ignore[arg-type]
        jobs=jobs,
    )
    assert result.counts.rejected == 0
    assert {(o.rule, o.subject, o.status) for o in result.obligations} == _truth(out)

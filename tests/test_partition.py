"""The partitioned engine (adapter/partition/) gives exactly the answer of one partition in
one process, whatever the number of partitions, spilled or not, with `--jobs` or not:
obligations, counts, per-file counts and issues, in the same order (byte for byte)."""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cases import CASES, as_of, case_id, inputs, policy

import adapter.partition.jobs
import adapter.partition.local
from adapter.engine import check, judge_facts
from adapter.facts import Head, PatientFact, Ref, Request, TaskFact
from adapter.instants import parse_instant
from adapter.model import Location, Result
from adapter.partition import Grouping, Route, is_shared, route
from adapter.policy import load_policy
from adapter.synth import generate

ROOT = Path(__file__).resolve().parents[1]
AS_OF = parse_instant("2025-03-31T17:00:00Z")
NHS = "https://fhir.nhs.uk/Id/nhs-number"


def answer(result: Result) -> str:
    """Everything a run reports, per-file counts included."""
    files = {k: v.to_json() for k, v in result.files.items()}
    return json.dumps([result.to_json(), files], default=str)


@pytest.fixture
def spill_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spill after a few facts and judge small partitions, so small inputs take that path."""
    monkeypatch.setattr(adapter.partition.local, "SPILL_AFTER", 50)
    monkeypatch.setattr(adapter.partition.local, "PARTITION_FACTS", 120)


@pytest.fixture
def temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The folder temporary files go to, to see that every spill is removed."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


# --- the same answer -----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_golden_case_gives_one_answer_at_any_partition_count(case: Path) -> None:
    """Each group of facts in a partition of its own (as many partitions as facts)."""
    one = answer(check(inputs(case), as_of=as_of(case), policy=policy(case)))
    many = check(inputs(case), as_of=as_of(case), policy=policy(case), partitions=10_000)
    assert answer(many) == one


def every_golden_input() -> list[Path | str]:
    """Every golden case's files and the demo ICB read as one input: reused urn:uuids,
    duplicate keys, messages and acknowledgements across files."""
    return [*(p for case in CASES for p in inputs(case)), ROOT / "fixtures" / "demo" / "icb"]


def test_all_golden_inputs_at_once_give_one_answer_in_any_partitions(
    spill_early: None, temp_folder: Path
) -> None:
    paths = every_golden_input()
    single = check(paths, as_of=AS_OF, partitions=1)
    one = answer(single)
    assert len(single.obligations) > 300 and single.issues
    assert any(i.code == "duplicate" for i in single.issues)  # a linking issue, merged
    for count in (None, 3, 10_000):  # None: by size, after spilling
        assert answer(check(paths, as_of=AS_OF, partitions=count)) == one, count
    assert list(temp_folder.iterdir()) == []  # the spill folder is gone


@pytest.mark.slow
def test_two_jobs_give_the_answer_of_one_process_on_every_golden_input(temp_folder: Path) -> None:
    paths = every_golden_input()
    one = answer(check(paths, as_of=AS_OF))
    assert answer(check(paths, as_of=AS_OF, jobs=2)) == one
    assert answer(check(paths, as_of=AS_OF, jobs=2, partitions=1)) == one
    assert list(temp_folder.iterdir()) == []


@pytest.mark.slow
def test_synth_data_gives_its_truth_and_one_answer_at_any_partitions_and_jobs(
    tmp_path: Path, spill_early: None
) -> None:
    out = tmp_path / "icb"
    generate(out, patients=150, months=12, seed=3, progress=False, as_of=AS_OF)
    single = check([out], as_of=AS_OF, partitions=1)
    one = answer(single)
    truth = {
        (row["rule"], row["subject"], row["status"])
        for row in map(json.loads, out.with_name("icb.truth.ndjson").read_text().splitlines())
    }
    assert {(o.rule, o.subject, o.status) for o in single.obligations} == truth
    for count in (None, 4, 10_000):
        assert answer(check([out], as_of=AS_OF, partitions=count)) == one, count
    for count in (None, 3):
        assert answer(check([out], as_of=AS_OF, jobs=2, partitions=count)) == one, count


def test_two_processes_give_the_same_obligations_counts_and_issues_as_one() -> None:
    paths = [
        ROOT / "fixtures" / "demo" / "icb",
        ROOT / "fixtures" / "rules" / "discharge-summary-24h",
    ]
    one = check(paths, as_of=AS_OF)
    two = check(paths, as_of=AS_OF, jobs=2)
    assert answer(two) == answer(one)
    assert one.counts.received == one.counts.accepted + one.counts.rejected > 400


def test_the_jobs_option_reaches_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """`referee check --jobs 2` runs the partitioned engine in processes (not only parsed)."""
    from adapter.cli import main

    calls: list[int] = []
    real = adapter.partition.jobs.check_jobs

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(kwargs["jobs"])  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(adapter.partition.jobs, "check_jobs", spy)
    demo = str(ROOT / "fixtures" / "demo" / "icb")
    main(["check", demo, "--as-of", "2025-03-31T17:00:00Z", "--jobs", "2", "-o", "/dev/null"])
    assert calls == [2]


def test_a_large_ndjson_file_is_read_in_line_aligned_pieces_with_true_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter.partition.jobs, "PIECE_BYTES", 2_000)
    lines = [json.dumps({"resourceType": "Patient", "id": f"p{i}"}) for i in range(300)]
    lines[250] = '{"resourceType": "Patient", "id": 7}'  # line 251 is rejected
    path = tmp_path / "Patient.ndjson"
    path.write_text("\n".join(lines) + "\n")

    pieces = list(adapter.partition.jobs.plan(path))
    result = check([path], as_of=AS_OF, jobs=2)

    assert len(pieces) > 5
    assert pieces[0].start == 0 and pieces[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))
    assert result.counts.to_json() == {"received": 300, "accepted": 299, "rejected": 1}
    assert [i.location.line for i in result.issues] == [251]
    assert result.to_json() == check([path], as_of=AS_OF).to_json()


def test_the_spill_folder_is_removed_when_judging_fails(
    spill_early: None, temp_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a rule failed")

    monkeypatch.setattr(adapter.partition.local, "judge_partition", broken)
    with pytest.raises(RuntimeError, match="a rule failed"):
        check([ROOT / "fixtures" / "demo" / "icb"], as_of=AS_OF)
    assert list(temp_folder.iterdir()) == []


def test_the_service_group_judges_through_partitions() -> None:
    """`judge_facts` (the service's group re-evaluation) is the same engine."""
    from adapter.ingest import Limits, read_paths
    from adapter.judging import Tally

    policy_ = load_policy()
    facts: list[object] = []
    Tally_ = Tally()
    for item in read_paths([ROOT / "fixtures" / "demo" / "icb"], Limits()):
        Tally_.take(item, facts.append, policy_, full=False)
    one = judge_facts(facts, policy=policy_, as_of=AS_OF)  # type: ignore[arg-type]
    many = judge_facts(facts, policy=policy_, as_of=AS_OF, partitions=50)  # type: ignore[arg-type]
    assert [o.to_json() for o in many] == [o.to_json() for o in one] and one


# --- routing ---------------------------------------------------------------------------------


def head(key: str, *, identifiers: tuple[tuple[str, str], ...] = ()) -> Head:
    return Head(key.split("/")[0], key, None, identifiers, Location(file="f"))


def referral(key: str, patient: Ref | None) -> Request:
    return Request(
        head(key),
        "active",
        None,
        (),
        (),
        None,
        None,
        None,
        (),
        (),
        False,
        False,
        None,
        patient,
        None,
    )


def groups(facts: list[object]) -> list[list[int]]:
    policy_ = load_policy()
    grouping = Grouping()
    for fact in facts:
        grouping.add(route(fact, policy_))  # type: ignore[arg-type]
    return [list(part) for part in grouping.partitions(len(facts))]


def test_a_patient_named_by_id_and_by_nhs_number_is_one_partition() -> None:
    patient = PatientFact(
        head("Patient/p1", identifiers=((NHS, "9990000018"),)), "9990000018", None, ()
    )
    by_id = referral("ServiceRequest/a", Ref("Patient/p1"))
    by_nhs = referral("ServiceRequest/b", Ref(system=NHS, value="9990000018"))
    other = referral("ServiceRequest/c", Ref("Patient/p2"))
    assert groups([by_id, other, by_nhs, patient]) == [[0, 2, 3], [1]]


def test_a_task_sits_with_the_patient_it_is_for() -> None:
    """A Task whose focus was not sent is judged with its Patient (Task.for), by reference
    or by NHS number: its obligation's patient label and practice come from that Patient."""
    patient = PatientFact(
        head("Patient/p1", identifiers=((NHS, "9990000018"),)), "9990000018", None, ()
    )
    unsent = Ref("ServiceRequest/not-sent")
    by_id = TaskFact(head("Task/a"), "rejected", unsent, None, None, patient=Ref("Patient/p1"))
    by_nhs = TaskFact(
        head("Task/b"), "rejected", unsent, None, None, patient=Ref(system=NHS, value="9990000018")
    )
    other = TaskFact(head("Task/c"), "rejected", None, None, None, patient=Ref("Patient/p2"))
    assert groups([by_id, other, by_nhs, patient]) == [[0, 2, 3], [1]]


def test_requests_with_no_patient_label_are_one_group() -> None:
    """Onward referrals look for an earlier referral among them (World.requests_by_patient)."""
    facts = [referral("ServiceRequest/a", None), referral("ServiceRequest/b", Ref("Patient/x"))]
    facts.append(referral("ServiceRequest/c", Ref(system="local", value="7")))
    assert groups(facts) == [[0, 2], [1]]


def test_shared_context_joins_nothing() -> None:
    """Two patients' referrals to one trust stay apart: the trust is in every partition."""
    org = Ref("Organization/RXX")
    a = Request(head("ServiceRequest/a"), "active", org, (org,), (), None, None, None, (), (),
                False, False, None, Ref("Patient/1"), None)  # fmt: skip
    b = Request(head("ServiceRequest/b"), "active", org, (org,), (), None, None, None, (), (),
                False, False, None, Ref("Patient/2"), None)  # fmt: skip
    assert groups([a, b]) == [[0], [1]]
    trust = PatientFact(head("Organization/RXX"), None, None, ())  # any fact of a shared type
    assert is_shared(trust) and route(trust, load_policy()) == Route(shared=True)


def test_a_logical_reference_joins_only_what_holds_that_identifier() -> None:
    """By identifier, a reference resolves only to a fact that carries it."""
    ident = ("https://example.org/referral-id", "R1")
    target = referral("ServiceRequest/t", Ref("Patient/1"))
    target = Request(**{**{f: getattr(target, f) for f in target.__slots__}, "head": head("ServiceRequest/t", identifiers=(ident,))})  # type: ignore[arg-type]  # fmt: skip
    a = referral("ServiceRequest/a", Ref("Patient/2"))
    a = Request(**{**{f: getattr(a, f) for f in a.__slots__}, "based_on": (Ref(system=ident[0], value=ident[1]),)})  # type: ignore[arg-type]  # fmt: skip
    b = referral("ServiceRequest/b", Ref("Patient/3"))
    b = Request(**{**{f: getattr(b, f) for f in b.__slots__}, "based_on": (Ref(system="x", value="y"),)})  # type: ignore[arg-type]  # fmt: skip
    c = referral("ServiceRequest/c", Ref("Patient/4"))
    c = Request(**{**{f: getattr(c, f) for f in c.__slots__}, "based_on": (Ref(system="x", value="y"),)})  # type: ignore[arg-type]  # fmt: skip
    assert groups([target, a, b, c]) == [[0, 1], [2], [3]]


def test_a_spilled_run_keeps_its_obligations_on_disk_read_in_order(
    spill_early: None, temp_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapter.partition.kept import KeptObligations

    paths = every_golden_input()
    kept = check(paths, as_of=AS_OF).obligations
    monkeypatch.setattr(adapter.partition.local, "SPILL_AFTER", 10**9)
    listed = check(paths, as_of=AS_OF).obligations
    assert isinstance(kept, KeptObligations) and isinstance(listed, list)
    assert len(kept) == len(listed) > 300
    assert list(kept) == listed  # equal fields, clocks included, in the same order
    assert kept[0] == listed[0] and kept[-1] == listed[-1] and kept[5:9] == listed[5:9]
    with pytest.raises(IndexError):
        kept[len(kept)]
    assert list(temp_folder.iterdir()) == []  # the file has no name: nothing to leave behind

"""`adapter.pull` against a real HTTP server on 127.0.0.1 (tests/pull/fhir_server.py): Bulk
export and paged search, gzip, retries on 429/503 honouring Retry-After, a connection that
dies mid-file, resuming a stopped pull without fetching anything twice, and the manifest."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from adapter.engine import check
from adapter.errors import AdapterError
from adapter.pull import PullOptions, pull
from adapter.pull.session import PullError
from pull.fhir_server import Behaviour, serving

AS_OF = "2025-03-31T17:00:00Z"


def run(url: str, out: Path, lines: list[str] | None = None, **options: object) -> object:
    said = lines if lines is not None else []
    return pull(PullOptions(url=url, out=out, backoff=0.01, **options), said.append)  # type: ignore[arg-type]


def ndjson_lines(folder: Path, kind: str) -> list[bytes]:
    lines: list[bytes] = []
    for file in sorted(folder.glob(f"{kind}.*ndjson")):
        lines += [line for line in file.read_bytes().splitlines() if line.strip()]
    return lines


def same_judgement(pulled: Path, source: Path) -> None:
    from datetime import datetime

    as_of = datetime.fromisoformat(AS_OF)
    mine, theirs = check([pulled], as_of=as_of), check([source], as_of=as_of)
    assert mine.counts == theirs.counts
    assert mine.obligations and mine.obligations == theirs.obligations


def test_bulk_export_fetches_every_file_gzipped_and_checks_like_the_source(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    out = tmp_path / "pulled"
    said: list[str] = []
    with serving(demo_files, Behaviour(polls=1, retry_after="1")) as server:
        done = run(server.fhir, out, said, since="2025-01-01T00:00:00Z")
    assert done.via == "bulk" and done.files == len(demo_files)  # type: ignore[attr-defined]
    kick = [h for h in server.hits if h.path == "/fhir/$export"]
    assert len(kick) == 1 and kick[0].query["_since"] == ["2025-01-01T00:00:00Z"]
    assert kick[0].query["_outputFormat"] == ["application/fhir+ndjson"]
    polls = [h for h in server.fetched("/jobs/1") if h.method == "GET"]
    assert [h.status for h in polls] == [202, 200]
    assert polls[1].at - polls[0].at >= 1.0  # Retry-After: 1 honoured
    assert "export in progress: step 1 of 2" in said
    assert server.jobs_deleted == 1
    for kind, data in demo_files.items():
        assert len(server.fetched(f"/files/{kind}.ndjson")) == 1  # each file once
        assert (out / f"{kind}.001.ndjson").read_bytes() == data
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["transactionTime"] == "2025-04-01T00:00:00Z"
    assert manifest["referee"]["complete"] is True
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts == {k: len(v.splitlines()) for k, v in demo_files.items()}
    same_judgement(out, Path(__file__).resolve().parents[2] / "fixtures/demo/icb")


def test_a_rerun_of_a_complete_pull_fetches_nothing(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    out = tmp_path / "pulled"
    with serving(demo_files) as server:
        run(server.fhir, out)
        before = len(server.hits)
        again = run(server.fhir, out)
    assert again.already_complete and again.fetched_now == 0  # type: ignore[attr-defined]
    assert len(server.hits) == before + 1  # the CapabilityStatement (choosing bulk or search)


def test_retries_429_and_503_waiting_what_retry_after_says(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    faults = {
        "/fhir/$export": [(429, "1")],
        "/jobs/1": [(503, "0"), (503, None)],
        "/files/Patient.ndjson": [(503, "0")],
    }
    said: list[str] = []
    with serving(demo_files, Behaviour(faults=faults)) as server:
        run(server.fhir, tmp_path / "out", said, types=("Patient", "Encounter"))
    assert [h.status for h in server.fetched("/fhir/$export")] == [429, 202]
    assert [h.status for h in server.fetched("/files/Patient.ndjson")] == [503, 200]
    assert any("answered 429; retry 1 of 5 in 1.0 s" in line for line in said)
    assert any("/jobs/1 answered 503; retry 2 of 5" in line for line in said)
    assert ndjson_lines(tmp_path / "out", "Patient") == demo_files["Patient"].splitlines()


def test_gives_up_after_the_retries_with_one_clear_line(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    faults = {"/fhir/$export": [(503, "0")] * 3}
    with serving(demo_files, Behaviour(faults=faults)) as server, pytest.raises(PullError) as err:
        run(server.fhir, tmp_path / "out", retries=2)
    assert err.value.message == (f"GET {server.fhir}/$export: 503 Service Unavailable: try again")


def test_a_connection_that_dies_mid_file_is_resumed_with_range(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    behaviour = Behaviour(gzip=False, die_after={"Composition": 50_000})
    said: list[str] = []
    with serving(demo_files, behaviour) as server:
        run(server.fhir, tmp_path / "out", said, types=("Composition",))
    first, second = server.fetched("/files/Composition.ndjson")
    assert first.range is None and first.sent == 50_000
    assert second.range == "bytes=50000-" and second.status == 206
    assert (tmp_path / "out" / "Composition.001.ndjson").read_bytes() == demo_files["Composition"]
    assert "Composition.001.ndjson: connection dropped mid-file; retry 1 of 5" in said


def test_a_gzipped_file_cut_short_resumes_on_the_compressed_bytes(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    behaviour = Behaviour(gzip=True, die_after={"Composition": 9_000})
    with serving(demo_files, behaviour) as server:
        run(server.fhir, tmp_path / "out", types=("Composition",))
    first, second = server.fetched("/files/Composition.ndjson")
    assert second.range == "bytes=9000-"
    assert first.sent + second.sent == len(gzip.compress(demo_files["Composition"], mtime=0))
    assert (tmp_path / "out" / "Composition.001.ndjson").read_bytes() == demo_files["Composition"]


def test_a_stopped_export_continues_where_it_stopped(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    """The connection keeps dying in Encounter (retries 0): the pull stops with an error; the
    rerun does not kick off again, nor fetch the files it has, and resumes Encounter."""
    out = tmp_path / "out"
    types = ("Patient", "Encounter", "Task")
    behaviour = Behaviour(gzip=False, die_after={"Encounter": 20_000})
    with serving(demo_files, behaviour) as server:
        with pytest.raises(PullError, match="connection kept dropping mid-file"):
            run(server.fhir, out, types=types, retries=0)
        assert (out / ".Encounter.001.ndjson.part").stat().st_size == 20_000
        run(server.fhir, out, types=types)
    assert server.kicked_off == 1
    assert len(server.fetched("/files/Patient.ndjson")) == 1
    assert [h.range for h in server.fetched("/files/Encounter.ndjson")] == [None, "bytes=20000-"]
    assert len(server.fetched("/files/Task.ndjson")) == 1
    for kind in types:
        assert (out / f"{kind}.001.ndjson").read_bytes() == demo_files[kind]
    assert not list(out.glob(".*part*"))


def test_search_follows_next_links_page_by_page(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    out = tmp_path / "out"
    with serving(demo_files, Behaviour(bulk=False)) as server:
        done = run(
            server.fhir, out, types=("Encounter", "Patient"), count=25, since="2025-01-01T00:00:00Z"
        )
    assert done.via == "search"  # type: ignore[attr-defined]
    pages = server.fetched("/fhir/Encounter")
    assert pages[0].query == {"_count": ["25"], "_lastUpdated": ["ge2025-01-01T00:00:00Z"]}
    total = len(demo_files["Encounter"].splitlines())
    offsets = [[str(n)] for n in range(25, total, 25)]
    assert offsets and [h.query.get("_offset") for h in pages[1:]] == offsets
    for kind in ("Encounter", "Patient"):
        # every resource once, in order; the search's OperationOutcome entry is not traffic
        assert ndjson_lines(out, kind) == demo_files[kind].splitlines()
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    progress = {"next": None, "pages": len(pages), "done": True}
    assert manifest["referee"]["search"]["Encounter"] == progress


def test_a_next_link_to_another_server_gets_no_token(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    """The token is the server's: a next link on another origin is followed without it."""
    with serving(demo_files, Behaviour(bulk=False)) as elsewhere:
        home = Behaviour(bulk=False, token="s3cret", next_base=elsewhere.fhir)
        with serving(demo_files, home) as server:
            run(server.fhir, tmp_path / "out", types=("Patient",), count=20, bearer="s3cret")
    assert [h.authorization for h in server.fetched("/fhir/Patient")] == ["Bearer s3cret"]
    later = elsewhere.fetched("/fhir/Patient")
    assert len(later) == 2 and {h.authorization for h in later} == {None}
    assert ndjson_lines(tmp_path / "out", "Patient") == demo_files["Patient"].splitlines()


def test_a_stopped_search_continues_at_the_next_page(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    out = tmp_path / "out"
    with serving(demo_files, Behaviour(bulk=False)) as server:
        server.behaviour.faults["/fhir/Composition"] = [(503, "0")]
        with pytest.raises(PullError):  # the first page of Composition fails, no retries
            run(server.fhir, out, types=("Patient", "Composition"), count=20, retries=0)
        run(server.fhir, out, types=("Patient", "Composition"), count=20)
    assert len(server.fetched("/fhir/Patient")) == 3  # 60 patients, pages of 20, once each
    assert [h.status for h in server.fetched("/fhir/Composition")][:2] == [503, 200]
    assert ndjson_lines(out, "Composition") == demo_files["Composition"].splitlines()


def test_a_folder_holding_another_pull_is_refused(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    out = tmp_path / "out"
    with serving(demo_files) as server:
        run(server.fhir, out, types=("Patient",))
        with pytest.raises(AdapterError, match="with other options"):
            run(server.fhir, out, types=("Task",))


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    from adapter.pull.session import retry_after

    assert retry_after("7") == 7.0
    assert retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500.0) == 10.0
    assert retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412600.0) == 0.0  # past
    assert retry_after("soon") is None and retry_after(None) is None


def test_an_answer_larger_than_the_limit_is_refused_not_held(
    demo_files: dict[str, bytes],
) -> None:
    from adapter.pull.session import Credentials, Session, read_body

    with serving(demo_files, Behaviour(bulk=False)) as server, Session(Credentials()) as session:
        response = session.get(f"{server.fhir}/Composition?_count=100", stream=True)
        with pytest.raises(PullError, match="larger than 10,000 bytes; refused"):
            read_body(response, 10_000)
        small = session.get(f"{server.fhir}/Task?_count=100", stream=True)
        assert orjson.loads(read_body(small, 100_000))["total"] == 5

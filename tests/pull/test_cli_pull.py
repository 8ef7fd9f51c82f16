"""`referee pull` and `referee check URL` on the command line: configuration mistakes are one
line on stderr with exit 2 (never a traceback), a pull killed mid-download continues on the
rerun without fetching anything twice, and checking the pulled folder (or the URL itself)
gives the same judgement as checking the source files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from api.server import free_port

from adapter.cli import main
from pull.conftest import DEMO, ROOT
from pull.fhir_server import Behaviour, serving

AS_OF = "2025-03-31T17:00:00Z"


def referee(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapter", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


def one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_configuration_mistakes_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    port = free_port()  # nothing listens there
    cases = {
        ("ftp://example.org/fhir",): (
            "URL 'ftp://example.org/fhir': not an http(s) URL; give the server's FHIR base, "
            "such as https://fhir.example.nhs.uk/R4"
        ),
        (f"http://127.0.0.1:{port}/fhir", "--retries", "0"): (
            f"GET http://127.0.0.1:{port}/fhir/metadata: cannot connect: Connection refused "
            "(1 try); check the URL and that the server is up, or raise --retries/--timeout"
        ),
        ("https://x.test/fhir", "--private-key", str(tmp_path / "none.pem"), "--client-id", "c"): (
            f"--private-key {tmp_path / 'none.pem'}: no such file"
        ),
        ("https://x.test/fhir", "--cert", str(DEMO / "Task.ndjson")): (
            "mutual TLS needs both --cert and --key"
        ),
        ("https://x.test/fhir", "--type", "encounter"): (
            "--type 'encounter': not a FHIR resource type, such as Encounter"
        ),
        ("https://x.test/fhir", "--client-id", "c"): (
            "SMART Backend Services needs both --client-id and --private-key"
        ),
    }
    for args, message in cases.items():
        line = one_line_exit_2(["pull", *args, "--out", out, "--quiet"], capsys)
        assert line == f"referee: {message}"
    assert not os.path.exists(out)  # nothing was created for a pull that could not start


def test_bad_option_values_are_refused_by_the_parser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for bad in (["--since", "yesterday"], ["--timeout", "0"], ["--retries", "-1"]):
        with pytest.raises(SystemExit) as exit_:
            main(["pull", "https://x.test/fhir", "--out", str(tmp_path), *bad])
        assert exit_.value.code == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_folder_with_other_things_in_it_is_refused(
    tmp_path: Path, demo_files: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with serving(demo_files) as server:
        line = one_line_exit_2(["pull", server.fhir, "--out", str(tmp_path), "-q"], capsys)
    assert line == f"referee: --out {tmp_path}: is not empty; give an empty or new folder"


def test_a_search_pull_needs_types(
    tmp_path: Path, demo_files: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(demo_files, Behaviour(bulk=False)) as server:
        line = one_line_exit_2(["pull", server.fhir, "-o", str(tmp_path / "o"), "-q"], capsys)
    assert line == (
        "referee: a search pull needs the types to fetch: give --type, e.g. --type Encounter"
    )


def test_a_token_file_is_sent_as_a_bearer_token(
    tmp_path: Path, demo_files: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret-token\n")
    out = tmp_path / "out"
    with serving(demo_files, Behaviour(token="s3cret-token")) as server:
        code = main(
            ["pull", server.fhir, "-o", str(out), "--type", "Task", "--token-file", str(token)]
        )
    assert code == 0
    err = capsys.readouterr().err
    assert "s3cret" not in err
    assert err.splitlines()[-1] == (
        f"referee pull: 5 resources in 1 file (1.9 KB) in {out} via bulk; 1 fetched in this run"
    )
    assert {h.authorization for h in server.hits} == {"Bearer s3cret-token"}


def test_check_reads_a_pull_folder_without_its_manifest(
    tmp_path: Path, demo_files: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with serving(demo_files) as server:
        assert main(["pull", server.fhir, "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    main(["check", str(out), "--as-of", AS_OF, "--format", "json"])
    pulled = orjson.loads(capsys.readouterr().out)
    main(["check", str(DEMO), "--as-of", AS_OF, "--format", "json"])
    source = orjson.loads(capsys.readouterr().out)
    assert pulled["counts"] == source["counts"] == {"received": 428, "accepted": 428, "rejected": 0}
    assert pulled["obligations"] == source["obligations"]
    assert pulled["issues"] == source["issues"] == []


def test_check_url_pulls_then_judges_like_the_source_files(
    demo_files: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(demo_files, Behaviour(bulk=False)) as server:
        types = ",".join(demo_files)
        code = main(["check", server.fhir, "--type", types, "--count", "20", "--as-of", AS_OF,
                     "--format", "json"])  # fmt: skip
    fetched = capsys.readouterr()
    main(["check", str(DEMO), "--as-of", AS_OF, "--format", "json"])
    source = orjson.loads(capsys.readouterr().out)
    assert code == 1  # the sample has breaches
    result = orjson.loads(fetched.out)
    assert result["counts"] == source["counts"]
    assert result["obligations"] == source["obligations"]
    encounters = len(demo_files["Encounter"].splitlines())
    assert f"referee pull: Encounter: page 2, 20 resources (the search has {encounters})" in (
        fetched.err.splitlines()
    )


@pytest.mark.slow
def test_a_pull_killed_mid_download_continues_and_fetches_nothing_twice(
    tmp_path: Path, demo_files: dict[str, bytes]
) -> None:
    """`referee pull` as a process, killed (SIGKILL) while Composition is arriving slowly;
    the rerun asks only for the rest of it and for the files not yet fetched."""
    out = tmp_path / "out"
    behaviour = Behaviour(gzip=False, slow={"Composition": 0.05})  # ~1 s for 157 KB
    part = out / ".Composition.001.ndjson.part"
    with serving(demo_files, behaviour) as server:
        command = [sys.executable, "-m", "adapter", "pull", server.fhir, "-o", str(out)]
        process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while not (part.exists() and part.stat().st_size > 40_000):
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            assert process.stderr is not None
            process.stderr.close()
        had = part.stat().st_size
        before = {kind: len(server.fetched(f"/files/{kind}.ndjson")) for kind in demo_files}
        assert before["Composition"] == 1 and 40_000 <= had < len(demo_files["Composition"])
        assert (out / "Composition.001.ndjson").exists() is False
        done = referee("pull", server.fhir, "-o", str(out))
        assert done.returncode == 0, done.stderr
        assert f"Composition.001.ndjson: resuming at {had:,} bytes" in done.stderr
    assert server.kicked_off == 1
    composition = server.fetched("/files/Composition.ndjson")
    assert [h.range for h in composition] == [None, f"bytes={had}-"]
    for kind, data in demo_files.items():
        fetched = server.fetched(f"/files/{kind}.ndjson")
        assert len(fetched) == (2 if kind == "Composition" else 1), kind
        assert (out / f"{kind}.001.ndjson").read_bytes() == data
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["referee"]["complete"] and len(manifest["output"]) == len(demo_files)

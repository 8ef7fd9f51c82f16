"""`referee pull` against an independent FHIR server: fhirsnake (PyPI), which serves a folder
of resources with read and an unparameterised search (no paging, no `_lastUpdated`, no
CapabilityStatement at /metadata, no Bulk export: hence `--via search`). `.ci/run` installs
it in `.venv-fhirsnake` (it pins an older FastAPI than the service's). The demo ICB traffic
pulled from it checks exactly as the source files."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from api.server import free_port, referee

from pull.conftest import DEMO, ROOT

pytestmark = pytest.mark.slow  # starts a server

VENV = ROOT / ".venv-fhirsnake"
AS_OF = "2025-03-31T17:00:00Z"


def _package() -> Path:
    found = sorted(VENV.glob("lib/python3*/site-packages/fhirsnake/main.py"))
    if not found:
        if os.environ.get("CI"):
            pytest.fail(".ci/run installs fhirsnake in .venv-fhirsnake; it is missing")
        pytest.skip("fhirsnake is not installed: run .ci/run, or see its fhirsnake lines")
    return found[0].parent


@contextlib.contextmanager
def fhirsnake(resources: Path, log: Path) -> Iterator[str]:
    """fhirsnake on a free port, serving `resources/<Type>/<id>.json` below its cwd."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(_package())}
    command = [str(VENV / "bin" / "uvicorn"), "main:app", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=resources.parent, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()[-2000:]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/Task", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "fhirsnake did not start"
            time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def judged(path: Path) -> dict[str, Any]:
    done = referee("check", str(path), "--as-of", AS_OF, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    result["obligations"].sort(key=lambda o: (o["rule"], o["subject"]))
    return result


def test_the_demo_traffic_pulled_from_fhirsnake_checks_as_the_source(tmp_path: Path) -> None:
    resources = tmp_path / "site" / "resources"
    types = []
    for file in sorted(DEMO.glob("*.ndjson")):
        types.append(file.stem)
        (resources / file.stem).mkdir(parents=True)
        for line in file.read_bytes().splitlines():
            resource = orjson.loads(line)
            (resources / file.stem / f"{resource['id']}.json").write_bytes(line)
    out = tmp_path / "pulled"
    with fhirsnake(resources, tmp_path / "fhirsnake.log") as base:
        done = referee(
            "pull", base, "--via", "search", "--type", ",".join(types), "--out", str(out)
        )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1].startswith("referee pull: 428 resources in 11 files")
    pulled, source = judged(out), judged(DEMO)
    assert pulled["counts"] == source["counts"]
    assert pulled["obligations"] == source["obligations"]
    assert pulled["summary"] == source["summary"]

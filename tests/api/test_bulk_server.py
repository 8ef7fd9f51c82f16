"""Bulk export and SMART Backend Services against a real `referee serve` (two worker
processes, so a job started by one is polled and downloaded from the other): a client
registered with `referee keys create --jwks` gets a token with a signed assertion, exports,
and `referee check` on the NDJSON files equals `referee check` on the posted file."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.server import Server, make_key, referee
from api.smart_keys import assertion, token_form, write_jwks

pytestmark = pytest.mark.slow  # starts `referee serve` with two workers

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "discharge-bundle.json"
AS_OF = "2026-06-30T00:00:00Z"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    folder = tmp_path_factory.mktemp("bulk-server")
    url = f"sqlite:///{folder / 'referee.sqlite'}"
    env = {"REFEREE_EXPORT_DIR": str(folder / "exports")}
    with Server(url, folder / "server.log", workers=2, env=env) as server:
        yield server, folder


def _token(server: Server, client_id: str, scope: str = "system/*.read") -> str:
    aud = f"{server.base}/token"
    answer = httpx.post(aud, data=token_form(assertion(client_id, aud, "ES384"), scope), timeout=30)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_a_smart_client_exports_and_the_export_checks_as_the_source(
    served: tuple[Server, Path],
) -> None:
    server, folder = served
    jwks = write_jwks(folder / "client.jwks.json", "ES384")
    done = referee(
        "keys",
        "create",
        "--name",
        "icb-bulk",
        "--scope",
        "read",
        "--jwks",
        str(jwks),
        "--database-url",
        server.database_url,
    )
    assert done.returncode == 0, done.stderr
    feed = make_key(server.database_url, "feed", "submit")
    posted = httpx.post(
        f"{server.base}/fhir",
        content=EXAMPLE.read_bytes(),
        headers={"Authorization": f"Bearer {feed}", "Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    config = httpx.get(f"{server.base}/.well-known/smart-configuration", timeout=10).json()
    assert config["token_endpoint"] == f"{server.base}/token"

    bearer = {"Authorization": f"Bearer {_token(server, 'icb-bulk')}"}
    kinds = sorted(
        {e["resource"]["resourceType"] for e in json.loads(EXAMPLE.read_text())["entry"]}
    )
    kickoff = httpx.get(
        f"{server.base}/fhir/$export",
        params={"_type": ",".join(kinds)},
        headers={**bearer, "Prefer": "respond-async", "Accept": "application/fhir+json"},
        timeout=30,
    )
    assert kickoff.status_code == 202, kickoff.text
    status_url = kickoff.headers["content-location"]
    deadline = time.monotonic() + 60
    while True:  # polls land on either worker
        answer = httpx.get(status_url, headers=bearer, timeout=30)
        if answer.status_code == 200:
            break
        assert answer.status_code == 202 and time.monotonic() < deadline, answer.text
        time.sleep(float(answer.headers["retry-after"]) / 10)
    manifest = answer.json()
    out = folder / "pulled"
    out.mkdir()
    for item in manifest["output"]:
        got = httpx.get(item["url"], headers={**bearer, "Accept-Encoding": "gzip"}, timeout=30)
        assert got.status_code == 200
        assert got.headers["content-encoding"] == "gzip"  # httpx decoded it
        (out / f"{item['type']}.ndjson").write_bytes(got.content)
        assert len(got.content.splitlines()) == item["count"]
        assert gzip.compress(got.content)  # plain NDJSON after decoding
    source = referee("check", str(EXAMPLE), "--as-of", AS_OF, "--format", "json")
    pulled = referee("check", str(out), "--as-of", AS_OF, "--format", "json")
    assert source.returncode == pulled.returncode, pulled.stderr

    def judged(run: str) -> list[dict[str, object]]:
        return sorted(
            json.loads(run)["obligations"], key=lambda o: (str(o["rule"]), str(o["subject"]))
        )

    assert judged(pulled.stdout) == judged(source.stdout)
    assert json.loads(pulled.stdout)["counts"] == json.loads(source.stdout)["counts"]
    # cancel: the files go, and the job is gone for every worker
    assert httpx.delete(status_url, headers=bearer, timeout=30).status_code == 202
    for _ in range(4):
        assert httpx.get(status_url, headers=bearer, timeout=30).status_code == 404

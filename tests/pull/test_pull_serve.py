"""`referee pull` end to end against the project's own `referee serve` on 127.0.0.1 (one
server for the module, SQLite): a SMART Backend Services client registered with `referee
keys create --jwks` pulls a Bulk export (gzip, polled), and `referee check` on the folder
equals `referee check` on the source files; the DetectedIssue searchset is pulled page by
page with an API key; a Group export asks for `Group/ODS/$export`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from api.server import Server, make_key, referee
from api.smart_keys import private_key, write_jwks

from pull.conftest import DEMO, write_private_key

pytestmark = pytest.mark.slow  # starts `referee serve`

AS_OF = "2025-03-31T17:00:00Z"
TYPES = ",".join(sorted(p.stem for p in DEMO.glob("*.ndjson")))


class Served:
    def __init__(self, server: Server, folder: Path, key_file: Path, api_key: str) -> None:
        self.server, self.folder, self.key_file, self.api_key = server, folder, key_file, api_key
        self.fhir = f"{server.base}/fhir"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("pull-serve")
    url = f"sqlite:///{folder / 'referee.sqlite'}"
    jwks = write_jwks(folder / "client.jwks.json", "ES384")
    registered = referee(
        "keys", "create", "--name", "icb-puller", "--scope", "read", "--jwks", str(jwks),
        "--database-url", url,
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    key_file = write_private_key(private_key("ES384"), folder / "client.pem")
    feed = make_key(url, "feed", "submit")
    reader = make_key(url, "icb", "read")
    env = {"REFEREE_EXPORT_DIR": str(folder / "exports")}
    with Server(url, folder / "server.log", env=env) as server:
        resources = [orjson.loads(line) for f in sorted(DEMO.glob("*.ndjson"))
                     for line in f.read_bytes().splitlines() if line.strip()]  # fmt: skip
        batch = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [{"resource": r} for r in resources],
        }
        posted = httpx.post(
            f"{server.base}/fhir",
            content=orjson.dumps(batch),
            headers={"Authorization": f"Bearer {feed}", "Content-Type": "application/fhir+json"},
            timeout=120,
        )
        assert posted.status_code == 200, posted.text[:500]
        yield Served(server, folder, key_file, reader)


def judged(args: list[str]) -> dict[str, Any]:
    done = referee("check", *args, "--as-of", AS_OF, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    result["obligations"].sort(key=lambda o: (o["rule"], o["subject"]))
    return result


def test_a_smart_client_pulls_a_bulk_export_that_checks_as_the_source(served: Served) -> None:
    """The traffic types (the service would add its DetectedIssues to an export of all)."""
    out = served.folder / "bulk"
    smart = ["--client-id", "icb-puller", "--private-key", str(served.key_file),
             "--key-id", "es384-1", "--scope", "system/*.read", "--type", TYPES]  # fmt: skip
    done = referee("pull", served.fhir, "--out", str(out), *smart)
    assert done.returncode == 0, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("referee pull: 428 resources in ") and " via bulk; " in last
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["referee"]["complete"] and manifest["requiresAccessToken"] is True
    assert {o["type"] for o in manifest["output"]} == set(TYPES.split(","))
    pulled, source = judged([str(out)]), judged([str(DEMO)])
    assert pulled["counts"] == source["counts"]
    assert pulled["obligations"] == source["obligations"]
    assert pulled["issues"] == source["issues"] == []
    again = referee("pull", served.fhir, "--out", str(out), *smart)
    assert again.returncode == 0 and "already holds this pull, complete" in again.stderr


def test_the_detected_issue_search_is_pulled_page_by_page_with_an_api_key(
    served: Served,
) -> None:
    token = served.folder / "icb.key"
    token.write_text(served.api_key)
    everything = httpx.get(
        f"{served.fhir}/DetectedIssue",
        headers={"Authorization": f"Bearer {served.api_key}"},
        timeout=60,
    ).json()
    total = everything["total"]
    assert total > 20
    out = served.folder / "issues"
    done = referee(
        "pull", served.fhir, "--out", str(out), "--via", "search", "--type", "DetectedIssue",
        "--count", "20", "--token-file", str(token),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pages = sorted(out.glob("DetectedIssue.search.*.ndjson"))
    assert len(pages) == -(-total // 20)
    ids = [orjson.loads(line)["id"] for page in pages for line in page.read_bytes().splitlines()]
    assert ids == [e["resource"]["id"] for e in everything["entry"]]
    assert served.api_key not in done.stderr


def test_a_group_export_asks_for_that_organisations_traffic(served: Served) -> None:
    token = served.folder / "icb.key"
    token.write_text(served.api_key)
    organisations = [
        orjson.loads(line) for line in (DEMO / "Organization.ndjson").read_bytes().splitlines()
    ]
    ods = next(
        i["value"]
        for o in organisations
        for i in o.get("identifier", [])
        if i.get("system") == "https://fhir.nhs.uk/Id/ods-organization-code"
    )
    out = served.folder / "group"
    done = referee("pull", served.fhir, "--out", str(out), "--group", ods, "--type",
                   "Encounter,Patient", "--token-file", str(token))  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["request"].startswith(f"{served.fhir}/Group/{ods}/$export?")
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert set(counts) <= {"Encounter", "Patient"} and sum(counts.values()) > 0
    everything = len((DEMO / "Encounter.ndjson").read_bytes().splitlines())
    assert counts.get("Encounter", 0) < everything  # one organisation's, not all

"""Bulk Data $export (FHIR Bulk Data Access IG 2.0) in-process, on SQLite and PostgreSQL:
kick-off, polling, the manifest, NDJSON files (plain, gzip, a range), cancel, `_type`,
`_since`, Groups, and scoping: a key of organisation X never sees Y's data or Y's job."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.store.service import Store
from api.conftest import KEYS, Service, TestClient
from api.test_api import encounter, letter, patient

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


@pytest.fixture
def bulk(db_url: str, tmp_path: Path) -> Iterator[Service]:
    """The service with its exports in tmp_path, keys for two trusts and two practices, and
    traffic: RXQ's stay for K81001's patient (with its letter), RXX's for K82002's."""
    store = Store(db_url)
    more = {"rxq": ("read", "RXQ"), "rxx": ("read", "RXX"), "k82002": ("read", "K82002")}
    keys = {
        name: store.create_key(name, scope, org) for name, (scope, org) in (KEYS | more).items()
    }
    app = create_app(
        Settings(database_url=db_url, export_dir=str(tmp_path / "exports")), store=store
    )
    with TestClient(app) as client:
        service = Service(client, store, keys)
        traffic = [
            patient("p1", "K81001"),
            encounter("e1", "p1", "RXQ"),
            letter("ds1", "e1", "2024-03-03T20:00:00Z"),
            patient("p2", "K82002"),
            encounter("e2", "p2", "RXX"),
        ]
        body = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [{"resource": r} for r in traffic],
        }
        answer = client.post("/fhir", content=orjson.dumps(body), headers=service.auth("feed"))
        assert answer.status_code == 200, answer.text
        yield service
    store.close()


def kickoff(service: Service, key: str, path: str = "/fhir/$export", **params: str):
    headers = {**service.auth(key, None), **ASYNC}
    return service.client.get(path, params=params, headers=headers)


def finished(service: Service, key: str, status_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = service.client.get(status_url, headers=service.auth(key, None))
        if answer.status_code == 200:
            return dict(answer.json())
        assert answer.status_code == 202, answer.text
        assert answer.headers["retry-after"] == "1" and "x-progress" in answer.headers
        time.sleep(0.05)
    raise AssertionError("the export did not finish in 30 s")


def export(service: Service, key: str, path: str = "/fhir/$export", **params: str):
    answer = kickoff(service, key, path, **params)
    assert answer.status_code == 202, answer.text
    status_url = answer.headers["content-location"]
    assert status_url.startswith("http://testserver/bulk/")
    return status_url, finished(service, key, status_url)


def download(
    service: Service, key: str, manifest: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in manifest["output"]:
        answer = service.client.get(
            item["url"], headers={**service.auth(key, None), "Accept-Encoding": "identity"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/fhir+ndjson")
        lines = [orjson.loads(line) for line in answer.content.splitlines()]
        assert len(lines) == item["count"]
        assert all(r["resourceType"] == item["type"] for r in lines)
        found[item["type"]] = lines
    return found


def ids(found: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {f"{kind}/{r['id']}" for kind, rows in found.items() for r in rows}


def test_a_system_export_runs_in_the_background_and_answers_a_manifest(bulk: Service) -> None:
    status_url, manifest = export(bulk, "icb")
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    assert manifest["request"].startswith("http://testserver/fhir/$export")
    assert manifest["transactionTime"].endswith("Z")
    found = download(bulk, "icb", manifest)
    assert ids(found) >= {
        "Patient/p1",
        "Patient/p2",
        "Encounter/e1",
        "Encounter/e2",
        "Composition/ds1",
    }
    # the breached obligations, as the DetectedIssue search answers them (same ids)
    search = bulk.client.get("/fhir/DetectedIssue", headers=bulk.auth("icb", None)).json()
    assert {r["id"] for r in found["DetectedIssue"]} == {
        e["resource"]["id"] for e in search["entry"]
    }
    assert len(found["DetectedIssue"]) >= 2  # RXQ's late letter, RXX's missing one
    # every stored resource once, exactly as stored
    assert sum(len(rows) for kind, rows in found.items() if kind != "DetectedIssue") == 5
    assert all(item["url"].startswith(status_url + "/") for item in manifest["output"])


def test_files_come_gzipped_on_request_and_continue_from_a_range(bulk: Service) -> None:
    _, manifest = export(bulk, "icb", _type="Patient")
    [item] = manifest["output"]
    plain = bulk.client.get(
        item["url"], headers={**bulk.auth("icb", None), "Accept-Encoding": "identity"}
    )
    raw = bulk.client.build_request(
        "GET", item["url"], headers={**bulk.auth("icb", None), "Accept-Encoding": "gzip"}
    )
    packed = bulk.client.send(raw, stream=True)
    try:
        assert packed.headers["content-encoding"] == "gzip"
        body = b"".join(packed.iter_raw())
    finally:
        packed.close()
    assert gzip.decompress(body) == plain.content
    ranged = bulk.client.get(
        item["url"],
        headers={**bulk.auth("icb", None), "Range": "bytes=10-", "Accept-Encoding": "identity"},
    )
    assert ranged.status_code == 206 and ranged.content == plain.content[10:]


def test_type_and_since_choose_what_is_exported(bulk: Service) -> None:
    _, manifest = export(bulk, "icb", _type="Encounter,DetectedIssue")
    assert sorted(item["type"] for item in manifest["output"]) == ["DetectedIssue", "Encounter"]
    # after everything was stored: nothing changed since
    _, manifest = export(bulk, "icb", _since="2999-01-01T00:00:00Z")
    assert manifest["output"] == []
    _, manifest = export(
        bulk, "icb", _since="2000-01-01T00:00:00Z", _outputFormat="application/fhir+ndjson"
    )
    assert sum(item["count"] for item in manifest["output"] if item["type"] != "DetectedIssue") == 5


BAD_KICKOFFS = [
    ({"Prefer": ""}, {}, "respond-async"),
    ({}, {"_since": "yesterday"}, "_since"),
    ({}, {"_type": "encounter;drop"}, "_type"),
    ({}, {"_outputFormat": "text/csv"}, "_outputFormat"),
    ({}, {"patient": "Patient/p1"}, "patient"),
]


def test_a_bad_kickoff_is_a_located_400(bulk: Service) -> None:
    for headers, params, said in BAD_KICKOFFS:  # one service for all: set-up is the cost
        answer = bulk.client.get(
            "/fhir/$export", params=params, headers={**bulk.auth("icb", None), **ASYNC, **headers}
        )
        assert answer.status_code == 400, (said, answer.text)
        assert said in answer.text


def test_an_unknown_parameter_is_ignored_when_handling_is_lenient(bulk: Service) -> None:
    headers = {**bulk.auth("icb", None), "Prefer": "respond-async, handling=lenient"}
    answer = bulk.client.get("/fhir/$export", params={"_typeFilter": "x"}, headers=headers)
    assert answer.status_code == 202


def test_an_organisation_key_exports_only_what_it_owns_or_is_party_to(bulk: Service) -> None:
    _, manifest = export(bulk, "rxq")
    trust = ids(download(bulk, "rxq", manifest))
    assert {"Encounter/e1", "Composition/ds1", "Patient/p1"} <= trust
    assert not {"Encounter/e2", "Patient/p2"} & trust
    _, manifest = export(bulk, "practice")  # K81001: owed the letter about its patient
    practice = ids(download(bulk, "practice", manifest))
    assert {"Encounter/e1", "Composition/ds1", "Patient/p1"} <= practice
    assert not {"Encounter/e2", "Patient/p2"} & practice
    _, manifest = export(bulk, "rxx")
    found = download(bulk, "rxx", manifest)
    other = ids(found)
    assert {"Encounter/e2", "Patient/p2"} <= other
    assert not {"Encounter/e1", "Patient/p1", "Composition/ds1"} & other
    # its own breach (no letter for e2), never RXQ's
    issues = orjson.dumps(found["DetectedIssue"]).decode()
    assert "Encounter/e2" in issues and "Encounter/e1" not in issues


def test_a_key_never_sees_another_organisations_job_or_files(bulk: Service) -> None:
    status_url, manifest = export(bulk, "rxq")
    for key in ("rxx", "practice", "icb"):
        assert bulk.client.get(status_url, headers=bulk.auth(key, None)).status_code == 404
        for item in manifest["output"]:
            assert bulk.client.get(item["url"], headers=bulk.auth(key, None)).status_code == 404
        assert bulk.client.delete(status_url, headers=bulk.auth(key, None)).status_code == 404
    assert bulk.client.get(status_url, headers=bulk.auth("rxq", None)).status_code == 200
    assert bulk.client.get(status_url).status_code == 401
    # a submit-only key may not export
    assert kickoff(bulk, "feed").status_code == 403


def test_a_group_is_an_organisation(bulk: Service) -> None:
    _, by_group = export(bulk, "icb", "/fhir/Group/RXQ/$export")
    _, by_key = export(bulk, "rxq")
    assert ids(download(bulk, "icb", by_group)) == ids(download(bulk, "rxq", by_key))
    assert kickoff(bulk, "rxq", "/fhir/Group/RXX/$export").status_code == 404
    assert kickoff(bulk, "rxq", "/fhir/Group/RXQ/$export").status_code == 202


def test_delete_cancels_and_removes_the_files(bulk: Service, tmp_path: Path) -> None:
    status_url, manifest = export(bulk, "icb")
    job = status_url.rsplit("/", 1)[1]
    assert (tmp_path / "exports" / job).is_dir()
    answer = bulk.client.delete(status_url, headers=bulk.auth("icb", None))
    assert answer.status_code == 202
    assert not (tmp_path / "exports" / job).exists()
    assert bulk.client.get(status_url, headers=bulk.auth("icb", None)).status_code == 404
    url = manifest["output"][0]["url"]
    assert bulk.client.get(url, headers=bulk.auth("icb", None)).status_code == 404


def test_a_job_whose_process_died_is_reported_failed(bulk: Service) -> None:
    status_url, _ = export(bulk, "icb")
    with bulk.store.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE export_jobs SET status = 'running', finished_at = NULL, heartbeat_at = '2000-01-01 00:00:00'"
            )
        )
    answer = bulk.client.get(status_url, headers=bulk.auth("icb", None))
    assert answer.status_code == 500
    assert "start it again" in answer.text


def test_file_names_cannot_leave_the_jobs_folder(bulk: Service) -> None:
    status_url, _ = export(bulk, "icb")
    for name in ("..%2F..%2Fetc%2Fpasswd", "Patient.json", "..", "x.ndjson"):
        answer = bulk.client.get(f"{status_url}/{name}", headers=bulk.auth("icb", None))
        assert answer.status_code == 404, name


def test_a_running_job_polls_202_does_not_block_requests_and_cancels(
    bulk: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job is held inside its first batch (a real threading.Event), so it is seen
    running: polls say 202 with progress, other requests are answered, DELETE cancels it,
    and once let go it stops and its folder is gone."""
    entered, release = threading.Event(), threading.Event()
    real = Store.export_batch

    def held(self: Store, *args: Any) -> list[tuple[int, str]]:
        entered.set()
        release.wait(30)
        return real(self, *args)

    monkeypatch.setattr(Store, "export_batch", held)
    try:
        answer = kickoff(bulk, "icb")
        status_url = answer.headers["content-location"]
        assert entered.wait(30)
        polled = bulk.client.get(status_url, headers=bulk.auth("icb", None))
        assert polled.status_code == 202
        assert polled.headers["retry-after"] == "1"
        assert "of 5 stored resources read" in polled.headers["x-progress"]
        assert bulk.client.get("/fhir/metadata").status_code == 200
        assert bulk.client.delete(status_url, headers=bulk.auth("icb", None)).status_code == 202
    finally:
        release.set()
    folder = tmp_path / "exports" / status_url.rsplit("/", 1)[1]
    deadline = time.monotonic() + 30
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()
    assert bulk.client.get(status_url, headers=bulk.auth("icb", None)).status_code == 404


def test_exports_that_ended_a_day_ago_are_swept_at_the_next_kickoff(
    bulk: Service, tmp_path: Path
) -> None:
    old_url, _ = export(bulk, "icb")
    old = old_url.rsplit("/", 1)[1]
    assert (tmp_path / "exports" / old).is_dir()
    with bulk.store.engine.begin() as conn:
        conn.execute(text("UPDATE export_jobs SET finished_at = '2000-01-01 00:00:00'"))
    new_url, _ = export(bulk, "icb")
    assert not (tmp_path / "exports" / old).exists()
    assert bulk.client.get(old_url, headers=bulk.auth("icb", None)).status_code == 404
    assert bulk.client.get(new_url, headers=bulk.auth("icb", None)).status_code == 200

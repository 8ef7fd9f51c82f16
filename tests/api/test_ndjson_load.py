"""NDJSON loading: `POST /fhir` with `application/fhir+ndjson`, streamed and stored in
batches, with `referee check`'s per-line counts and each bad line named by its number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from adapter.api import ndjson_in
from adapter.cli import main
from api.conftest import Service, make_service
from api.test_api import encounter, letter, patient

LINES = [
    orjson.dumps(patient("p1", "K81001")),
    orjson.dumps(encounter("e1", "p1", "RXQ")),
    b"{not json",
    b"",
    orjson.dumps(letter("ds1", "e1")),
    b"[1, 2]",
    orjson.dumps({"resourceType": "NoSuchType", "id": "x1"}),
    orjson.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient("p2")}]}
    ),
]
BODY = b"\n".join(LINES) + b"\n"


def load(service: Service, body: bytes, key: str = "feed"):
    return service.client.post(
        "/fhir", content=body, headers=service.auth(key, "application/fhir+ndjson")
    )


def counts_of_check(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    capsys.readouterr()
    main(["check", str(path), "--format", "json", "--as-of", "2024-06-01T00:00:00Z"])
    return dict(json.loads(capsys.readouterr().out)["counts"])


def test_a_load_counts_every_line_as_referee_check_does(
    service: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = load(service, BODY)
    assert answer.status_code == 200, answer.text
    issues = answer.json()["issue"]
    path = tmp_path / "load.ndjson"
    path.write_bytes(BODY)
    expected = counts_of_check(path, capsys)
    summary = (
        issues[0]["diagnostics"] if "diagnostics" in issues[0] else issues[0]["details"]["text"]
    )
    assert summary.startswith(
        f"Resources: {expected['received']} received, {expected['accepted']} accepted, "
        f"{expected['rejected']} rejected"
    ), summary
    assert expected == {"received": 7, "accepted": 4, "rejected": 3}
    text = orjson.dumps(issues[1:]).decode()
    for line in (3, 6, 7):  # the bad lines, by number (line 4 is blank: not a resource)
        assert f"request:{line}" in text, (line, text)
    # the good ones are stored and readable, the Bundle's Patient too
    stored = {(r["resourceType"], r["id"]) for r in _stored(service)}
    assert {
        ("Patient", "p1"),
        ("Encounter", "e1"),
        ("Composition", "ds1"),
        ("Patient", "p2"),
    } <= stored


def _stored(service: Service) -> Iterator[dict[str, object]]:
    from adapter.store import stored_resources

    for kind in ("Patient", "Encounter", "Composition"):
        yield from stored_resources(service.store.url, kind)


def test_a_long_load_is_stored_in_batches_and_sent_again_changes_nothing(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ndjson_in, "BATCH", 7)
    body = b"\n".join(orjson.dumps(patient(f"p{n}")) for n in range(40))
    first = load(service, body).json()["issue"][0]["details"]["text"]
    assert first.startswith("Resources: 40 received, 40 accepted, 0 rejected (40 created")
    again = load(service, body).json()["issue"][0]["details"]["text"]
    assert "40 unchanged" in again


def test_limits_scope_and_empty_bodies(db_url: str, tmp_path: Path) -> None:
    for service in make_service(db_url):
        service.client.app.state.settings = type(service.client.app.state.settings)(
            database_url=db_url, max_load_bytes=100, export_dir=str(tmp_path)
        )
        assert load(service, BODY).status_code == 413
        assert load(service, b"").status_code == 400
        assert load(service, BODY[:50], key="icb").status_code == 403


def test_an_organisation_key_loads_only_what_it_owns(db_url: str) -> None:
    for service in make_service(db_url):
        service.keys["rxq-feed"] = service.store.create_key("rxq-feed", "submit", "RXQ")
        body = (
            orjson.dumps(encounter("e1", "p1", "RXQ"))
            + b"\n"
            + orjson.dumps(encounter("e2", "p1", "RXX"))
        )
        answer = load(service, body, "rxq-feed")
        issues = answer.json()["issue"]
        assert issues[0]["details"]["text"].startswith(
            "Resources: 2 received, 1 accepted, 1 rejected"
        )
        assert [i["code"] for i in issues[1:]] == ["forbidden"]
        assert "request:2" in orjson.dumps(issues[1:]).decode()

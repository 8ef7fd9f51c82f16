"""Issue 15 against the service: each finding's minimal input, on SQLite and PostgreSQL
where the store is involved, and slow clients against a real `referee serve`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.conftest import Service, make_service
from api.server import ROOT, free_port, make_key

FHIR = "http://hl7.org/fhir"
NHS_NUMBER = "9990011117"
ENCOUNTER = {
    "resourceType": "Encounter",
    "id": "enc-1",
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
    "subject": {"reference": "Patient/pat-1"},
    "period": {"start": "2024-02-28T12:00:00Z", "end": "2024-03-01T10:00:00Z"},
}


# -- finding 9: one decoding front door ----------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "kind"),
    [("utf-8-sig", "json"), ("utf-16", "json"), ("utf-16", "xml"), ("utf-16-be", "xml")],
)
def test_the_service_decodes_what_the_cli_decodes(
    service: Service, encoding: str, kind: str
) -> None:
    if kind == "json":
        body = json.dumps(ENCOUNTER)
    else:
        body = (
            f'<?xml version="1.0" encoding="UTF-16"?><Encounter xmlns="{FHIR}"><id value="enc-1"/>'
            '<status value="finished"/><class>'
            '<system value="http://terminology.hl7.org/CodeSystem/v3-ActCode"/>'
            '<code value="IMP"/></class></Encounter>'
        )
    response = service.client.post(
        "/fhir/Encounter",
        content=body.encode(encoding),
        headers=service.auth("feed", f"application/fhir+{kind}"),
    )
    assert response.status_code == 201, response.text


def test_a_declared_charset_is_honoured(service: Service) -> None:
    body = json.dumps({**ENCOUNTER, "text": None} | {"id": "enc-é"}, ensure_ascii=False)
    response = service.client.post(
        "/fhir/Encounter",
        content=body.replace('"text": null, ', "").encode("latin-1"),
        headers=service.auth("feed", "application/fhir+json; charset=ISO-8859-1"),
    )
    # decoded as Latin-1 (not rejected as bad UTF-8); the id is then refused as not FHIR
    assert "is not valid" not in response.text
    assert response.status_code in (201, 422)


# -- finding 4: costly XML is refused early, off the event loop --------------------------------


def test_50000_attributes_on_one_element_are_a_quick_413(service: Service) -> None:
    attributes = " ".join(f'a{i}="x"' for i in range(50_000))
    body = f'<Patient xmlns="{FHIR}"><id value="p" {attributes}/></Patient>'
    response = service.client.post(
        "/fhir/Patient", content=body.encode(), headers=service.auth("feed", "application/fhir+xml")
    )
    # refused on counting them (linear), before lxml lists them (quadratic: 9 s before)
    assert response.status_code == 413
    assert (
        "<id> has 50001 attributes; a FHIR element has at most value, id and url"
        in (response.json()["issue"][0]["details"]["text"])
    )


def test_an_xml_bundle_over_the_entry_limit_is_refused_before_conversion(db_url: str) -> None:
    for service in make_service(db_url, max_entries=10):
        entry = (
            f'<entry><resource><Patient xmlns="{FHIR}"><id value="p"/></Patient></resource></entry>'
        )
        body = f'<Bundle xmlns="{FHIR}"><type value="batch"/>{entry * 11}</Bundle>'
        response = service.client.post(
            "/fhir", content=body.encode(), headers=service.auth("feed", "application/fhir+xml")
        )
        assert response.status_code == 413
        assert "the Bundle holds 11 entries; the limit is 10 per request" in response.text


# -- findings 3 and 7: 401/403 are audited with the route, never the raw path -------------------


def test_a_long_obligation_id_without_a_key_is_401_and_audited_by_route(service: Service) -> None:
    response = service.client.get("/obligations/" + "x" * 70)
    assert response.status_code == 401
    response = service.client.get(f"/fhir/DetectedIssue/{NHS_NUMBER}")
    assert response.status_code in (401, 404, 405)
    entries = service.client.get("/audit", headers=service.auth("admin")).json()["entries"]
    refused = [(e["key"], e["action"], e["status"]) for e in entries if e["status"] == 401]
    assert (None, "GET /obligations/{obligation_id}", 401) in refused
    assert "x" * 70 not in json.dumps(entries)
    assert NHS_NUMBER not in json.dumps(entries)


def test_a_403_is_audited_by_route(service: Service) -> None:
    response = service.client.put(
        f"/fhir/Patient/{NHS_NUMBER}", content=b"{}", headers=service.auth("icb")
    )
    assert response.status_code == 403
    entries = service.client.get("/audit", headers=service.auth("admin")).json()["entries"]
    assert ("icb", "PUT /fhir/{resource_type}/{resource_id}", 403) in [
        (e["key"], e["action"], e["status"]) for e in entries
    ]
    assert NHS_NUMBER not in json.dumps(entries)


def test_an_organisation_scoped_admin_key_reads_only_its_organisations_audit(
    service: Service,
) -> None:
    own = service.store.create_key("rz1-admin", "admin", "RZ1")
    other = service.store.create_key("rz1-feed", "submit", "RZ1")
    service.client.get("/obligations", headers=service.auth("icb"))  # another key's read
    service.client.get("/obligations")  # unauthenticated
    service.client.post(
        "/fhir/Encounter",
        content=json.dumps(ENCOUNTER).encode(),
        headers={"Authorization": f"Bearer {other}", "Content-Type": "application/fhir+json"},
    )
    mine = service.client.get("/audit", headers={"Authorization": f"Bearer {own}"}).json()
    keys = {e["key"] for e in mine["entries"]}
    assert keys == {"rz1-feed"}
    everyone = service.client.get("/audit", headers=service.auth("admin")).json()["entries"]
    assert {"icb", "rz1-feed", None} <= {e["key"] for e in everyone}


# -- finding 8: slow clients against the real server ---------------------------------------------


@pytest.fixture
def slow_server(tmp_path: Path) -> Iterator[tuple[int, Path, str]]:
    url = f"sqlite:///{tmp_path / 'referee.sqlite'}"
    key = make_key(url, "feed", "submit")
    port = free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "REFEREE_DATABASE_URL": url,
        "REFEREE_HEADER_TIMEOUT": "1",
        "REFEREE_BODY_TIMEOUT": "1",
    }
    command = [sys.executable, "-m", "adapter", "serve", "--port", str(port), "--log-level", "info"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=1).is_success:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port, log, key
    finally:
        process.terminate()
        process.wait(timeout=10)


def closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> bool:
    """Does the server close `sock` within `seconds` while we send `trickle` a byte at a
    time, one every 0.2 s (a slowloris)?"""
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            pass
        except ConnectionError:
            return True
        if sent < len(trickle):
            try:
                sock.sendall(trickle[sent : sent + 1])
            except ConnectionError:
                return True
            sent += 1
    return False


@pytest.mark.slow
def test_slow_headers_silent_connections_and_slow_bodies_are_cut_off(
    slow_server: tuple[int, Path, str],
) -> None:
    port, log, key = slow_server
    with socket.create_connection(("127.0.0.1", port)) as silent:
        assert closed_within(silent, 5)
    with socket.create_connection(("127.0.0.1", port)) as slowloris:
        headers = b"GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200
        assert closed_within(slowloris, 5, headers)
    with socket.create_connection(("127.0.0.1", port)) as slow_body:
        slow_body.sendall(
            b"POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n"
            + f"Authorization: Bearer {key}\r\nContent-Length: 1000\r\n\r\n".encode()
        )
        assert closed_within(slow_body, 6, b'{"resourceType": "Patient"' + b" " * 200)
    with socket.create_connection(("127.0.0.1", port)) as gone:  # leaves mid-upload
        gone.sendall(
            b"POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n"
            + f"Authorization: Bearer {key}\r\nContent-Length: 1000\r\n\r\n".encode()
            + b'{"resourceType": "Patient"'
        )
        time.sleep(0.3)
    # a prompt client is still served
    assert httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=5).status_code == 200
    time.sleep(0.5)
    text = log.read_text()
    assert "request headers took longer than 1 s" in text
    assert "request body took longer than 1 s" in text
    assert "the client disconnected after 26 bytes of the body" in text
    assert "Traceback" not in text and "internal error" not in text


# -- finding 3: values bounded before the database sees them, alike on both databases -------


@pytest.mark.parametrize(
    "query",
    ["/fhir/DetectedIssue?owner=R%00", "/obligations?patient=999%00", "/summary?rule=%01x"],
)
def test_a_control_character_in_a_query_is_400_on_both_databases(
    service: Service, query: str
) -> None:
    response = service.client.get(query, headers=service.auth("admin"))
    assert response.status_code == 400
    assert response.json()["issue"][0]["details"]["text"] == (
        "the URL holds a control character; send printable text only"
    )


def test_an_audit_cursor_beyond_a_database_integer_is_400_not_500(service: Service) -> None:
    response = service.client.get("/audit", params={"before": 2**40}, headers=service.auth("admin"))
    assert response.status_code == 400
    assert service.client.get(
        "/audit", params={"before": 2**31 - 1}, headers=service.auth("admin")
    ).is_success


def test_a_body_over_the_request_budget_is_413_not_a_stall(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFEREE_REQUEST_BUDGET", "0.000001")
    names = "".join(f'<name><given value="n{i}"/></name>' for i in range(20_000))
    body = f'<Patient xmlns="{FHIR}"><id value="p"/>{names}</Patient>'
    response = service.client.post(
        "/fhir/Patient", content=body.encode(), headers=service.auth("feed", "application/fhir+xml")
    )
    assert response.status_code == 413
    assert "budget" in response.json()["issue"][0]["details"]["text"]
    evaluated = service.client.post(
        "/fhir/$evaluate", content=json.dumps(ENCOUNTER).encode(), headers=service.auth("icb")
    )
    assert evaluated.status_code == 413
    monkeypatch.setenv("REFEREE_REQUEST_BUDGET", "30")
    assert service.client.post(
        "/fhir/$evaluate", content=json.dumps(ENCOUNTER).encode(), headers=service.auth("icb")
    ).is_success


def test_parsing_and_evaluation_run_off_the_event_loop(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 4: a costly body held up every request on the worker. Parsing a body and
    `$evaluate` now run where no event loop runs (a worker thread)."""
    import asyncio

    from adapter import engine
    from adapter.api import body as body_module

    seen: list[str] = []

    def on_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    real_parse, real_run = body_module.parse, engine.run

    def parse(*args: object, **kwargs: object) -> object:
        seen.append(f"parse on loop: {on_loop()}")
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    def run(*args: object, **kwargs: object) -> object:
        seen.append(f"evaluate on loop: {on_loop()}")
        return real_run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(body_module, "parse", parse)
    monkeypatch.setattr(engine, "run", run)
    answer = service.client.post(
        "/fhir/$evaluate", content=json.dumps(ENCOUNTER).encode(), headers=service.auth("icb")
    )
    assert answer.status_code == 200
    assert seen == ["parse on loop: False", "evaluate on loop: False"]

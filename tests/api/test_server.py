"""The real server: `referee serve` in its own process on 127.0.0.1, keys from
`referee keys create`, on a SQLite file and on PostgreSQL. End to end (JSON and XML in,
the same obligations as `referee check` out), concurrent overlapping posts, and a SIGKILL
in the middle of a stream of posts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cases import CASES, FIXTURES, inputs
from sqlalchemy import create_engine, text

from adapter import engine
from adapter.model import Location
from adapter.store.service import Store
from adapter.xml import fhir_xml_to_json, parse_xml_bytes
from api.server import Server, make_key
from api.synthetic import PRACTICE, TRUST, bundle, patient_resources

pytestmark = pytest.mark.slow  # each starts `referee serve` (a few seconds) at least once


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    with Server(db_url, tmp_path / "server.log") as running:
        yield running


def obligations(base: str, token: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        response = httpx.get(f"{base}/obligations", params=params, headers=_auth(token), timeout=30)
        body = response.json()
        found += [{k: v for k, v in o.items() if k != "id"} for o in body["obligations"]]
        if body["next"] is None:
            return found
        params["cursor"] = body["next"]


def _auth(token: str, kind: str = "json") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": f"application/fhir+{kind}"}


def _resources(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    value = (
        orjson.loads(data) if path.suffix == ".json" else fhir_xml_to_json(parse_xml_bytes(data))
    )
    if value.get("resourceType") != "Bundle":
        return [value]
    return [e["resource"] for e in value.get("entry", []) if "resource" in e]


def compatible_cases() -> list[Path]:
    """Golden cases whose resources never clash (same type and id, different content),
    so that they can share one database; XML cases first."""
    chosen: list[Path] = []
    seen: dict[tuple[str, str], bytes] = {}
    hand_made = [c for c in CASES if FIXTURES in c.parents]
    folders = [c for c in hand_made if all(p.suffix in (".json", ".xml") for p in inputs(c))]
    for folder in sorted(folders, key=lambda f: not any(f.glob("*.xml"))):
        mine = {}
        for path in inputs(folder):
            for r in _resources(path):
                mine[(r["resourceType"], str(r.get("id")))] = orjson.dumps(
                    r, option=orjson.OPT_SORT_KEYS
                )
        if all(seen.get(k, v) == v for k, v in mine.items()):
            seen.update(mine)
            chosen.append(folder)
    return chosen


def test_end_to_end_json_and_xml_give_what_referee_check_gives(server: Server) -> None:
    token = make_key(server.database_url, "feed")
    folders = compatible_cases()
    files = [p for f in folders for p in inputs(f)]
    assert any(p.suffix == ".xml" for p in files) and any(p.suffix == ".json" for p in files)
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for path in files:
            kind = "xml" if path.suffix == ".xml" else "json"
            [first, *rest] = _resources(path)
            is_bundle = (
                rest or orjson.loads(path.read_bytes()).get("resourceType") == "Bundle"
                if kind == "json"
                else b"<Bundle" in path.read_bytes()[:200]
            )
            url = "/fhir" if is_bundle else f"/fhir/{first['resourceType']}"
            response = client.post(url, content=path.read_bytes(), headers=_auth(token, kind))
            assert response.status_code in (200, 201, 422), response.text
    checked = engine.check(files)
    assert checked.obligations, "the chosen cases make obligations"
    assert obligations(server.base, token) == [o.to_json() for o in checked.obligations]


def _stored(url: str) -> list[tuple[str, str]]:
    db = create_engine(url)
    with db.connect() as conn:
        rows = conn.execute(text("SELECT resource_type, resource_key FROM resources")).all()
    db.dispose()
    return sorted((t, k) for t, k in rows)


def _key(url: str) -> str:
    """A key made in process (the real command is used by the end-to-end test)."""
    store = Store(url)
    token = store.create_key("feed", "admin", None)
    store.close()
    return token


@pytest.mark.parametrize("workers", [1, 2])
def test_concurrent_overlapping_posts_store_each_resource_once(
    db_url: str, tmp_path: Path, workers: int
) -> None:
    server = Server(db_url, tmp_path / "server.log", workers).start()
    try:
        _post_overlapping(server)
    finally:
        server.stop()


def _post_overlapping(server: Server) -> None:
    token = _key(server.database_url)
    patients = {n: patient_resources(n, letter=n % 2 == 0) for n in range(12)}
    everything = [TRUST, PRACTICE] + [r for rs in patients.values() for r in rs]
    # each thread posts overlapping windows of patients, with the shared organisations
    plans = [[list(range(start, start + 6)) for start in range(t % 3, 12, 3)] for t in range(6)]
    failures: list[str] = []

    def worker(windows: list[list[int]]) -> None:
        with httpx.Client(base_url=server.base, timeout=60) as client:
            for window in windows:
                body = bundle(
                    [TRUST, PRACTICE] + [r for n in window if n in patients for r in patients[n]]
                )
                response = client.post("/fhir", content=orjson.dumps(body), headers=_auth(token))
                if response.status_code != 200:
                    failures.append(response.text)

    threads = [threading.Thread(target=worker, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    expected = sorted((r["resourceType"], r["id"]) for r in everything)
    assert _stored(server.database_url) == expected
    alone = engine.evaluate([(bundle(everything, "collection"), Location(file="all"))])
    assert obligations(server.base, token) == [o.to_json() for o in alone.obligations]


def test_a_killed_server_loses_nothing_it_acknowledged(db_url: str, tmp_path: Path) -> None:
    token = _key(db_url)
    with Server(db_url, tmp_path / "server.log") as server:
        _post_then_kill(server, db_url, tmp_path, token)


def _post_then_kill(server: Server, db_url: str, tmp_path: Path, token: str) -> None:
    acknowledged: list[int] = []
    stop = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            for n in range(10_000):
                if stop.is_set():
                    return
                body = bundle(patient_resources(n, letter=True), "transaction")
                try:
                    response = client.post(
                        "/fhir", content=orjson.dumps(body), headers=_auth(token)
                    )
                except httpx.TransportError:
                    return
                if response.status_code == 200:
                    acknowledged.append(n)

    poster = threading.Thread(target=stream)
    poster.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    poster.join(timeout=30)
    assert len(acknowledged) >= 5
    with Server(db_url, tmp_path / "server2.log") as restarted:
        stored = _stored(db_url)
        for n in acknowledged:
            assert ("Encounter", f"enc-{n}") in stored
        by_patient: dict[str, set[str]] = {}
        for kind, key in stored:
            by_patient.setdefault(key.split("-", 1)[1], set()).add(kind)
        # a transaction is all or nothing: each patient's three resources, or none
        assert all(
            kinds == {"Patient", "Encounter", "Composition"} for kinds in by_patient.values()
        )
        subjects = {o["subject"] for o in obligations(restarted.base, token)}
        assert {f"Encounter/enc-{n}" for n in acknowledged} <= subjects
        again = httpx.post(
            f"{restarted.base}/fhir",
            content=orjson.dumps(bundle(patient_resources(99_999, letter=False))),
            headers=_auth(token),
            timeout=30,
        )
        assert again.status_code == 200

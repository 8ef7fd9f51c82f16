"""The service gives the same obligations as `referee check` on the same resources: every
golden fixture case with JSON or XML inputs is posted file by file (XML as XML) to a fresh
store, and the obligations read back equal those of `adapter.engine.check` on the folder."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from adapter import engine
from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.policy import load_policy
from adapter.store.service import Store
from api.conftest import TestClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
NOT_INPUTS = {"case.toml", "expected.json", "policy.toml"}


def cases() -> list[Path]:
    found = []
    for folder in sorted(FIXTURES.glob("*/*/")):
        inputs = [p for p in folder.iterdir() if p.name not in NOT_INPUTS]
        if not (folder / "case.toml").is_file():
            continue
        if inputs and all(p.suffix in (".json", ".xml") for p in inputs):
            found.append(folder)
    return found


def post_file(client: TestClient, path: Path, token: str) -> dict[str, int]:
    """Post one file (a Bundle to /fhir, a resource to /fhir/{type}); the answer's counts."""
    data = path.read_bytes()
    kind = "xml" if path.suffix == ".xml" else "json"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": f"application/fhir+{kind}"}
    if kind == "json":
        resource_type = orjson.loads(data)["resourceType"]
    else:
        resource_type = (
            data.split(b"<", 2)[1 if not data.startswith(b"<?") else 2].split()[0].decode()
        )
        resource_type = resource_type.rstrip(">")
    url = "/fhir" if resource_type == "Bundle" else f"/fhir/{resource_type}"
    response = client.post(url, content=data, headers=headers)
    assert response.status_code in (200, 201, 422), response.text
    body = response.json()
    statuses = (
        [e["response"]["status"] for e in body.get("entry", [])]
        if url == "/fhir"
        else [str(response.status_code)]
    )
    rejected = sum(s.startswith("422") for s in statuses)
    return {"received": len(statuses), "rejected": rejected}


def read_all(client: TestClient, token: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        body = client.get(
            "/obligations", params=params, headers={"Authorization": f"Bearer {token}"}
        ).json()
        found += body["obligations"]
        if body["next"] is None:
            return found
        params["cursor"] = body["next"]


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("matches")


@pytest.mark.parametrize("folder", cases(), ids=lambda p: f"{p.parent.name}/{p.name[:2]}")
def test_the_service_gives_the_obligations_referee_check_gives(
    folder: Path, tmp_root: Path
) -> None:
    url = f"sqlite:///{tmp_root / (folder.parent.name + folder.name[:2])}.sqlite"
    case = tomllib.loads((folder / "case.toml").read_text())
    policy = load_policy(folder / case["policy"] if "policy" in case else None)
    store = Store(url, policy=policy)
    token = store.create_key("feed", "admin", None)
    counts = {"received": 0, "rejected": 0}
    inputs = sorted(p for p in folder.iterdir() if p.name not in NOT_INPUTS)
    with TestClient(create_app(Settings(database_url=url), store=store)) as client:
        for path in inputs:
            for name, value in post_file(client, path, token).items():
                counts[name] += value
        served = read_all(client, token)
    store.close()
    checked = engine.check(inputs, policy=policy)
    for ob in served:
        del ob["id"]
    assert served == [o.to_json() for o in checked.obligations]
    assert counts == {"received": checked.counts.received, "rejected": checked.counts.rejected}

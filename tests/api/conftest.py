from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from store.backends import BACKENDS, database_url

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.store.service import Store

with warnings.catch_warnings():
    # starlette asks for httpx2 in a warning at import; httpx is what we have
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database_url(request.param, tmp_path)


@dataclass
class Service:
    client: TestClient
    store: Store
    keys: dict[str, str]

    def auth(self, name: str, content_type: str | None = "application/fhir+json") -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.keys[name]}"}
        if content_type:
            headers["Content-Type"] = content_type
        return headers


KEYS = {
    "admin": ("admin", None),
    "feed": ("submit", None),
    "icb": ("read", None),
    "practice": ("read", "K81001"),
    "trust": ("read", "RXQ"),
}


def make_service(url: str, **limits: int) -> Iterator[Service]:
    store = Store(url)
    keys = {name: store.create_key(name, scope, org) for name, (scope, org) in KEYS.items()}
    app = create_app(Settings(database_url=url, **limits), store=store)
    with TestClient(app) as client:
        yield Service(client, store, keys)
    store.close()


@pytest.fixture
def service(db_url: str) -> Iterator[Service]:
    yield from make_service(db_url)

"""The fuzz harness over the service, on SQLite and PostgreSQL (issue 15): mutated real
scenarios posted as batches, transactions and single resources never get a 5xx, every
batch answer accounts for each resource, and the service still answers afterwards.
Bounded in CI; REFEREE_FUZZ_EXAMPLES=20000 for a long run."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.store.service import Store
from api.conftest import Service, TestClient
from tests.fuzz.hostile import FUZZ, mutated_scenarios


@pytest.mark.slow
def test_mutated_scenarios_never_get_a_5xx(db_url: str) -> None:
    store = Store(db_url)  # the real evaluator: the engine, every rule
    keys = {name: store.create_key(name, scope, None) for name, scope in SCOPES.items()}
    app = create_app(Settings(database_url=db_url, max_entries=50), store=store)
    try:
        with TestClient(app) as client:
            run(Service(client, store, keys))
    finally:
        store.close()  # on every path: a PostgreSQL connection left open fails a later test


SCOPES = {"feed": "submit", "icb": "read"}


def run(service: Service) -> None:
    @given(document=mutated_scenarios(), kind=st.sampled_from(["batch", "transaction", "one"]))
    @FUZZ
    def post(document: Any, kind: str) -> None:
        try:
            body = orjson.dumps(_shaped(document, kind))
        except (orjson.JSONEncodeError, TypeError):
            return
        if kind == "one":
            resource = orjson.loads(body)
            kind_ = resource.get("resourceType") if isinstance(resource, dict) else "x"
            # percent-encoded: the client cannot send control characters in a URL at all
            url = f"/fhir/{quote(str(kind_), safe='')}"
        else:
            url = "/fhir"
        response = service.client.post(url, content=body, headers=service.auth("feed"))
        assert response.status_code < 500, response.text
        if kind == "batch" and response.status_code == 200:
            entries = response.json()["entry"]
            assert all(e["response"]["status"][:3] in ("200", "201", "422") for e in entries)
        for path in ("/obligations", "/fhir/DetectedIssue?_format=xml", "/summary"):
            read = service.client.get(path, headers=service.auth("icb"))
            assert read.status_code == 200, (path, read.text)

    post()


def _shaped(document: Any, kind: str) -> Any:
    if kind == "one":
        entries = document.get("entry") if isinstance(document, dict) else None
        if isinstance(entries, list) and entries and isinstance(entries[-1], dict):
            return entries[-1].get("resource", document)
        return document
    if isinstance(document, dict) and document.get("resourceType") == "Bundle":
        return {**document, "type": kind}
    return document

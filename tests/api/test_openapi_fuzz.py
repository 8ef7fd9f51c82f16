"""Schemathesis against /openapi.json, in process, with an admin key, on SQLite and
PostgreSQL: no input it can think of makes the service answer 5xx, and every answer
conforms to the document (status codes, content types, schemas, headers, 405 with the right
`Allow`). Bounded in CI: 30 examples per operation; REFEREE_FUZZ_EXAMPLES=2000 for a long run.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.store.service import Store

EXAMPLES = int(os.environ.get("REFEREE_FUZZ_EXAMPLES", "30"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.unsupported_method,
    checks.negative_data_rejection,
]


@pytest.mark.slow
def test_no_generated_request_makes_the_service_answer_5xx_or_off_its_document(
    db_url: str,
) -> None:
    store = Store(db_url)
    headers = {"Authorization": f"Bearer {store.create_key('fuzz', 'admin', None)}"}
    app = create_app(Settings(database_url=db_url, max_entries=50), store=store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tried = []
    for found in schema.get_all_operations():
        operation = found.ok()
        tried.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
    store.close()
    assert "POST /fhir" in tried and "GET /obligations" in tried


def test_options_on_metadata_is_405_allowing_get(db_url: str) -> None:
    store = Store(db_url)
    app = create_app(Settings(database_url=db_url), store=store)
    from fastapi.testclient import TestClient

    try:
        with TestClient(app) as client:
            response = client.options("/fhir/metadata")
            assert response.status_code == 405
            assert response.headers["allow"] == "GET"
            assert client.delete("/fhir/Patient").headers["allow"] == "GET, POST"
    finally:
        store.close()


def test_every_operation_documents_objects_not_strings(db_url: str) -> None:
    store = Store(db_url)
    doc = create_app(Settings(database_url=db_url), store=store).openapi()
    store.close()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                for media, body in answer.get("content", {}).items():
                    if media.endswith("json"):
                        assert body["schema"] != {"type": "string"}, (path, method, status)
                assert answer.get("description") != "Validation Error", (path, method)

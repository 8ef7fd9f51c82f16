"""Schemathesis against /openapi.json, in process, with an admin key: no input it can
think of makes the service answer 5xx (bounded: 30 examples per operation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.store.service import Store


@pytest.mark.slow
def test_no_generated_request_makes_the_service_answer_5xx(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'referee.sqlite'}"
    store = Store(url)
    headers = {"Authorization": f"Bearer {store.create_key('fuzz', 'admin', None)}"}
    app = create_app(Settings(database_url=url, max_entries=50), store=store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tried = []
    for found in schema.get_all_operations():
        operation = found.ok()
        tried.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        run()
    store.close()
    assert "POST /fhir" in tried and "GET /obligations" in tried

"""Schemathesis's state machine against the service (issue 15): calls chained along the
OpenAPI links of `adapter/api/openapi.py` (create then update the same resource, list
obligations then read one, follow `next` cursors), with an admin key, on SQLite and
PostgreSQL. No step may answer 5xx or off the document. Bounded in CI (a few dozen steps
in a handful of scenarios); REFEREE_FUZZ_EXAMPLES=200 for a long run.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import Bundle, initialize
from schemathesis import checks
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.store.service import Store

from .test_openapi_fuzz import CHECKS
from .test_write_scope import PATIENT, encounter, organisation

# Every scenario starts from a real create (random bodies almost never name the URL's
# type), so that the links from its 201 are followed: the PUTs of the same resource.
SEED = (
    ("Organization", organisation("trust-rz1", "RZ1")),
    ("Patient", PATIENT),
    ("Encounter", encounter("enc-rz1", "trust-rz1")),  # an inpatient stay: obligations
    ("Patient", {"resourceType": "Patient", "active": True}),  # no id: one is assigned
)

SCENARIOS = int(os.environ.get("REFEREE_FUZZ_EXAMPLES", "6"))
STATEFUL_CHECKS = [*CHECKS, checks.use_after_free, checks.ensure_resource_availability]


def _machine(db_url: str, store: Store) -> tuple[Any, Counter[str]]:
    headers = {"Authorization": f"Bearer {store.create_key('stateful', 'admin', None)}"}
    app = create_app(Settings(database_url=db_url, max_entries=50), store=store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen: Counter[str] = Counter()

    class Client(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def after_call(self, response: Any, case: Any) -> None:
            seen[f"{case.operation.label} {response.status_code}"] += 1

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs)

        @initialize(target=Bundle("catch_all"))
        def create_real_resources(self) -> StepOutput:
            output = None
            for kind, body in SEED:
                case = create.Case(
                    path_parameters={"resource_type": kind},
                    body=dict(body),
                    media_type="application/fhir+json",
                )
                step = StepInput.initial(case)
                self.recorder.record_case(case=case)  # as the machine's own root steps do
                self.control.record_step(step, self.recorder)
                output = self.step(step)
            assert output is not None
            return output  # the last create: routed by its status to the links' bundle

    create = schema["/fhir/{resource_type}"]["POST"]

    return Client, seen


def _run(db_url: str, scenarios: int, steps: int) -> Counter[str]:
    store = Store(db_url)
    try:
        machine, seen = _machine(db_url, store)
        machine.run(
            settings=settings(
                max_examples=scenarios,
                derandomize="REFEREE_FUZZ_EXAMPLES" not in os.environ,  # CI: the same runs
                stateful_step_count=steps,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
        )
    finally:
        store.close()
    return seen


def test_the_document_links_what_a_client_calls_next(db_url: str) -> None:
    store = Store(db_url)
    doc = create_app(Settings(database_url=db_url), store=store).openapi()
    store.close()
    create = doc["paths"]["/fhir/{resource_type}"]["post"]["responses"]
    assert "201" in create and "200" in create  # a new resource is 201, as the route answers
    link = create["201"]["links"]["UpdateCreated"]
    assert link["operationRef"] == "#/paths/~1fhir~1{resource_type}~1{resource_id}/put"
    assert link["parameters"]["resource_id"].startswith("$response.header.Location#regex:")
    assert {"ReadCreated", "VreadCreated"} <= set(create["201"]["links"])
    vread = create["201"]["links"]["VreadCreated"]
    assert vread["operationRef"].endswith("~1_history~1{version_id}/get")
    listed = doc["paths"]["/obligations"]["get"]["responses"]["200"]["links"]
    assert listed["ReadFirst"]["parameters"] == {
        "obligation_id": "$response.body#/obligations/0/id"
    }
    assert set(listed) == {"ReadFirst", "NextPage"}
    assert "NextPage" in doc["paths"]["/audit"]["get"]["responses"]["200"]["links"]


def test_a_short_stateful_run_answers_no_5xx_and_stays_on_its_document(db_url: str) -> None:
    seen = _run(db_url, scenarios=3, steps=12)
    assert seen["POST /fhir/{resource_type} 201"] >= 3  # each scenario's real creates
    assert not [call for call in seen if call.endswith(tuple(f" 5{n:02}" for n in range(100)))]


@pytest.mark.slow
def test_a_longer_stateful_run_answers_no_5xx_and_stays_on_its_document(db_url: str) -> None:
    seen = _run(db_url, scenarios=SCENARIOS, steps=40)
    # the links were followed: created resources updated, a listed obligation or issue read
    assert seen["PUT /fhir/{resource_type}/{resource_id} 200"] > 0
    read = ("GET /obligations/{obligation_id} 200", "GET /fhir/DetectedIssue/{ident} 200")
    assert sum(seen[call] for call in read) > 0
    stored = ("GET /fhir/{resource_type}/{resource_id} 200",)
    stored += ("GET /fhir/{resource_type}/{resource_id}/_history/{version_id} 200",)
    assert sum(seen[call] for call in stored) > 0  # a created resource read back
    assert not [call for call in seen if call.endswith(tuple(f" 5{n:02}" for n in range(100)))]

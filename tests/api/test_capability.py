"""The CapabilityStatement against the real routes (issue 12, part 1; docs/contract.md
§12.7): every declared interaction and search parameter works as declared, and nothing it
does not declare is served: an undeclared parameter is 400, an undeclared interaction or
type answers no 2xx. In-process on SQLite, one store for the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.store.service import Store
from api.conftest import TestClient
from api.test_api import encounter, letter, patient

VALUES = {"token": "x", "date": "ge2024-01-01", "reference": "Patient/p1", "string": "x"}
EXAMPLES: dict[str, dict[str, Any]] = {  # a resource of each type the write test creates
    "Encounter": encounter("e1"),
    "Patient": patient("p1"),
    "Composition": letter("c1", "e1"),
    "Organization": {"resourceType": "Organization", "id": "o1", "name": "A trust"},
    "Observation": {
        "resourceType": "Observation",
        "id": "ob1",
        "status": "final",
        "code": {"text": "pulse"},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-03-01T09:00:00Z",
    },
}


class Client:
    def __init__(self, client: TestClient, keys: dict[str, str]) -> None:
        self.client, self.keys = client, keys

    def call(self, method: str, path: str, key: str = "admin", **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[key]}", **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    url = f"sqlite:///{tmp_path_factory.mktemp('capability') / 'referee.sqlite'}"
    store = Store(url)
    keys = {"admin": store.create_key("admin", "admin", None)}
    try:
        with TestClient(create_app(Settings(database_url=url), store=store)) as client:
            yield Client(client, keys)
    finally:
        store.close()


@pytest.fixture(scope="module")
def declared(api: Client) -> dict[str, dict[str, Any]]:
    body = api.client.get("/fhir/metadata").json()
    CapabilityStatement.model_validate(body)
    return {r["type"]: r for r in body["rest"][0]["resource"]}


def _interactions(resource: dict[str, Any]) -> set[str]:
    return {i["code"] for i in resource["interaction"]}


def test_definitions_are_canonical_urls_under_the_services_own_base(api: Client) -> None:
    body = api.client.get("/fhir/metadata").json()
    assert body["url"] == "http://testserver/fhir/metadata"
    assert body["implementation"]["url"] == "http://testserver/fhir"
    urls = [p["definition"] for r in body["rest"][0]["resource"] for p in r.get("searchParam", [])]
    ours = [o["definition"] for o in body["rest"][0]["operation"] if o["name"] == "evaluate"]
    assert urls and all(u.startswith("http://testserver/fhir/") for u in urls + ours)
    # Bulk Data's operations keep the IG's own canonical URLs
    bulk = [o["definition"] for o in body["rest"][0]["operation"] if o["name"] == "export"]
    assert bulk and all(u.startswith("http://hl7.org/fhir/uv/bulkdata/") for u in bulk)


FEW = ("DetectedIssue", "MeasureReport", "Encounter", "Composition", "Patient", "Task")


def test_the_declared_search_parameters_of_a_few_types_answer(
    api: Client, declared: dict[str, dict[str, Any]]
) -> None:
    _searches(api, {kind: declared[kind] for kind in FEW})


@pytest.mark.slow  # some 140 types, 1,000 requests
def test_every_declared_search_parameter_of_every_type_answers(
    api: Client, declared: dict[str, dict[str, Any]]
) -> None:
    assert len(declared) > 100  # every R4 type the service stores, and the two it makes
    _searches(api, declared)
    for kind, resource in declared.items():
        interactions = _interactions(resource)
        assert "read" in interactions
        assert api.call("GET", f"/fhir/{kind}/nothing-here").status_code == 404, kind
        if "vread" not in interactions:  # the made types have no versions
            assert api.call("GET", f"/fhir/{kind}/x/_history/1").status_code == 404, kind


def _searches(api: Client, declared: dict[str, dict[str, Any]]) -> None:
    for kind, resource in declared.items():
        assert "search-type" in _interactions(resource)
        names = [p["name"] for p in resource["searchParam"]]
        for parameter in resource["searchParam"]:
            # as_of is an instant to judge at, not a comparison
            value = "2024-01-01" if parameter["name"] == "as_of" else VALUES[parameter["type"]]
            answer = api.call("GET", f"/fhir/{kind}", params={parameter["name"]: value})
            assert answer.status_code == 200, (kind, parameter["name"], answer.text)
        # a parameter some type has but this one does not declare is refused
        for other in ("date", "status", "encounter", "implicated", "period"):
            if other not in names:
                answer = api.call("GET", f"/fhir/{kind}", params={other: VALUES["date"]})
                assert answer.status_code == 400, (kind, other)


def test_declared_writes_store_versions_that_read_and_vread_return(
    api: Client, declared: dict[str, dict[str, Any]]
) -> None:
    for kind, body in EXAMPLES.items():
        assert {"create", "update", "read", "vread"} <= _interactions(declared[kind])
        created = api.call("POST", f"/fhir/{kind}", content=orjson.dumps(body), headers=_json())
        assert created.status_code == 201, created.text
        changed = {**body, "language": "en-GB"}
        updated = api.call(
            "PUT",
            f"/fhir/{kind}/{body['id']}",
            content=orjson.dumps(changed),
            headers={**_json(), "If-Match": 'W/"1"'},
        )
        assert updated.status_code == 200 and updated.headers["etag"] == 'W/"2"', kind
        assert api.call("GET", f"/fhir/{kind}/{body['id']}").json()["language"] == "en-GB"
        old = api.call("GET", f"/fhir/{kind}/{body['id']}/_history/1").json()
        assert "language" not in old, kind


def test_nothing_undeclared_is_served(api: Client, declared: dict[str, dict[str, Any]]) -> None:
    for kind in ("DetectedIssue", "MeasureReport"):  # read and search only
        assert "create" not in _interactions(declared[kind])
        posted = api.call(
            "POST",
            f"/fhir/{kind}",
            content=b'{"resourceType":"%s"}' % kind.encode(),
            headers=_json(),
        )
        assert posted.status_code == 400
    assert "Bundle" not in declared
    assert api.call("GET", "/fhir/Bundle").status_code == 404
    assert api.call("GET", "/fhir/NoSuchType").status_code == 404
    # no key asked for a path that names no type (SMART discovery probes the FHIR base)
    assert api.client.get("/fhir/.well-known/smart-configuration").status_code == 404
    assert api.client.get("/fhir/NoSuchType/x").status_code == 404
    undeclared = [
        ("DELETE", "/fhir/Patient/p1"),  # delete
        ("PATCH", "/fhir/Patient/p1"),  # patch
        ("GET", "/fhir/Patient/p1/_history"),  # history-instance
        ("GET", "/fhir/Patient/_history"),  # history-type
        ("GET", "/fhir"),  # search-system
        ("GET", "/fhir/_history"),  # history-system
    ]
    for method, path in undeclared:
        answer = api.call(method, path)
        assert not 200 <= answer.status_code < 300, (method, path, answer.status_code)
    body = api.client.get("/fhir/metadata").json()
    assert {i["code"] for i in body["rest"][0]["interaction"]} == {"transaction", "batch"}
    assert [o["name"] for o in body["rest"][0]["operation"]] == ["evaluate", "export"]
    assert [o["name"] for o in declared["Group"]["operation"]] == ["export"]


def _json() -> dict[str, str]:
    return {"Content-Type": "application/fhir+json"}


def test_a_stored_type_declares_its_own_r4_parameters(declared: dict[str, dict[str, Any]]) -> None:
    assert declared["Encounter"]["versioning"] == "versioned-update"
    names = {p["name"] for p in declared["Encounter"]["searchParam"]}
    assert names == {"_id", "_lastUpdated", "patient", "subject", "date", "status"}

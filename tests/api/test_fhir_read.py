"""`read` and `vread` of stored traffic, conditional update and `Prefer` (issue 12, part 1;
docs/contract.md §12.5), in-process on SQLite and PostgreSQL: every version written is
readable at its id with `ETag` and `Last-Modified`; a key for one organisation reads only
its own; `If-Match` guards an update (412); `Prefer: return=` chooses the answer."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from fhir.resources.R4B.encounter import Encounter
from store.backends import submit

from adapter.store.database import MIGRATIONS
from adapter.store.service import Store
from api.conftest import Service
from api.test_api import batch, encounter, issues, patient, post


def put(service: Service, resource: dict[str, Any], key: str = "feed", **headers: str):
    path = f"/fhir/{resource['resourceType']}/{resource['id']}"
    auth = {**service.auth(key), **headers}
    return service.client.put(path, content=orjson.dumps(resource), headers=auth)


def get(service: Service, path: str, key: str = "icb", **params: str):
    return service.client.get(f"/fhir/{path}", params=params, headers=service.auth(key, None))


def test_every_version_is_readable_at_its_id_with_etag_and_last_modified(service: Service) -> None:
    assert post(service, encounter("e1"), path="/fhir/Encounter").status_code == 201
    assert put(service, encounter("e1", end="2024-04-01T10:00:00Z")).status_code == 200
    now = get(service, "Encounter/e1")
    assert now.status_code == 200
    assert now.headers["etag"] == 'W/"2"'
    assert parsedate_to_datetime(now.headers["last-modified"]).tzinfo is not None
    body = now.json()
    Encounter.model_validate(body)
    assert body["meta"]["versionId"] == "2" and body["period"]["end"] == "2024-04-01T10:00:00Z"
    first = get(service, "Encounter/e1/_history/1")
    assert first.status_code == 200 and first.headers["etag"] == 'W/"1"'
    assert first.json()["period"]["end"] == "2024-03-01T10:00:00Z"
    assert get(service, "Encounter/e1/_history/2").json() == body
    for missing in ("Encounter/e1/_history/3", "Encounter/e9", "Observation/e1"):
        answer = get(service, missing)
        assert answer.status_code == 404, missing
        assert issues(answer)[0]["code"] == "not-found"


def test_a_clients_version_id_is_kept_and_a_reused_one_is_renumbered(service: Service) -> None:
    post(service, {**encounter("e1"), "meta": {"versionId": "7"}}, path="/fhir/Encounter")
    assert get(service, "Encounter/e1").headers["etag"] == 'W/"7"'
    newer = {**encounter("e1", end="2024-05-01T10:00:00Z"), "meta": {"versionId": "8"}}
    assert put(service, newer).headers["etag"] == 'W/"8"'
    unnumbered = encounter("e1", end="2024-06-01T10:00:00Z")  # no versionId: the server's
    assert put(service, unnumbered).headers["etag"] == 'W/"9"'
    ends = [
        get(service, f"Encounter/e1/_history/{v}").json()["period"]["end"] for v in ("7", "8", "9")
    ]
    assert ends == ["2024-03-01T10:00:00Z", "2024-05-01T10:00:00Z", "2024-06-01T10:00:00Z"]
    same = put(service, unnumbered)  # the same content again: no new version
    assert same.headers["etag"] == 'W/"9"'
    assert get(service, "Encounter/e1/_history/10").status_code == 404


def test_an_organisations_key_reads_only_what_it_may_see(service: Service) -> None:
    """The one rule of what an organisation sees (adapter/store/visible.py, as Bulk export):
    what it owns or its keys wrote, what its obligations name, their shared context."""
    post(service, batch(patient("p1"), encounter("e1", provider="RXQ")))
    stranger = service.store.create_key("stranger", "read", "X99")
    service.keys["stranger"] = stranger
    for key in ("trust", "practice", "icb"):  # RXQ's stay; the discharge owed to K81001
        for path in ("Encounter/e1", "Encounter/e1/_history/1", "Patient/p1"):
            assert get(service, path, key=key).status_code == 200, (key, path)
    for path in ("Encounter/e1", "Encounter/e1/_history/1", "Patient/p1"):
        hidden = get(service, path, key="stranger")
        assert hidden.status_code == 404, path  # the same answer as for nothing stored
        assert "e1" not in str(hidden.json()["issue"][0].get("expression"))
    assert get(service, "Encounter/e1", key="feed").status_code == 403  # submit scope


def test_elements_keeps_the_named_elements_and_unknown_parameters_are_refused(
    service: Service,
) -> None:
    post(service, encounter("e1"), path="/fhir/Encounter")
    subsetted = get(service, "Encounter/e1", _elements="status,Encounter.subject").json()
    assert set(subsetted) == {"resourceType", "id", "meta", "status", "subject", "class"}
    assert {"code": "SUBSETTED"}.items() <= subsetted["meta"]["tag"][0].items()
    assert get(service, "Encounter/e1", _elements="status;drop").status_code == 400
    refused = get(service, "Encounter/e1", _pretty="true")
    assert refused.status_code == 400 and issues(refused)[0]["expression"] == ["_pretty"]
    lenient = service.client.get(
        "/fhir/Encounter/e1",
        params={"_pretty": "true"},
        headers={**service.auth("icb", None), "Prefer": "handling=lenient"},
    )
    assert lenient.status_code == 200


def test_if_match_updates_only_the_version_named(service: Service, db_url: str) -> None:
    post(service, encounter("e1"), path="/fhir/Encounter")
    changed = encounter("e1", end="2024-04-01T10:00:00Z")
    assert put(service, changed, **{"If-Match": 'W/"1"'}).headers["etag"] == 'W/"2"'
    stale = put(service, encounter("e1", end="2024-05-01T10:00:00Z"), **{"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    [problem] = issues(stale)
    assert (
        problem["code"] == "conflict" and "the stored version is '2'" in problem["details"]["text"]
    )
    assert get(service, "Encounter/e1").json()["period"]["end"] == "2024-04-01T10:00:00Z"
    absent = put(service, encounter("e2"), **{"If-Match": '"1"'})
    assert absent.status_code == 412 and get(service, "Encounter/e2").status_code == 404
    assert put(service, encounter("e3"), **{"If-Match": ""}).status_code == 400


def test_prefer_return_chooses_the_answer_of_a_create_or_update(service: Service) -> None:
    minimal = service.client.post(
        "/fhir/Encounter",
        content=orjson.dumps(encounter("e1")),
        headers=_prefer(service, "minimal"),
    )
    assert minimal.status_code == 201 and minimal.content == b""
    assert minimal.headers["etag"] == 'W/"1"' and minimal.headers["location"].endswith(
        "/_history/1"
    )
    whole = put(
        service, encounter("e1", end="2024-04-01T10:00:00Z"), Prefer="return=representation"
    )
    assert whole.status_code == 200 and whole.headers["etag"] == 'W/"2"'
    assert whole.json()["resourceType"] == "Encounter" and whole.json()["meta"]["versionId"] == "2"
    said = put(
        service, encounter("e1", end="2024-04-01T10:00:00Z"), Prefer="return=OperationOutcome"
    )
    assert said.json()["resourceType"] == "OperationOutcome"
    assert put(service, encounter("e1"), Prefer="return=everything").status_code == 400


def _prefer(service: Service, value: str) -> dict[str, str]:
    return {**service.auth("feed"), "Prefer": f"return={value}"}


def test_versions_stored_before_the_history_existed_read_as_version_one(db_url: str) -> None:
    store = Store(db_url)
    submit(store, batch(encounter("e1"), {**encounter("e2"), "meta": {"versionId": "4"}}))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    store.close()
    store = Store(db_url)  # migrates up again: the history is made from what is stored
    try:
        found = [store.read("Encounter", e, None) for e in ("e1", "e2")]
        assert [v.vid if v else None for v in found] == ["1", "4"]
        assert store.read("Encounter", "e2", None, "4") is not None
    finally:
        store.close()

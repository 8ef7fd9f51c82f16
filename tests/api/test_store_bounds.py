"""Issue 15, finding 3: values are bounded and validated before the database sees them, so
SQLite and PostgreSQL answer alike (PostgreSQL answered 500 to each of these; one such entry
failed a whole batch, and a stored 65-character ODS code made every later Encounter at that
trust answer 500)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.store.service import Store
from api.conftest import Service, TestClient

ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS = "https://fhir.nhs.uk/Id/nhs-number"


@pytest.fixture
def real(db_url: str) -> Iterator[Service]:
    store = Store(db_url)  # the real evaluator
    keys = {
        "feed": store.create_key("feed", "submit", None),
        "icb": store.create_key("icb", "read", None),
    }
    with TestClient(create_app(Settings(database_url=db_url), store=store)) as client:
        yield Service(client, store, keys)
    store.close()


def trust(ods: str) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": "trust-1",
        "identifier": [{"system": ODS, "value": ods}],
    }


def encounter(rid: str = "enc-1", **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/pat-1"},
        "period": {"start": "2024-02-28T12:00:00Z", "end": "2024-03-01T10:00:00Z"},
        "serviceProvider": {"reference": "Organization/trust-1"},
    }
    return {**resource, **changes}


def patient(nhs: str = "9990011117") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "pat-1", "identifier": [{"system": NHS, "value": nhs}]}


def batch(*resources: Any, rid: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"resource": r} for r in resources],
    }
    if rid is not None:
        bundle["id"] = rid
    return bundle


HOSTILE = [
    ("versionId of 65 characters", encounter(meta={"versionId": "9" * 65})),
    ("ODS code of 65 characters", trust("R" * 65)),
    ("NUL in an ODS code", trust("R\u0000Z")),
    ("NUL in an NHS number", patient("999\u00000011117")),
    ("NUL in a code", encounter(**{"class": {"code": "IMP\u0000"}})),
    ("reference of 2,049 characters", encounter(subject={"reference": "Patient/" + "p" * 2041})),
    ("id of 65 characters", encounter(rid="e" * 65)),
]


@pytest.mark.parametrize("resource", [h[1] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_a_value_postgresql_cannot_hold_is_one_rejected_entry_on_both_databases(
    real: Service, resource: dict[str, Any]
) -> None:
    answer = real.client.post(
        "/fhir",
        content=json.dumps(batch(patient(), resource, encounter("enc-ok"))),
        headers=real.auth("feed"),
    )
    assert answer.status_code == 200, answer.text
    statuses = [e["response"]["status"] for e in answer.json()["entry"]]
    assert statuses[0].startswith("201") and statuses[2].startswith("201")
    assert statuses[1].startswith("422"), answer.text
    for path in (
        "/obligations",
        "/fhir/DetectedIssue",
        "/fhir/DetectedIssue?_format=xml",
        "/summary",
    ):
        assert real.client.get(path, headers=real.auth("icb")).status_code == 200


def test_a_bundle_id_of_129_characters_does_not_fail_the_batch(real: Service) -> None:
    answer = real.client.post(
        "/fhir",
        content=json.dumps(batch(patient(), encounter(), rid="b" * 129)),
        headers=real.auth("feed"),
    )
    assert answer.status_code in (200, 422), answer.text


def test_later_encounters_at_a_trust_with_a_refused_ods_code_are_still_stored(
    real: Service,
) -> None:
    real.client.post("/fhir", content=json.dumps(batch(trust("R" * 65))), headers=real.auth("feed"))
    answer = real.client.post(
        "/fhir", content=json.dumps(batch(patient(), encounter())), headers=real.auth("feed")
    )
    assert answer.status_code == 200
    assert all(e["response"]["status"].startswith("201") for e in answer.json()["entry"])


def test_a_resource_type_of_5000_letters_is_one_rejected_entry(real: Service) -> None:
    """Found by the fuzz harness: the rejected table's type column overflowed (500 on
    PostgreSQL); a rejected resource's type and id are cut to their columns."""
    hostile = {**trust("RZZ"), "resourceType": "A" * 5000}
    answer = real.client.post(
        "/fhir", content=json.dumps(batch(patient(), hostile)), headers=real.auth("feed")
    )
    assert answer.status_code == 200, answer.text
    assert [e["response"]["status"][:3] for e in answer.json()["entry"]] == ["201", "422"]

"""Issue 15, finding 2: an organisation-scoped submit key writes only what its organisation
owns, never overwrites or retracts another organisation's resources, and its refusals
reveal nothing of what is stored; every stored version records the key that wrote it. On
SQLite and PostgreSQL, with the real evaluator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.store.service import Store
from adapter.store.written import LISTED
from api.conftest import Service, TestClient

ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
KEYS = {
    "rz1": ("submit", "RZ1"),
    "rz2": ("submit", "RZ2"),
    "icb": ("read", None),
    "icb-feed": ("submit", None),
}


@pytest.fixture
def svc(db_url: str) -> Iterator[Service]:
    store = Store(db_url)
    keys = {name: store.create_key(name, scope, org) for name, (scope, org) in KEYS.items()}
    with TestClient(create_app(Settings(database_url=db_url), store=store)) as client:
        yield Service(client, store, keys)
    store.close()


def organisation(rid: str, ods: str) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": rid,
        "identifier": [{"system": ODS, "value": ods}],
    }


PATIENT = {
    "resourceType": "Patient",
    "id": "pat-1",
    "identifier": [{"system": NHS, "value": "9990011117"}],
    "generalPractitioner": [{"identifier": {"system": ODS, "value": "Y01234"}}],
}


def encounter(rid: str, provider: str, status: str = "finished") -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": rid,
        "status": status,
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/pat-1"},
        "period": {"start": "2024-02-28T12:00:00Z", "end": "2024-03-01T10:00:00Z"},
        "serviceProvider": {"reference": f"Organization/{provider}"},
    }


def batch(*resources: Any) -> bytes:
    entries = [{"resource": r} for r in resources]
    return json.dumps({"resourceType": "Bundle", "type": "batch", "entry": entries}).encode()


def statuses(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [e["response"]["status"] for e in response.json()["entry"]]


def breaches(svc: Service) -> list[tuple[str, str]]:
    found = svc.client.get("/obligations", headers=svc.auth("icb")).json()["obligations"]
    return sorted((o["owner"], o["subject"]) for o in found if o["status"] == "breached")


def seed(svc: Service) -> None:
    posted = svc.client.post(
        "/fhir",
        content=batch(PATIENT, organisation("trust-rz1", "RZ1"), encounter("enc-rz1", "trust-rz1")),
        headers=svc.auth("rz1"),
    )
    assert statuses(posted) == ["201 Created"] * 3
    assert breaches(svc) == [("RZ1", "Encounter/enc-rz1")]


def test_another_organisations_key_cannot_retract_a_breach(svc: Service) -> None:
    seed(svc)
    retract = encounter("enc-rz1", "trust-rz1", status="entered-in-error")
    answer = svc.client.put(
        "/fhir/Encounter/enc-rz1", content=json.dumps(retract), headers=svc.auth("rz2")
    )
    assert answer.status_code == 403
    assert "Location" not in answer.headers
    assert breaches(svc) == [("RZ1", "Encounter/enc-rz1")]  # the breach did not vanish


def test_another_organisations_key_cannot_make_a_breach_at_another_trust(svc: Service) -> None:
    seed(svc)
    posted = svc.client.post(
        "/fhir", content=batch(PATIENT, encounter("enc-new", "trust-rz1")), headers=svc.auth("rz2")
    )
    assert statuses(posted) == ["200 OK", "403 Forbidden"]  # shared context, then refused
    assert breaches(svc) == [("RZ1", "Encounter/enc-rz1")]


def test_a_key_cannot_relabel_another_trust_in_the_same_request(svc: Service) -> None:
    seed(svc)
    posted = svc.client.post(
        "/fhir",
        content=batch(
            organisation("trust-rz1", "RZ2"),  # claims RZ1's Organization is RZ2
            encounter("enc-rz1", "trust-rz1", status="entered-in-error"),
        ),
        headers=svc.auth("rz2"),
    )
    assert statuses(posted) == ["403 Forbidden", "403 Forbidden"]
    assert breaches(svc) == [("RZ1", "Encounter/enc-rz1")]


def test_a_key_writes_what_its_organisation_owns(svc: Service) -> None:
    seed(svc)
    posted = svc.client.post(
        "/fhir",
        content=batch(organisation("trust-rz2", "RZ2"), encounter("enc-rz2", "trust-rz2")),
        headers=svc.auth("rz2"),
    )
    assert statuses(posted) == ["201 Created", "201 Created"]
    assert breaches(svc) == [("RZ1", "Encounter/enc-rz1"), ("RZ2", "Encounter/enc-rz2")]


def test_a_refusal_reveals_nothing_of_what_is_stored(svc: Service) -> None:
    seed(svc)
    body = encounter("enc-rz1", "trust-rz1", status="entered-in-error")
    existing = svc.client.put(
        "/fhir/Encounter/enc-rz1", content=json.dumps(body), headers=svc.auth("rz2")
    )
    body["id"] = "enc-never-stored"
    absent = svc.client.put(
        "/fhir/Encounter/enc-never-stored", content=json.dumps(body), headers=svc.auth("rz2")
    )
    assert existing.status_code == absent.status_code == 403
    assert existing.json()["issue"][0]["details"] == absent.json()["issue"][0]["details"]
    assert "Location" not in existing.headers and "Location" not in absent.headers
    assert "_history" not in existing.text and "versionId" not in existing.text


def test_every_stored_version_records_the_key_that_wrote_it(svc: Service, db_url: str) -> None:
    seed(svc)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        writers = dict(conn.execute(text("SELECT resource_key, key_name FROM resources")).all())
    engine.dispose()
    assert writers == {"pat-1": "rz1", "trust-rz1": "rz1", "enc-rz1": "rz1"}
    entries = svc.client.get("/audit", headers=svc.auth("icb"))
    assert entries.status_code == 403  # a read key does not read the audit


def test_the_audit_shows_which_versions_a_key_wrote(svc: Service) -> None:
    seed(svc)
    admin = {"Authorization": f"Bearer {svc.store.create_key('auditor', 'admin', None)}"}
    newer = encounter("enc-rz1", "trust-rz1") | {"meta": {"versionId": "2"}}
    numbered = PATIENT | {"id": "9990011117"}  # an NHS number used as an id
    posted = svc.client.post("/fhir", content=batch(newer, numbered), headers=svc.auth("rz1"))
    assert statuses(posted) == ["200 OK", "201 Created"]
    refused = svc.client.put(
        "/fhir/Encounter/enc-rz1", content=json.dumps(newer), headers=svc.auth("rz2")
    )
    assert refused.status_code == 403
    entries = svc.client.get("/audit", headers=admin).json()["entries"]
    submits = [(e["key"], e["status"], e["detail"]) for e in entries if "submit" in e["action"]]
    (_, _, refusal), (_, _, update), (_, _, first) = submits
    assert [(key, status) for key, status, _ in submits] == [
        ("rz2", 403),
        ("rz1", 200),
        ("rz1", 200),
    ]
    assert (refusal["written"], refusal["written_more"]) == ([], 0)
    assert update["written"] == ["Encounter/enc-rz1/_history/2", "Patient/(withheld)/_history/1"]
    assert first["written"] == [  # no meta.versionId: the server numbered them
        "Patient/(withheld)/_history/1",
        "Organization/trust-rz1/_history/1",
        "Encounter/enc-rz1/_history/1",
    ]
    assert "9990011117" not in json.dumps(entries) and "pat-1" not in json.dumps(entries)


def test_a_large_submission_lists_a_bounded_number_of_versions(svc: Service) -> None:
    admin = {"Authorization": f"Bearer {svc.store.create_key('auditor', 'admin', None)}"}
    many = [organisation(f"org-{n}", f"RZ1{n:02}") for n in range(LISTED + 7)]
    posted = svc.client.post("/fhir", content=batch(*many), headers=svc.auth("icb-feed"))
    assert statuses(posted) == ["201 Created"] * (LISTED + 7)
    entry = svc.client.get("/audit", headers=admin).json()["entries"][0]
    assert entry["key"] == "icb-feed" and entry["action"] == "submit POST /fhir"
    assert entry["detail"]["written"] == [f"Organization/org-{n}/_history/1" for n in range(LISTED)]
    assert entry["detail"]["written_more"] == 7

"""The HTTP API in-process (FastAPI TestClient) on SQLite and PostgreSQL: FHIR answers
with the right status, keys and scopes, org-scoped reads, paging, summaries, audit."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from adapter import engine
from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.model import Location
from adapter.store.service import Store
from adapter.xml import fhir_json_to_xml, fhir_xml_to_json, parse_xml_bytes
from api.conftest import Service, TestClient, make_service

NHS_NUMBER = "9990011117"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"


def encounter(
    ident: str, patient: str = "p1", provider: str = "RXQ", end: str = "2024-03-01T10:00:00Z"
):
    return {
        "resourceType": "Encounter",
        "id": ident,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": f"Patient/{patient}"},
        "serviceProvider": {"identifier": {"system": ODS, "value": provider}},
        "period": {"end": end},
    }


def patient(ident: str = "p1", practice: str = "K81001") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": ident,
        "generalPractitioner": [{"identifier": {"system": ODS, "value": practice}}],
    }


def letter(ident: str, enc: str, date: str = "2024-03-01T20:00:00Z") -> dict[str, Any]:
    """A final discharge summary for Encounter `enc`, sent at `date`."""
    return {
        "resourceType": "Composition",
        "id": ident,
        "status": "final",
        "type": {"coding": [{"system": "http://snomed.info/sct", "code": "373942005"}]},
        "encounter": {"reference": f"Encounter/{enc}"},
        "date": date,
        "title": "Discharge summary",
    }


def batch(*resources: dict[str, Any], kind: str = "batch") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}


def post(service: Service, body: Any, key: str = "feed", path: str = "/fhir", **kw: Any):
    return service.client.post(path, content=orjson.dumps(body), headers=service.auth(key), **kw)


def issues(response) -> list[dict[str, Any]]:
    body = response.json()
    OperationOutcome.model_validate(body)
    return body["issue"]


def test_a_batch_is_answered_with_one_response_entry_per_resource(service: Service) -> None:
    body = batch(encounter("e1"), {"resourceType": "Patient", "id": "p1"}, {"resourceType": "Nope"})
    response = post(service, body)
    assert response.status_code == 200
    answer = response.json()
    Bundle.model_validate(answer)
    assert answer["type"] == "batch-response"
    assert [e["response"]["status"] for e in answer["entry"]] == [
        "201 Created",
        "201 Created",
        "422 Unprocessable Entity",
    ]
    [problem] = answer["entry"][2]["response"]["outcome"]["issue"]
    assert problem["expression"] == ["Bundle.entry[2].resource.resourceType"]
    again = post(service, body).json()
    assert again["entry"][0]["response"]["status"] == "200 OK"


def test_a_transaction_with_an_invalid_entry_is_refused_whole_with_422(service: Service) -> None:
    body = batch(
        encounter("e1"), {"resourceType": "Encounter", "id": "no spaces"}, kind="transaction"
    )
    response = post(service, body)
    assert response.status_code == 422
    [problem] = issues(response)
    assert problem["expression"] == ["Bundle.entry[1].resource.id"]
    assert "must be 1-64 letters" in problem["details"]["text"]
    assert (
        service.client.get("/obligations", headers=service.auth("icb")).json()["obligations"] == []
    )


def test_a_good_transaction_is_answered_with_a_transaction_response(service: Service) -> None:
    response = post(service, batch(encounter("e1"), kind="transaction"))
    assert response.status_code == 200
    assert response.json()["type"] == "transaction-response"


def test_location_is_absolute_and_versioned_with_an_etag(service: Service) -> None:
    versioned = {**encounter("e2"), "meta": {"versionId": "3"}}
    created = post(service, versioned, path="/fhir/Encounter")
    assert created.headers["location"] == "http://testserver/fhir/Encounter/e2/_history/3"
    assert created.headers["etag"] == 'W/"3"'


def test_single_resources_are_created_then_updated_by_put(service: Service) -> None:
    created = post(service, encounter("e1"), path="/fhir/Encounter")
    assert created.status_code == 201
    # absolute; no meta.versionId: the server numbers the version
    assert created.headers["location"] == "http://testserver/fhir/Encounter/e1/_history/1"
    assert created.headers["etag"] == 'W/"1"'
    changed = encounter("e1", end="2024-04-01T10:00:00Z")
    del changed["id"]
    response = service.client.put(
        "/fhir/Encounter/e1", content=orjson.dumps(changed), headers=service.auth("feed")
    )
    assert response.status_code == 200
    assert response.headers["etag"] == 'W/"2"'
    [ob] = service.client.get("/obligations", headers=service.auth("icb")).json()["obligations"]
    assert ob["due"] == "2024-04-02T10:00:00Z"


def test_put_with_a_different_id_in_the_body_is_a_400(service: Service) -> None:
    response = service.client.put(
        "/fhir/Encounter/e2", content=orjson.dumps(encounter("e1")), headers=service.auth("feed")
    )
    assert response.status_code == 400
    assert (
        issues(response)[0]["details"]["text"]
        == "the body's id 'e1' does not match the URL id 'e2'"
    )


def test_an_invalid_single_resource_is_a_located_422(service: Service) -> None:
    response = post(service, {"resourceType": "Encounter", "id": 7}, path="/fhir/Encounter")
    assert response.status_code == 422
    [problem] = issues(response)
    assert problem["expression"] == ["id"]


def test_fhir_xml_is_accepted(service: Service) -> None:
    body = fhir_json_to_xml(batch(encounter("e1")))
    headers = service.auth("feed", "application/fhir+xml")
    response = service.client.post("/fhir", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["entry"][0]["response"]["status"] == "201 Created"


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("text/plain", b"{}", 415, "not-supported"),
        (None, b"{}", 415, "not-supported"),
        ("application/fhir+json", b"{not json", 400, "structure"),
        ("application/fhir+json", b"", 400, "structure"),
        (
            "application/fhir+xml",
            b'<!DOCTYPE x [<!ENTITY a "b">]><Bundle xmlns="http://hl7.org/fhir"/>',
            400,
            "security",
        ),
        ("application/fhir+xml", b"<Bundle", 400, "structure"),
        ("application/fhir+json", b'{"resourceType": "Patient"}', 400, "invalid"),
    ],
)
def test_bad_bodies_are_refused_with_an_operation_outcome(
    service: Service, content_type: str | None, body: bytes, status: int, code: str
) -> None:
    response = service.client.post(
        "/fhir", content=body, headers=service.auth("feed", content_type)
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/fhir+json"
    assert issues(response)[0]["code"] == code


def test_bodies_and_bundles_over_the_limits_are_413(db_url: str) -> None:
    for service in make_service(db_url, max_body_bytes=2000, max_entries=2):
        big = post(
            service,
            batch(
                encounter("e1"), {"resourceType": "Patient", "id": "p", "text": {"div": "x" * 3000}}
            ),
        )
        assert big.status_code == 413
        assert "larger than the limit of 2000 bytes" in issues(big)[0]["details"]["text"]
        many = post(service, batch(encounter("e1"), encounter("e2"), encounter("e3")))
        assert many.status_code == 413
        assert issues(many)[0]["details"]["text"].startswith(
            "the Bundle holds more than 2 resources; the limit is 2 per request"
        )


def test_no_key_or_a_wrong_key_is_401_and_a_wrong_scope_is_403(service: Service) -> None:
    assert service.client.get("/obligations").status_code == 401
    wrong = service.client.get("/obligations", headers={"Authorization": "Bearer rk_nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert issues(wrong)[0]["code"] == "login"
    assert post(service, batch(encounter("e1")), key="icb").status_code == 403
    assert service.client.get("/obligations", headers=service.auth("feed")).status_code == 403
    assert service.client.get("/audit", headers=service.auth("icb")).status_code == 403
    assert service.client.get("/audit", headers=service.auth("admin")).status_code == 200


def test_an_organisation_key_reads_only_what_it_owes_or_is_owed(service: Service) -> None:
    post(
        service,
        batch(patient(), encounter("e1", provider="RXQ"), encounter("e2", provider="RYY")),
    )

    def subjects(key: str) -> list[str]:
        body = service.client.get("/obligations", headers=service.auth(key)).json()
        return [o["subject"] for o in body["obligations"]]

    assert subjects("icb") == ["Encounter/e1", "Encounter/e2"]
    assert subjects("trust") == ["Encounter/e1"]
    assert subjects("practice") == ["Encounter/e1", "Encounter/e2"]  # owed_to K81001
    [other] = [
        o
        for o in service.client.get("/obligations", headers=service.auth("icb")).json()[
            "obligations"
        ]
        if o["owner"] == "RYY"
    ]
    assert (
        service.client.get(f"/obligations/{other['id']}", headers=service.auth("trust")).status_code
        == 404
    )
    assert (
        service.client.get(f"/obligations/{other['id']}", headers=service.auth("icb")).json()[
            "subject"
        ]
        == "Encounter/e2"
    )


def test_obligations_page_with_a_cursor_and_filter(service: Service) -> None:
    post(service, batch(*(encounter(f"e{n:02}", patient=f"p{n}") for n in range(7))))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = service.client.get("/obligations", params=params, headers=service.auth("icb")).json()
        seen += [o["subject"] for o in body["obligations"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == [f"Encounter/e{n:02}" for n in range(7)]
    filtered = service.client.get(
        "/obligations",
        params={"patient": "Patient/p3", "status": "breached"},
        headers=service.auth("icb"),
    )
    assert [o["subject"] for o in filtered.json()["obligations"]] == ["Encounter/e03"]
    assert (
        service.client.get(
            "/obligations", params={"status": "late"}, headers=service.auth("icb")
        ).status_code
        == 400
    )


def test_summary_counts_and_rates_per_group(service: Service) -> None:
    post(
        service,
        batch(
            encounter("e1", provider="RXQ"),
            encounter("e2", provider="RYY"),
            encounter("e3", provider="RYY"),
        ),
    )
    post(service, letter("c1", "e2"), path="/fhir/Composition")
    body = service.client.get(
        "/summary", params={"group_by": "owner,month"}, headers=service.auth("icb")
    ).json()
    assert body["groups"] == [
        {
            "owner": "RXQ",
            "month": "2024-03",
            "obligations": 1,
            "met": 0,
            "breached": 1,
            "pending": 0,
            "not-assessable": 0,
            "met_rate": 0.0,
            "breach_rate": 1.0,
        },
        {
            "owner": "RYY",
            "month": "2024-03",
            "obligations": 2,
            "met": 1,
            "breached": 1,
            "pending": 0,
            "not-assessable": 0,
            "met_rate": 0.5,
            "breach_rate": 0.5,
        },
        {  # the letter's point-of-contact: no phone or email in it, no due date
            "owner": "RYY",
            "month": None,
            "obligations": 1,
            "met": 0,
            "breached": 1,
            "pending": 0,
            "not-assessable": 0,
            "met_rate": 0.0,
            "breach_rate": 1.0,
        },
    ]
    assert (
        service.client.get(
            "/summary", params={"group_by": "colour"}, headers=service.auth("icb")
        ).status_code
        == 400
    )


def test_metadata_is_a_valid_r4_capability_statement(service: Service) -> None:
    response = service.client.get("/fhir/metadata")
    assert response.status_code == 200
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    interactions = {i.code for i in statement.rest[0].interaction}
    assert interactions == {"transaction", "batch"}


def test_detected_issues_and_measure_reports_are_valid_searchsets(service: Service) -> None:
    post(service, batch(encounter("e1"), encounter("e2")))
    for kind, expected in (("DetectedIssue", 2), ("MeasureReport", 1)):
        body = service.client.get(f"/fhir/{kind}", headers=service.auth("icb")).json()
        Bundle.model_validate(body)
        assert body["type"] == "searchset"
        assert body["total"] == expected
        assert {e["resource"]["resourceType"] for e in body["entry"]} == {kind}


def test_submissions_and_reads_are_audited_without_patient_data(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS_NUMBER}],
        "name": [{"family": "Zebedee"}],
    }
    with caplog.at_level(logging.INFO, logger="adapter.api"):
        post(service, batch(patient, encounter("e1")))
        service.client.get(
            "/obligations", params={"patient": NHS_NUMBER}, headers=service.auth("icb")
        )
    assert "POST /fhir: 2 received, 2 accepted, 0 rejected" in caplog.text
    assert NHS_NUMBER not in caplog.text and "Zebedee" not in caplog.text
    entries = service.client.get("/audit", headers=service.auth("admin")).json()["entries"]
    actions = [(e["key"], e["action"], e["status"]) for e in entries]
    assert ("feed", "submit POST /fhir", 200) in actions
    assert ("icb", "read GET /obligations", 200) in actions
    assert NHS_NUMBER not in orjson.dumps(entries).decode()


def test_the_openapi_document_is_served(service: Service) -> None:
    paths = service.client.get("/openapi.json").json()["paths"]
    assert {"/fhir", "/fhir/{resource_type}", "/obligations", "/summary", "/audit"} <= set(paths)
    assert service.client.get("/docs").status_code == 200


def test_the_access_log_is_one_json_line_per_request_with_route_templates(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="adapter.access"):
        service.client.get(
            "/obligations", params={"patient": NHS_NUMBER}, headers=service.auth("trust")
        )
        service.client.put(
            f"/fhir/Patient/{NHS_NUMBER}", content=b"{}", headers=service.auth("feed")
        )
        service.client.get(f"/no/such/{NHS_NUMBER}")
    lines = [orjson.loads(r.getMessage()) for r in caplog.records if r.name == "adapter.access"]
    shown = [(x["method"], x["route"], x["status"], x["key"], x["org"]) for x in lines]
    assert shown == [
        ("GET", "/obligations", 200, "trust", "RXQ"),
        ("PUT", "/fhir/{resource_type}/{resource_id}", 400, "feed", None),
        ("GET", "(no route)", 404, None, None),
    ]
    assert all(isinstance(x["ms"], float) and x["time"].endswith("Z") for x in lines)
    assert NHS_NUMBER not in caplog.text


def test_refused_submissions_are_audited_with_their_status(service: Service) -> None:
    service.client.post("/fhir", content=b"{oops", headers=service.auth("feed"))
    service.client.post("/fhir", content=b"<x/>", headers=service.auth("feed", "text/plain"))
    entries = service.client.get("/audit", headers=service.auth("admin")).json()["entries"]
    refused = [
        (e["key"], e["action"], e["status"], e["detail"])
        for e in entries
        if e["status"] in (400, 415)
    ]
    assert ("feed", "POST /fhir", 415, {"refused": ["not-supported"]}) in refused
    assert ("feed", "POST /fhir", 400, {"refused": ["structure"]}) in refused


def test_a_cursor_that_is_not_ours_is_a_400(service: Service) -> None:
    response = service.client.get(
        "/obligations", params={"cursor": "garbage"}, headers=service.auth("icb")
    )
    assert response.status_code == 400
    assert issues(response)[0]["expression"] == ["cursor"]


def test_the_next_value_is_passed_back_as_next(service: Service) -> None:
    """The answer's `next` is read back from `?next=` (issue 12: it used to answer page 1
    again); `cursor`, its older name, still works; the two disagreeing is a 400."""
    post(service, batch(*(encounter(f"e{n:02}", patient=f"p{n}") for n in range(5))))
    auth = service.auth("icb")
    first = service.client.get("/obligations", params={"limit": 2}, headers=auth).json()
    token = first["next"]
    second = service.client.get("/obligations", params={"limit": 2, "next": token}, headers=auth)
    older = service.client.get("/obligations", params={"limit": 2, "cursor": token}, headers=auth)
    subjects = [o["subject"] for o in second.json()["obligations"]]
    assert subjects == ["Encounter/e02", "Encounter/e03"]
    assert [o["subject"] for o in older.json()["obligations"]] == subjects
    both = service.client.get(
        "/obligations", params={"next": token, "cursor": first["next"] + "x"}, headers=auth
    )
    assert both.status_code == 400
    bad = service.client.get("/obligations", params={"next": "garbage"}, headers=auth)
    assert bad.status_code == 400 and issues(bad)[0]["expression"] == ["next"]


def test_an_unknown_rule_or_parameter_is_400_like_an_unknown_status(service: Service) -> None:
    auth = service.auth("icb")
    for params, field in (
        ({"rule": "no-such-rule"}, "rule"),
        ({"status": "bogus"}, "status"),
        ({"page": "2"}, "page"),
    ):
        response = service.client.get("/obligations", params=params, headers=auth)
        assert response.status_code == 400, params
        assert issues(response)[0]["expression"] == [field]
    summary = service.client.get("/summary", params={"rule": "no-such-rule"}, headers=auth)
    assert summary.status_code == 400
    known = service.client.get(
        "/obligations", params={"rule": "discharge-summary-24h"}, headers=auth
    )
    assert known.status_code == 200


def test_fhir_answers_come_as_xml_when_asked(service: Service) -> None:
    headers = {**service.auth("feed"), "Accept": "application/fhir+xml"}
    response = service.client.post(
        "/fhir", content=orjson.dumps(batch(encounter("e1"))), headers=headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fhir+xml"
    assert fhir_xml_to_json(parse_xml_bytes(response.content))["type"] == "batch-response"
    metadata = service.client.get("/fhir/metadata", params={"_format": "xml"})
    CapabilityStatement.model_validate(fhir_xml_to_json(parse_xml_bytes(metadata.content)))
    refused = service.client.get("/obligations", headers={"Accept": "application/fhir+xml"})
    assert refused.status_code == 401
    assert fhir_xml_to_json(parse_xml_bytes(refused.content))["resourceType"] == "OperationOutcome"


def test_evaluate_checks_a_bundle_without_storing_it(service: Service) -> None:
    inpatient = {
        **encounter("e1"),
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
    }
    body = batch(inpatient, {"resourceType": "Nope"})
    response = post(service, body, path="/fhir/$evaluate", params={"as_of": "2024-03-01T12:00:00Z"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    expected = engine.evaluate(
        [(body, Location(file="request"))], as_of=datetime(2024, 3, 1, 12, tzinfo=UTC)
    )
    assert answer == orjson.loads(orjson.dumps(expected.to_json()))
    assert answer["counts"] == {"received": 2, "accepted": 1, "rejected": 1}
    assert (
        service.client.get("/obligations", headers=service.auth("icb")).json()["obligations"] == []
    )
    bad = post(service, body, path="/fhir/$evaluate", params={"as_of": "tomorrow"})
    assert bad.status_code == 400


def test_absurdly_deep_resources_and_bundles_are_rejected_not_a_crash(service: Service) -> None:
    deep = (
        '{"resourceType":"Patient","id":"deep","extension":' + '{"a":' * 300 + "1" + "}" * 300 + "}"
    )
    response = service.client.post("/fhir/Patient", content=deep, headers=service.auth("feed"))
    assert response.status_code == 422
    assert issues(response)[0]["code"] == "too-costly"
    nested = (
        '{"resourceType":"Bundle","type":"batch","entry":['
        + '{"resource":{"resourceType":"Bundle","type":"batch","entry":[' * 80
        + "]}}" * 80
        + "]}"
    )
    answer = service.client.post("/fhir", content=nested, headers=service.auth("feed")).json()
    [entry] = answer["entry"]
    assert entry["response"]["outcome"]["issue"][0]["code"] == "too-costly"


def test_a_pending_discharge_reads_as_breached_a_day_later_without_any_write(
    service: Service,
) -> None:
    end = datetime.now(UTC).replace(microsecond=0)
    post(service, batch(encounter("e1", end=end.isoformat())))
    now = service.client.get("/obligations", headers=service.auth("icb")).json()["obligations"]
    assert [o["status"] for o in now] == ["pending"]
    later = (end + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    read = service.client.get(
        "/obligations", params={"as_of": later}, headers=service.auth("icb")
    ).json()
    assert [o["status"] for o in read["obligations"]] == ["breached"]
    assert read["obligations"][0]["detail"] == (
        "No discharge summary had been sent 48 h after discharge; the limit is 24 h."
    )
    assert service.client.get(
        "/obligations", params={"status": "breached", "as_of": later}, headers=service.auth("icb")
    ).json()["obligations"]
    assert not service.client.get(
        "/obligations", params={"status": "breached"}, headers=service.auth("icb")
    ).json()["obligations"]


def test_the_engines_rejection_of_a_single_resource_is_located_by_fhirpath(db_url: str) -> None:
    store = Store(db_url)  # the real engine decides what is rejected
    token = store.create_key("feed", "submit", None)
    with TestClient(create_app(Settings(database_url=db_url), store=store)) as client:
        body = {"resourceType": "Encounter", "id": "x", "status": "finished"}
        response = client.post(
            "/fhir/Encounter",
            content=orjson.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"},
        )
    store.close()
    assert response.status_code == 422
    [problem] = issues(response)
    assert problem["expression"] == ["Encounter.class"]
    assert "class is required" in problem["details"]["text"]

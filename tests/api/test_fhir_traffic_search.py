"""`GET /fhir/{type}`: searching stored traffic (issue 12, part 1; docs/contract.md §12.6),
in-process on SQLite and PostgreSQL, and the search parameters added to DetectedIssue
(`identified`, `implicated`) and MeasureReport (`period`), and `_elements` on searches."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from adapter.api.matching import date_range, reference_matcher
from api.conftest import Service
from api.test_api import ODS, batch, encounter, issues, letter, patient, post


def search(service: Service, kind: str, key: str = "icb", **params: Any) -> dict[str, Any]:
    response = service.client.get(f"/fhir/{kind}", params=params, headers=service.auth(key, None))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    if kind in ("DetectedIssue", "MeasureReport"):  # made here; stored traffic is as sent
        Bundle.model_validate(body)
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in body.get("entry", [])]


def _traffic(service: Service) -> None:
    planned = {**encounter("e3", patient="p2", end="2024-03-20T10:00:00Z"), "status": "planned"}
    post(
        service,
        batch(
            patient("p1"),
            patient("p2"),
            encounter("e1", patient="p1", end="2024-03-01T10:00:00Z"),
            encounter("e2", patient="p1", end="2024-03-10T10:00:00Z", provider="RYY"),
            planned,
            letter("c1", "e1", date="2024-03-01T20:00:00Z"),
            {
                **letter("c2", "e2", date="2024-03-12T09:00:00Z"),
                "subject": {
                    "identifier": {
                        "system": "https://fhir.nhs.uk/Id/nhs-number",
                        "value": "9990011117",
                    }
                },
            },
        ),
    )


def test_stored_traffic_is_searched_by_id_patient_encounter_date_and_status(
    service: Service,
) -> None:
    _traffic(service)
    assert ids(search(service, "Encounter")) == ["e1", "e2", "e3"]
    assert ids(search(service, "Encounter", _id="e2,e3,nope")) == ["e2", "e3"]
    assert ids(search(service, "Encounter", patient="Patient/p1")) == ["e1", "e2"]
    assert ids(search(service, "Encounter", patient="p2")) == ["e3"]
    assert ids(search(service, "Encounter", subject="Patient/p2")) == ["e3"]
    assert ids(search(service, "Composition", encounter="Encounter/e2")) == ["c2"]
    assert ids(search(service, "Composition", patient="9990011117")) == ["c2"]
    assert ids(search(service, "Encounter", status="planned")) == ["e3"]
    assert ids(search(service, "Encounter", status="finished,planned")) == ["e1", "e2", "e3"]
    # dates: a Period without a start reaches back without bound; a date is a whole day
    assert ids(search(service, "Encounter", date="ge2024-03-09")) == ["e2", "e3"]
    assert ids(search(service, "Encounter", date="gt2024-03-10T10:00:00Z")) == ["e3"]
    assert ids(search(service, "Composition", date="2024-03-12")) == ["c2"]
    assert ids(search(service, "Composition", date="eq2024-03")) == ["c1", "c2"]
    both = service.client.get(
        "/fhir/Composition",
        params=[("date", "ge2024-03-01"), ("date", "lt2024-03-02")],
        headers=service.auth("icb", None),
    ).json()
    assert ids(both) == ["c1"]
    assert ids(search(service, "Composition", date="ne2024-03-01")) == ["c2"]
    assert ids(search(service, "Patient", _lastUpdated="ge2020-01-01")) == ["p1", "p2"]
    assert ids(search(service, "Patient", _lastUpdated="lt2020-01-01")) == []
    assert search(service, "Observation")["total"] == 0


def test_traffic_searches_page_and_count_and_subset(service: Service) -> None:
    _traffic(service)
    first = search(service, "Encounter", _count="2", _elements="status")
    assert first["total"] == 3 and ids(first) == ["e1", "e2"]
    # status named; class kept too: R4 requires it of an Encounter
    assert set(first["entry"][0]["resource"]) == {"resourceType", "id", "meta", "status", "class"}
    following = {link["relation"]: link["url"] for link in first["link"]}["next"]
    second = service.client.get(following, headers=service.auth("icb", None)).json()
    assert ids(second) == ["e3"] and set(second["entry"][0]["resource"]) == set(
        first["entry"][0]["resource"]
    )
    borrowed = service.client.get(following, headers=service.auth("trust", None))
    assert borrowed.status_code == 400  # a token is bound to the key's organisation
    counted = search(service, "Encounter", _summary="count")
    assert counted["total"] == 3 and counted["entry"] == []
    zero = search(service, "Encounter", _count="0")  # the total alone, no next link
    assert zero["total"] == 3 and zero["entry"] == [] and len(zero["link"]) == 1
    assert first["entry"][0]["fullUrl"] == "http://testserver/fhir/Encounter/e1"


def test_an_organisations_key_finds_only_what_it_may_read(service: Service) -> None:
    _traffic(service)
    service.keys["stranger"] = service.store.create_key("stranger", "read", "X99")
    assert ids(search(service, "Encounter", key="trust")) == ["e1", "e3"]  # RXQ's, not RYY's
    assert ids(search(service, "Patient", key="trust")) == ["p1", "p2"]  # their context
    assert search(service, "Encounter", key="stranger")["total"] == 0
    assert search(service, "Patient", key="stranger")["total"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2024-03-01"}, "date"),  # Patient has no date parameter in R4
        ({"bogus": "1"}, "bogus"),
        ({"_lastUpdated": "soon"}, "_lastUpdated"),
        ({"_count": "-1"}, "_count"),
        ({"_summary": "data"}, "_summary"),
    ],
)
def test_a_parameter_the_type_does_not_have_or_a_bad_value_is_400(
    service: Service, params: dict[str, str], field: str
) -> None:
    response = service.client.get("/fhir/Patient", params=params, headers=service.auth("icb", None))
    assert response.status_code == 400
    assert issues(response)[0]["expression"] == [field]


def test_unknown_parameters_are_ignored_when_handling_is_lenient(service: Service) -> None:
    _traffic(service)
    response = service.client.get(
        "/fhir/Patient",
        params={"date": "2024-03-01"},
        headers={**service.auth("icb", None), "Prefer": "handling=lenient"},
    )
    assert ids(response.json()) == ["p1", "p2"]
    assert (
        service.client.get("/fhir/$nothing", headers=service.auth("icb", None)).status_code == 404
    )


def test_detected_issues_search_identified_and_implicated_and_reports_period(
    service: Service,
) -> None:
    _traffic(service)  # e2 has its letter 47 h late; e1 within 24 h
    assert ids(search(service, "DetectedIssue", implicated="Encounter/e2")) != []
    assert search(service, "DetectedIssue", implicated="Encounter/e1")["total"] == 0
    every = search(service, "DetectedIssue", identified="ge2024-01-01")["total"]
    assert every == search(service, "DetectedIssue")["total"] > 0
    assert search(service, "DetectedIssue", identified="lt2024-01-01")["total"] == 0
    subsetted = search(service, "DetectedIssue", _elements="code")["entry"][0]["resource"]
    assert subsetted.keys() == {"resourceType", "id", "meta", "code", "status"}
    reports = search(service, "MeasureReport")["total"]
    assert reports > 0
    assert search(service, "MeasureReport", period="ge2024-03-01")["total"] == reports
    assert search(service, "MeasureReport", period="lt2024-01-01")["total"] == 0
    assert ODS  # the owners are ODS codes


def test_date_ranges_and_references_match_as_fhir_says() -> None:
    day = date_range("2024-03-01")
    assert day is not None and (day[1] - day[0]).days == 0 and day[1].hour == 23
    assert date_range("2024-03-01T10:00:00Z") is not None
    assert date_range("yesterday") is None
    logical = {
        "subject": {
            "identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990011117"}
        }
    }
    assert reference_matcher("patient", "9990011117", ("subject",), "Patient")(logical)
    assert reference_matcher(
        "patient", "https://fhir.nhs.uk/Id/nhs-number|9990011117", ("subject",), "Patient"
    )(logical)
    typed = {"subject": {"reference": "https://example.org/fhir/Patient/p1/_history/3"}}
    assert reference_matcher("patient", "p1", ("subject",), "Patient")(typed)
    assert not reference_matcher("patient", "p1", ("subject",), "Group")(typed)

"""The FHIR searches and reads of DetectedIssue and MeasureReport as FHIR clients use them
(issue 12, point 1): `_count` paging through `Bundle.link` with signed tokens, `Bundle.total`,
`_summary=count`, stable ids readable at their `fullUrl`, unknown parameters refused unless
`Prefer: handling=lenient`, and a CapabilityStatement that says exactly what the routes do.
Driven by fhirpy (a FHIR client from PyPI) and by httpx, against one real `referee serve`
on a SQLite file for the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fhirpy import SyncFHIRClient

from api.server import Server, make_key
from api.synthetic import PRACTICE, TRUST, bundle, patient_resources

pytestmark = pytest.mark.slow  # starts `referee serve`

LATE = 7  # patients discharged with no letter: 7 breached discharge-summary obligations
BREACHED = LATE + 1  # and the one letter sent names no contact (point-of-contact)


class Served:
    def __init__(self, server: Server, keys: dict[str, str]) -> None:
        self.server, self.keys, self.fhir = server, keys, f"{server.base}/fhir"

    def get(self, path: str, key: str = "icb", **headers: str) -> httpx.Response:
        url = path if path.startswith("http") else self.fhir + path
        auth = {"Authorization": f"Bearer {self.keys[key]}", **headers}
        return httpx.get(url, headers=auth, timeout=30)

    def client(self, key: str = "icb") -> SyncFHIRClient:
        return SyncFHIRClient(self.fhir, authorization=f"Bearer {self.keys[key]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("search")
    url = f"sqlite:///{folder / 'referee.sqlite'}"
    keys = {
        "feed": make_key(url, "feed", "submit"),
        "icb": make_key(url, "icb", "read"),
        "trust": make_key(url, "trust", "read", org="RZZ"),
        "stranger": make_key(url, "stranger", "read", org="X99"),
    }
    resources = [TRUST, PRACTICE]
    for n in range(1, LATE + 1):
        resources += patient_resources(n, letter=False)
    resources += patient_resources(LATE + 1, letter=True)
    with Server(url, folder / "server.log") as server:
        posted = httpx.post(
            f"{server.base}/fhir",
            content=orjson.dumps(bundle(resources)),
            headers={
                "Authorization": f"Bearer {keys['feed']}",
                "Content-Type": "application/fhir+json",
            },
            timeout=60,
        )
        assert posted.status_code == 200, posted.text
        yield Served(server, keys)


def _ids(resources: list[Any]) -> list[str]:
    return [str(r["id"]) for r in resources]


def test_fhirpy_pages_through_every_detected_issue_with_count(served: Served) -> None:
    client = served.client()
    everything = served.get("/DetectedIssue").json()
    assert everything["total"] == BREACHED and len(everything["entry"]) == BREACHED
    paged = client.resources("DetectedIssue").limit(3).fetch_all()
    assert _ids(paged) == [e["resource"]["id"] for e in everything["entry"]]
    first = client.resources("DetectedIssue").limit(3).fetch()
    assert len(first) == 3


def test_fhirpy_reads_a_detected_issue_and_a_measure_report_by_id(served: Served) -> None:
    client = served.client()
    for kind in ("DetectedIssue", "MeasureReport"):
        found = client.resources(kind).fetch_all()
        assert found, kind
        read = client.reference(kind, found[0]["id"]).to_resource()
        assert read["id"] == found[0]["id"] and read["resourceType"] == kind


def test_fhirpy_searches_by_code_and_author(served: Served) -> None:
    client = served.client()
    by_code = client.resources("DetectedIssue").search(code="discharge-summary-24h").fetch_all()
    assert len(by_code) == LATE
    assert client.resources("DetectedIssue").search(author="Organization/X99").fetch_all() == []
    assert len(client.resources("DetectedIssue").search(author="RZZ").fetch_all()) == BREACHED


def test_links_are_absolute_and_walk_both_ways(served: Served) -> None:
    first = served.get("/DetectedIssue?_count=3").json()
    assert first["total"] == BREACHED
    relations = {link["relation"]: link["url"] for link in first["link"]}
    assert set(relations) == {"self", "next"}
    assert relations["next"].startswith(served.fhir + "/DetectedIssue?_page=")
    second = served.get(relations["next"]).json()
    back = {link["relation"]: link["url"] for link in second["link"]}
    assert set(back) == {"self", "next", "previous"}
    again = served.get(back["previous"]).json()
    assert _ids(e["resource"] for e in again["entry"]) == _ids(
        e["resource"] for e in first["entry"]
    )
    last = served.get({x["relation"]: x["url"] for x in second["link"]}["next"]).json()
    assert len(last["entry"]) == BREACHED - 6 and "next" not in {
        x["relation"] for x in last["link"]
    }


def test_a_tampered_or_borrowed_page_token_is_refused(served: Served) -> None:
    trust_page = served.get("/DetectedIssue?_count=2", key="trust").json()
    following = {x["relation"]: x["url"] for x in trust_page["link"]}["next"]
    borrowed = served.get(following, key="stranger")
    assert borrowed.status_code == 400
    assert borrowed.json()["issue"][0]["expression"] == ["_page"]
    payload, _, signature = following.partition("_page=")[2].partition(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    tampered = served.get(f"/DetectedIssue?_page={flipped}.{signature}", key="trust")
    assert tampered.status_code == 400
    assert served.get(following, key="trust").status_code == 200


def test_an_organisation_key_sees_only_its_own(served: Served) -> None:
    assert served.get("/DetectedIssue", key="stranger").json()["total"] == 0
    assert served.get("/DetectedIssue", key="trust").json()["total"] == BREACHED
    some = served.get("/DetectedIssue").json()["entry"][0]["fullUrl"]
    assert served.get(some, key="stranger").status_code == 404


def test_summary_count_gives_the_total_alone(served: Served) -> None:
    answer = served.get("/DetectedIssue?_summary=count").json()
    assert answer["total"] == BREACHED and answer["entry"] == []
    assert served.get("/DetectedIssue?_summary=text").status_code == 400


def test_ids_are_stable_and_readable_at_their_full_url(served: Served) -> None:
    for kind in ("DetectedIssue", "MeasureReport"):
        one = served.get(f"/{kind}").json()["entry"]
        two = served.get(f"/{kind}?as_of=2030-01-01T00:00:00Z").json()["entry"]
        assert [e["fullUrl"] for e in one] == [e["fullUrl"] for e in two], kind
        for entry in one:
            read = served.get(entry["fullUrl"])
            assert read.status_code == 200, entry["fullUrl"]
            assert read.json()["id"] == entry["resource"]["id"]
        assert served.get(f"/{kind}/no-such-id").status_code == 404


def test_an_unknown_parameter_is_refused_unless_lenient(served: Served) -> None:
    refused = served.get("/DetectedIssue?status=active")
    assert refused.status_code == 400
    assert refused.json()["issue"][0]["code"] == "not-supported"
    lenient = served.get("/DetectedIssue?status=active", Prefer="handling=lenient")
    assert lenient.status_code == 200 and lenient.json()["total"] == BREACHED


def test_bad_count_is_refused(served: Served) -> None:
    for bad in ("-1", "x", "1001"):
        assert served.get(f"/DetectedIssue?_count={bad}").status_code == 400, bad


def test_the_capability_statement_says_what_the_routes_do(served: Served) -> None:
    statement = httpx.get(f"{served.fhir}/metadata", timeout=30).json()
    declared = {r["type"]: r for r in statement["rest"][0]["resource"]}
    for kind in ("DetectedIssue", "MeasureReport"):
        resource = declared[kind]
        assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}
        for parameter in resource["searchParam"]:
            value = "2026-01-01" if parameter["type"] == "date" else "x"
            answer = served.get(f"/{kind}?{parameter['name']}={value}")
            assert answer.status_code == 200, (kind, parameter["name"], answer.text)
        assert served.get(f"/{kind}?undeclared=x").status_code == 400
        assert served.get(f"/{kind}/unknown").status_code == 404  # read is routed
    searched = {kind for kind, r in declared.items() if {"code": "search-type"} in r["interaction"]}
    for kind in declared:
        answer = served.get(f"/{kind}")
        assert (answer.status_code == 200) == (kind in searched), (kind, answer.status_code)

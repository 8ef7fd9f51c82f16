"""A real FHIR client library (fhirpy, from PyPI) against a real `referee serve` on
127.0.0.1 (issue 12, "done when"): create, update with If-Match, read, vread, search of
stored traffic with `_count` paging through `Bundle.link`, a count, a Bulk export (kick-off,
polling, manifest, cancel); and the server's access log, one JSON line per request, read
back from its stderr. One server and one
SQLite file for the module."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import requests
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import BaseFHIRError, ResourceNotFound

from api.server import Server, make_key
from api.synthetic import TRUST, nhs_number

pytestmark = pytest.mark.slow  # starts `referee serve`

STAYS = 5


class Served:
    def __init__(self, server: Server, keys: dict[str, str]) -> None:
        self.server, self.keys, self.fhir = server, keys, f"{server.base}/fhir"

    def client(self, key: str, **headers: str) -> SyncFHIRClient:
        # fhirpy reads the saved resource from the answer: ask for it (R4 http.html#ops)
        prefer = {"Prefer": "return=representation", **headers}
        return SyncFHIRClient(
            self.fhir, authorization=f"Bearer {self.keys[key]}", extra_headers=prefer
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("fhirpy")
    url = f"sqlite:///{folder / 'referee.sqlite'}"
    keys = {
        "feed": make_key(url, "feed", "submit"),
        "icb": make_key(url, "icb", "read"),
        "stranger": make_key(url, "stranger", "read", org="X99"),
    }
    env = {"REFEREE_EXPORT_DIR": str(folder / "exports")}
    with Server(url, folder / "server.log", env=env) as server:
        yield Served(server, keys)


def _stay(n: int) -> dict[str, Any]:
    return {
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/pat-1"},
        "serviceProvider": {"reference": "Organization/trust"},
        "period": {"start": "2024-03-01T09:00:00Z", "end": f"2024-03-0{n}T10:00:00Z"},
    }


@pytest.fixture(scope="module")
def stays(served: Served) -> list[str]:
    feed = served.client("feed")
    feed.resource("Organization", **{k: v for k, v in TRUST.items() if k != "resourceType"}).save()
    identifier = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs_number(1)}]
    feed.resource("Patient", id="pat-1", identifier=identifier).save()
    made = []
    for n in range(1, STAYS + 1):
        encounter = feed.resource("Encounter", **_stay(n))
        encounter.save()  # no id: POST, the server gives one
        made.append(str(encounter.id))
    return made


def test_fhirpy_creates_updates_reads_and_vreads(served: Served, stays: list[str]) -> None:
    icb = served.client("icb")
    patient = icb.reference("Patient", "pat-1").to_resource()
    assert patient["meta"]["versionId"] == "1"
    first = icb.reference("Encounter", stays[0]).to_resource()
    assert first["meta"]["versionId"] == "1"
    guarded = served.client("feed", **{"If-Match": 'W/"1"'})
    changed = guarded.resource("Encounter", id=stays[0], **{**_stay(1), "status": "cancelled"})
    changed.save()  # PUT with If-Match: W/"1"
    assert changed["meta"]["versionId"] == "2"
    assert icb.reference("Encounter", stays[0]).to_resource()["status"] == "cancelled"
    old = icb.execute(f"Encounter/{stays[0]}/_history/1", method="get")
    new = icb.execute(f"Encounter/{stays[0]}/_history/2", method="get")
    assert (old["status"], new["status"]) == ("finished", "cancelled")
    # fhirpy names a 412 MultipleResourcesFound (its conditional-update reading)
    with pytest.raises(BaseFHIRError, match=r"If-Match names version '1'"):
        changed.save()  # version 1 is no longer the stored one


def test_fhirpy_pages_a_search_of_stored_traffic(served: Served, stays: list[str]) -> None:
    icb = served.client("icb", Prefer="handling=lenient")
    search = icb.resources("Encounter").search(patient="Patient/pat-1")
    everything = search.limit(2).fetch_all()  # follows Bundle.link next, two at a time
    assert sorted(str(e.id) for e in everything) == sorted(stays)
    assert len(search.limit(2).fetch()) == 2
    assert search.count() == STAYS  # _count=0: the total alone
    later = icb.resources("Encounter").search(date__ge="2024-03-04").fetch_all()
    assert len(later) == 2  # the stays that ended on the 4th and 5th
    assert served.client("stranger").resources("Encounter").fetch_all() == []


def test_fhirpy_runs_a_bulk_export_to_the_end(served: Served, stays: list[str]) -> None:
    """Kick-off, polling, manifest and cancel through fhirpy; fhirpy keeps no response
    headers, so a requests hook (its `requests_config`) reads the `Content-Location`."""
    answers: list[requests.Response] = []

    def keep(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        answers.append(response)

    auth = f"Bearer {served.keys['icb']}"
    bulk = SyncFHIRClient(
        served.server.base,  # the root: status and file URLs are under /bulk, not /fhir
        authorization=auth,
        extra_headers={"Prefer": "respond-async"},
        requests_config={"hooks": {"response": [keep]}, "timeout": 30},
    )
    bulk.execute("fhir/$export", method="get", params={"_type": "Encounter,Patient"})
    assert answers[-1].status_code == 202
    status = answers[-1].headers["Content-Location"]
    deadline = time.monotonic() + 60
    while True:
        manifest = bulk.execute(status, method="get")
        if answers[-1].status_code == 200:
            break
        assert answers[-1].status_code == 202 and time.monotonic() < deadline
        time.sleep(0.2)
    assert {o["type"]: o["count"] for o in manifest["output"]} == {"Encounter": STAYS, "Patient": 1}
    assert manifest["requiresAccessToken"] is True
    ids = set()
    for item in manifest["output"]:
        # an NDJSON file is not one JSON document, which is all fhirpy reads: plain requests
        got = requests.get(item["url"], headers={"Authorization": auth}, timeout=30)
        ids |= {orjson.loads(line)["id"] for line in got.content.splitlines()}
    assert ids == {*stays, "pat-1"}
    bulk.execute(status, method="delete")
    with pytest.raises(ResourceNotFound):
        bulk.execute(status, method="get")


def test_the_access_log_is_one_json_line_per_request_without_identifiers(
    served: Served, stays: list[str]
) -> None:
    # its own requests: under xdist the other tests of the module may run in another worker
    icb = {"Authorization": f"Bearer {served.keys['icb']}"}
    httpx.get(f"{served.fhir}/Patient/pat-1", headers=icb, timeout=30).raise_for_status()
    httpx.get(
        f"{served.fhir}/Patient", params={"identifier": nhs_number(1)}, headers=icb, timeout=30
    )
    lines = [
        orjson.loads(line)
        for line in served.server.log.read_text().splitlines()
        if line.startswith("{")
    ]
    routes = {(x["method"], x["route"], x["status"], x["key"]) for x in lines}
    assert ("GET", "/fhir/{resource_type}/{resource_id}", 200, "icb") in routes
    assert ("POST", "/fhir/{resource_type}", 201, "feed") in routes
    assert ("GET", "/fhir/{resource_type}", 400, "icb") in routes  # identifier: undeclared
    text = served.server.log.read_text()
    assert nhs_number(1) not in text and stays[0] not in text and "pat-1" not in text

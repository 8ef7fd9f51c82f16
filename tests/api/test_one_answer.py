"""One answer, whoever asks (issue 10): every golden case, judged at several instants
(its own as_of; an hour before its first due time, at it, and a day after its last), gives
the same statuses, details and counts through

    referee check                     adapter.engine.check on the case's files
    POST /fhir + GET /obligations     the service's store, judged when read at ?as_of=
    POST /fhir/$evaluate?as_of=       the service without storing (on SQLite: no store)
    GET /fhir/DetectedIssue, /fhir/MeasureReport ?as_of=   the FHIR searchsets
    GET /summary?as_of=               counted in SQL
    referee report --database-url     what it reads: adapter.store.load_obligations

on SQLite and on PostgreSQL (there at the as_of and the first due time only). One store
per backend is shared by every case (emptied between cases), so the suite stays within its
time budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cases import CASES, as_of, case_id, inputs, policy
from sqlalchemy import delete
from store.backends import database_url

from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.engine import check
from adapter.instants import parse_instant
from adapter.model import Result, format_instant
from adapter.policy import load_policy
from adapter.report import fhir as fhir_report
from adapter.store import load_obligations
from adapter.store.schema import (
    RejectedResource,
    ResourceLink,
    ResourceVersion,
    StoredObligation,
    StoredResource,
)
from adapter.store.service import Store
from adapter.xml import fhir_xml_to_json_as_sent
from api.conftest import TestClient

BACKENDS = [
    pytest.param("sqlite", id="sqlite", marks=pytest.mark.slow),
    pytest.param("postgres", id="postgres", marks=[pytest.mark.postgres, pytest.mark.slow]),
]


@dataclass
class Served:
    backend: str
    url: str
    store: Store
    client: TestClient
    headers: dict[str, str]

    def use(self, case: Path) -> None:
        """An empty store judging with the case's policy (keys and audit kept)."""
        chosen = policy(case) or load_policy()
        self.store.policy = chosen
        self.client.app.state.policy = chosen  # type: ignore[attr-defined]
        with self.store.engine.begin() as conn:
            tables = (
                ResourceLink,
                ResourceVersion,
                StoredResource,
                StoredObligation,
                RejectedResource,
            )
            for table in tables:
                conn.execute(delete(table))

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    for url in database_url(request.param, tmp_path_factory.mktemp("one-answer")):
        store = Store(url)
        token = store.create_key("icb", "admin", None)
        try:
            with TestClient(create_app(Settings(database_url=url), store=store)) as client:
                yield Served(
                    request.param, url, store, client, {"Authorization": f"Bearer {token}"}
                )
        finally:
            store.close()


def instants(case: Path, every: bool = True) -> list[datetime]:
    """The case's as_of; an hour before its first due time, that time, a day after its last.
    Not `every`: the as_of and the first due time itself (the boundary, where a backend's
    timestamp comparison would show), which keeps the PostgreSQL half within the budget."""
    expected = orjson.loads((case / "expected.json").read_bytes())["obligations"]
    dues = sorted(d for o in expected if (d := parse_instant(o["due"] or "")) is not None)
    found = {as_of(case)}
    if dues:
        found.add(dues[0])
        if every:
            found |= {dues[0] - timedelta(hours=1), dues[-1] + timedelta(days=1)}
    return sorted(found)


def documents(path: Path) -> list[tuple[bytes, str]]:
    """The bodies one input file is posted as: itself (JSON or XML), or one per NDJSON line."""
    data = path.read_bytes()
    if path.suffix == ".xml":
        return [(data, "xml")]
    if path.suffix in (".ndjson", ".jsonl"):
        return [(line, "json") for line in data.splitlines() if line.strip()]
    return [(data, "json")]


def as_json(data: bytes, kind: str) -> Any:
    """The body as the service reads it (XML as `referee check` reads XML)."""
    return fhir_xml_to_json_as_sent(data) if kind == "xml" else orjson.loads(data)


def post(served: Served, data: bytes, kind: str) -> list[str]:
    """Post one body (a Bundle to /fhir, a resource to /fhir/{type}); each entry's status."""
    resource_type = as_json(data, kind).get("resourceType")
    url = "/fhir" if resource_type == "Bundle" else f"/fhir/{resource_type}"
    headers = {**served.headers, "Content-Type": f"application/fhir+{kind}"}
    response = served.client.post(url, content=data, headers=headers)
    assert response.status_code in (200, 201, 422), response.text
    if url == "/fhir" and response.status_code != 422:
        return [e["response"]["status"] for e in response.json()["entry"]]
    return [str(response.status_code)]


def searchset(served: Served, kind: str, when: str) -> list[dict[str, Any]]:
    """The searchset's resources, ids aside: the service's ids are stable (issue 12, derived
    from the obligation), the report's derive from as_of too."""
    found = served.get(f"/fhir/{kind}", as_of=when, _count=1000)["entry"]
    return [{k: v for k, v in e["resource"].items() if k != "id"} for e in found]


def rendered(result: Result, kind: str) -> list[dict[str, Any]]:
    bundle = orjson.loads(fhir_report.render(result))
    return [
        {k: v for k, v in e["resource"].items() if k != "id"}
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == kind
    ]


def read_all(served: Served, when: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000, "as_of": when}
    while True:
        body = served.get("/obligations", **params)
        found += [{k: v for k, v in o.items() if k != "id"} for o in body["obligations"]]
        if body["next"] is None:
            return found
        params["cursor"] = body["next"]


def by_rule(summary: dict[str, Any]) -> dict[str, dict[str, int]]:
    statuses = ("met", "breached", "pending", "not-assessable")
    return {g["rule"]: {s: g[s] for s in statuses} for g in summary["groups"]}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_way_of_asking_gives_one_answer(served: Served, case: Path) -> None:
    served.use(case)
    bodies = [body for path in inputs(case) for body in documents(path)]
    statuses = [status for data, kind in bodies for status in post(served, data, kind)]
    collection = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": as_json(data, kind)} for data, kind in bodies],
    }
    for instant in instants(case, every=served.backend == "sqlite"):
        when = format_instant(instant)
        assert when is not None
        checked = check(inputs(case), as_of=instant, policy=policy(case))
        expected = [o.to_json() for o in checked.obligations]
        where = f"{case_id(case)} at {when}"
        assert read_all(served, when) == expected, where
        assert [o.to_json() for o in load_obligations(served.url, as_of=instant)] == expected
        if served.backend == "sqlite":  # $evaluate stores nothing: one backend is enough
            response = served.client.post(
                "/fhir/$evaluate",
                params={"as_of": when},
                content=orjson.dumps(collection),
                headers={**served.headers, "Content-Type": "application/fhir+json"},
            )
            evaluated = response.json()
            assert evaluated["obligations"] == expected, where
            assert evaluated["summary"] == checked.summary_json(), where
            assert evaluated["counts"] == checked.counts.to_json(), where
        for kind in ("DetectedIssue", "MeasureReport"):
            assert searchset(served, kind, when) == rendered(checked, kind), (where, kind)
        tally = Counter((o.rule, o.status) for o in checked.obligations)
        counted = by_rule(served.get("/summary", group_by="rule", as_of=when))
        assert {(r, s): n for r, row in counted.items() for s, n in row.items() if n} == tally
    counts = checked.counts
    assert (len(statuses), sum(s.startswith("422") for s in statuses)) == (
        counts.received,
        counts.rejected,
    ), case_id(case)

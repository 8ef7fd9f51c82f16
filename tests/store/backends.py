"""The two real databases the store runs on: a SQLite file and the PostgreSQL server on
127.0.0.1:5432 (database `test`), each test in a fresh schema so runs never interfere."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from adapter.instants import parse_instant
from adapter.model import Counts, Location, Obligation, Result

PG_SERVER = os.environ.get(
    "REFEREE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database on `backend`, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'referee.sqlite'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the server is not there: say so, do not pretend
        admin.dispose()
        pytest.skip(f"PostgreSQL at {PG_SERVER} is not reachable: {exc}")
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def resources_of(items: list[tuple[dict[str, Any], Location]]) -> list[dict[str, Any]]:
    """The resources in evaluation items, Bundles opened."""
    found: list[dict[str, Any]] = []

    def walk(resource: dict[str, Any]) -> None:
        if resource.get("resourceType") == "Bundle":
            for entry in resource.get("entry", []):
                walk(entry["resource"])
        else:
            found.append(resource)

    for resource, _ in items:
        walk(resource)
    return found


def tiny_engine(items: list[tuple[dict[str, Any], Location]], now: Any) -> Result:
    """A stand-in for the store's own tests (the rules are tested elsewhere): one
    discharge-summary-24h obligation per finished Encounter with a period.end, met by any
    Composition pointing at it, else pending or breached against `now`."""
    resources = resources_of(items)
    letters = [r for r in resources if r["resourceType"] == "Composition"]
    obligations = []
    for r in resources:
        if r["resourceType"] != "Encounter" or "end" not in r.get("period", {}):
            continue
        due = parse_instant(r["period"]["end"]) + timedelta(hours=24)  # type: ignore[operator]
        subject = f"Encounter/{r['id']}"
        found = [c for c in letters if c.get("encounter", {}).get("reference") == subject]
        status = "met" if found else "pending" if now <= due else "breached"
        obligations.append(
            Obligation(
                rule="discharge-summary-24h",
                status=status,  # type: ignore[arg-type]
                subject=subject,
                patient=r.get("subject", {}).get("reference"),
                owner=r.get("serviceProvider", {}).get("reference"),
                owed_to="K81001",
                due=due,
                fulfilled_at=None,
                evidence=tuple(f"Composition/{c['id']}" for c in found),
                detail=f"{len(found)} letters",
                domain4="complete-care",
                clause="SC11.5",
            )
        )
    return Result(now, Counts(), sorted(obligations, key=lambda o: o.sort_key), [])

"""The two real databases the store runs on: a SQLite file and the PostgreSQL server on
127.0.0.1:5432 (database `test`), each test in a fresh schema so runs never interfere."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from adapter.ingest import unpack
from adapter.model import Location
from adapter.store.service import Store, SubmitReport

PG_SERVER = os.environ.get(
    "REFEREE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    # The PostgreSQL half is `slow` (a fresh schema and its migrations per test): the fast
    # subset (`pytest -m "not slow"`) runs SQLite only; the full suite runs both.
    pytest.param("postgres", id="postgres", marks=[pytest.mark.postgres, pytest.mark.slow]),
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


def encounter(ident: str, patient: str, end: str = "2024-03-01T10:00:00Z", **extra: Any):
    """A finished inpatient stay: it owes a discharge summary 24 h after `end`."""
    return {
        "resourceType": "Encounter",
        "id": ident,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": f"Patient/{patient}"},
        # the trust's ODS code: an obligation with no owner is not-assessable (contract.md §4)
        "serviceProvider": {
            "reference": "Organization/trust",
            "identifier": {
                "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                "value": "RXX",
            },
        },
        "period": {"start": "2024-02-27T09:00:00Z", "end": end},
        **extra,
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


def bundle(*resources: dict[str, Any], kind: str = "batch", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"resource": r} for r in resources],
        **extra,
    }


def submit(store: Store, body: Any, transaction: bool = False) -> SubmitReport:
    """Post `body` to the store as the service does (read by `adapter.ingest.unpack`)."""
    items = list(unpack(body, Location(file="request"), requests=True))
    return store.submit(items, key_name="test", action="test", all_or_nothing=transaction)

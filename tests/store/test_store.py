"""The store on a real SQLite file and a real PostgreSQL server, judging with the real
engine: nothing lost, nothing doubled, only affected groups re-evaluated, status judged when
read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from adapter.store import evaluation, load_obligations
from adapter.store.database import MIGRATIONS
from adapter.store.schema import RejectedResource, StoredResource
from adapter.store.service import Store
from store.backends import bundle, encounter, letter, submit


def month(when: datetime | None) -> str | None:
    return None if when is None else when.strftime("%Y-%m")


def summaries(db_url: str) -> dict[str, str]:
    """Status by subject of the discharge-summary-24h obligations in the store."""
    found = load_obligations(db_url)
    return {o.subject: o.status for o in found if o.rule == "discharge-summary-24h"}


class Recorder:
    """Remembers the keys of the facts each re-evaluation judged (the real engine runs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[list[str]] = []
        real = evaluation.judge_facts

        def spy(facts: Any, **kwargs: Any) -> Any:
            facts = list(facts)
            self.seen.append(sorted(f.head.key for f in facts))
            return real(facts, **kwargs)

        monkeypatch.setattr(evaluation, "judge_facts", spy)


def outcomes(report) -> list[str]:
    return [stored.outcome for _, stored in report.entries]


def count(store: Store, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_migrations_build_the_schema_and_running_them_again_changes_nothing(db_url: str) -> None:
    Store(db_url).close()
    store = Store(db_url)
    with store.engine.connect() as conn:
        applied = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    store.close()
    newest = max(p.name[:4] for p in MIGRATIONS.glob("versions/0*.py"))
    assert applied == newest and newest >= "0008"


def test_resending_the_same_bundle_stores_nothing_twice(db_url: str) -> None:
    store = Store(db_url)
    body = bundle(encounter("e1", "p1"), {"resourceType": "Patient", "id": "p1"})
    assert outcomes(submit(store, body)) == ["created", "created"]
    assert outcomes(submit(store, body)) == ["unchanged", "unchanged"]
    assert count(store, StoredResource.__table__) == 2
    assert len(load_obligations(db_url)) == 1
    store.close()


def test_a_newer_version_replaces_the_older_and_an_older_one_is_ignored(db_url: str) -> None:
    store = Store(db_url)
    v1 = encounter("e1", "p1", meta={"versionId": "1"})
    v2 = encounter("e1", "p1", end="2024-05-01T10:00:00Z", meta={"versionId": "2"})
    submit(store, bundle(v1))
    assert outcomes(submit(store, bundle(v2))) == ["updated"]
    assert [o.due for o in load_obligations(db_url)] == [datetime(2024, 5, 2, 10, tzinfo=UTC)]
    assert outcomes(submit(store, bundle(v1))) == ["stale"]
    assert [o.due for o in load_obligations(db_url)] == [datetime(2024, 5, 2, 10, tzinfo=UTC)]
    assert count(store, StoredResource.__table__) == 1
    store.close()


def test_a_rejected_resource_is_kept_with_its_issues_and_the_rest_is_stored(db_url: str) -> None:
    store = Store(db_url)
    report = submit(store, bundle(encounter("e1", "p1"), {"resourceType": "Nonsense", "id": "x"}))
    assert outcomes(report) == ["created", "rejected"]
    with store.engine.connect() as conn:
        row = conn.execute(select(RejectedResource.resource_type, RejectedResource.issues)).one()
    assert row[0] == "Nonsense"
    assert "expected a known FHIR R4 resourceType, found resourceType 'Nonsense'" in row[1]
    store.close()


def test_a_transaction_with_one_rejected_entry_stores_none_of_it(db_url: str) -> None:
    store = Store(db_url)
    body = bundle(
        encounter("e1", "p1"), {"resourceType": "Encounter", "id": "bad id!"}, kind="transaction"
    )
    report = submit(store, body, transaction=True)
    assert not report.stored
    assert count(store, StoredResource.__table__) == 0
    assert count(store, RejectedResource.__table__) == 1
    assert load_obligations(db_url) == []
    store.close()


def test_a_new_letter_re_evaluates_only_its_own_patients_resources(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Recorder(monkeypatch)
    store = Store(db_url)
    org = {"resourceType": "Organization", "id": "trust"}
    submit(store, bundle(org, encounter("e1", "p1"), encounter("e2", "p2")))
    engine.seen.clear()
    submit(store, bundle(letter("c1", "e1")))
    assert engine.seen == [["Composition/c1", "Encounter/e1", "Organization/trust"]]
    statuses = summaries(db_url)
    assert statuses == {"Encounter/e1": "met", "Encounter/e2": "breached"}
    store.close()


def test_a_changed_organisation_re_evaluates_the_resources_that_point_at_it(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Recorder(monkeypatch)
    store = Store(db_url)
    submit(store, bundle({"resourceType": "Organization", "id": "trust"}, encounter("e1", "p1")))
    submit(
        store, bundle(encounter("e9", "p9", serviceProvider={"reference": "Organization/other"}))
    )
    engine.seen.clear()
    submit(store, bundle({"resourceType": "Organization", "id": "trust", "name": "renamed"}))
    assert engine.seen == [["Encounter/e1", "Organization/trust"]]
    store.close()


def test_a_letter_moved_to_another_encounter_re_evaluates_both(db_url: str) -> None:
    store = Store(db_url)
    submit(store, bundle(encounter("e1", "p1"), encounter("e2", "p2"), letter("c1", "e1")))
    submit(store, bundle(letter("c1", "e2")))
    statuses = summaries(db_url)
    assert statuses == {"Encounter/e1": "breached", "Encounter/e2": "met"}
    store.close()


def test_a_pending_obligation_reads_as_breached_once_its_due_time_has_passed(db_url: str) -> None:
    store = Store(db_url)
    end = datetime.now(UTC) - timedelta(hours=1)
    submit(store, bundle(encounter("e1", "p1", end=end.isoformat())))
    [now] = load_obligations(db_url)
    assert now.status == "pending"
    [later] = load_obligations(db_url, as_of=end + timedelta(hours=36))
    assert later.status == "breached"
    assert later.detail == (
        "No discharge summary had been sent 36 h after discharge; the limit is 24 h."
    )
    store.close()


def test_an_as_of_before_the_evaluation_reads_as_the_engine_judges_it(db_url: str) -> None:
    """The issue's case: stored long after the discharge, read at a morning instant."""
    store = Store(db_url)
    submit(store, bundle(encounter("e1", "p1", end="2024-03-01T10:00:00Z")))
    [read] = load_obligations(db_url, as_of=datetime(2024, 3, 1, 12, tzinfo=UTC))
    assert (read.status, read.detail) == (
        "pending",
        "No discharge summary yet; due by 2024-03-02 10:00 UTC.",
    )
    store.close()


def test_a_document_is_judged_by_its_bundle_timestamp(db_url: str) -> None:
    store = Store(db_url)
    doc = bundle(
        letter("c1", "e1", date="2024-03-03T12:00:00Z"),
        encounter("e1", "p1"),
        kind="document",
        timestamp="2024-03-01T12:00:00Z",
    )
    doc["entry"][0]["fullUrl"] = "urn:uuid:0f7e6f35-5c6b-4d43-9a55-3e6cbbd5b8d2"
    submit(store, doc)
    with store.engine.connect() as conn:
        sent = conn.execute(
            select(StoredResource.sent_at).where(StoredResource.resource_key == "c1")
        )
        assert sent.scalar_one() == "2024-03-01T12:00:00Z"
    [read] = [o for o in load_obligations(db_url) if o.rule == "discharge-summary-24h"]
    assert (read.status, read.fulfilled_at) == ("met", datetime(2024, 3, 1, 12, tzinfo=UTC))
    store.close()


def test_keys_are_stored_hashed_and_a_revoked_key_no_longer_works(db_url: str) -> None:
    store = Store(db_url)
    token = store.create_key("feed", "submit", "RXQ")
    key = store.authenticate(token)
    assert key is not None and (key.name, key.scope, key.org) == ("feed", "submit", "RXQ")
    assert store.authenticate(token + "x") is None
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM api_keys")).scalar_one()
    assert token not in stored
    store.revoke_key("feed")
    assert store.authenticate(token) is None
    store.close()


def test_a_changed_organisation_reaches_resources_through_a_practitioner_role(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Recorder(monkeypatch)
    store = Store(db_url)
    role = {
        "resourceType": "PractitionerRole",
        "id": "r1",
        "organization": {"reference": "Organization/trust"},
    }
    via_role = encounter("e1", "p1", serviceProvider={"reference": "PractitionerRole/r1"})
    submit(
        store,
        bundle(
            {"resourceType": "Organization", "id": "trust"}, role, via_role, encounter("e2", "p2")
        ),
    )
    engine.seen.clear()
    submit(store, bundle({"resourceType": "Organization", "id": "trust", "name": "renamed"}))
    assert engine.seen == [
        ["Encounter/e1", "Encounter/e2", "Organization/trust", "PractitionerRole/r1"]
    ]
    store.close()


def test_a_logical_reference_by_nhs_number_joins_the_patients_group(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Recorder(monkeypatch)
    store = Store(db_url)
    nhs = {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990011117"}
    submit(
        store,
        bundle({"resourceType": "Patient", "id": "p1", "identifier": [nhs]}, encounter("e1", "p1")),
    )
    engine.seen.clear()
    request = {"resourceType": "ServiceRequest", "id": "s1", "subject": {"identifier": nhs}}
    submit(store, bundle(request))
    assert engine.seen == [["Encounter/e1", "Patient/p1", "ServiceRequest/s1"]]
    store.close()


def test_a_resource_without_id_or_full_url_is_given_an_id(db_url: str) -> None:
    store = Store(db_url)
    report = submit(store, {"resourceType": "Patient"})
    [(_, stored)] = report.entries
    assert stored.outcome == "created"
    assert stored.reference is not None and stored.reference.startswith("Patient/")
    store.close()


def test_the_summary_counts_in_sql_what_the_obligations_say_when_read(db_url: str) -> None:
    from collections import Counter

    from adapter.store.reads import Filters

    store = Store(db_url)
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    submit(
        store, bundle(encounter("e1", "p1"), encounter("e2", "p2", end=soon), letter("c1", "e1"))
    )
    submit(store, bundle(encounter("e3", "p3", end="2024-04-30T23:30:00Z")))
    later = datetime.now(UTC) + timedelta(days=3)
    rows = store.summary(Filters(), ["rule", "month"], later)
    read = load_obligations(db_url, as_of=later)
    expected = Counter((o.rule, month(o.due or o.fulfilled_at), o.status) for o in read)
    counted = Counter()
    for row in rows:
        for status in ("met", "breached", "pending", "not-assessable"):
            if row[status]:
                counted[(row["rule"], row["month"], status)] = row[status]
    assert counted == expected
    assert sum(r["obligations"] for r in rows) == 4  # three stays and one letter's contact
    store.close()

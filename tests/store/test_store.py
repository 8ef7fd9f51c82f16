"""The store on a real SQLite file and a real PostgreSQL server: nothing lost, nothing
doubled, only affected groups re-evaluated, status judged when read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from adapter.store import load_obligations
from adapter.store.entries import check_entry, flatten
from adapter.store.schema import RejectedResource, StoredResource
from adapter.store.service import Store
from store.backends import resources_of, tiny_engine


def encounter(ident: str, patient: str, end: str = "2024-03-01T10:00:00Z", **extra: Any):
    return {
        "resourceType": "Encounter",
        "id": ident,
        "status": "finished",
        "subject": {"reference": f"Patient/{patient}"},
        "serviceProvider": {"reference": "Organization/trust"},
        "period": {"end": end},
        **extra,
    }


def letter(ident: str, enc: str) -> dict[str, Any]:
    return {
        "resourceType": "Composition",
        "id": ident,
        "encounter": {"reference": f"Encounter/{enc}"},
    }


def bundle(*resources: dict[str, Any], kind: str = "batch", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"resource": r} for r in resources],
        **extra,
    }


class Recorder:
    """The stand-in engine, remembering which resources each evaluation saw."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def __call__(self, items, now):
        self.seen.append(sorted(f"{r['resourceType']}/{r.get('id')}" for r in resources_of(items)))
        return tiny_engine(items, now)


def submit(store: Store, body: dict[str, Any], transaction: bool = False):
    entries = flatten(body)
    for entry in entries:
        check_entry(entry)
    return store.submit(entries, key_name="test", action="test", all_or_nothing=transaction)


def outcomes(report) -> list[str]:
    return [stored.outcome for _, stored in report.entries]


def count(store: Store, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_migrations_build_the_schema_and_running_them_again_changes_nothing(db_url: str) -> None:
    Store(db_url, evaluator=tiny_engine).close()
    store = Store(db_url, evaluator=tiny_engine)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"
    store.close()


def test_resending_the_same_bundle_stores_nothing_twice(db_url: str) -> None:
    store = Store(db_url, evaluator=tiny_engine)
    body = bundle(encounter("e1", "p1"), {"resourceType": "Patient", "id": "p1"})
    assert outcomes(submit(store, body)) == ["created", "created"]
    assert outcomes(submit(store, body)) == ["unchanged", "unchanged"]
    assert count(store, StoredResource.__table__) == 2
    assert len(load_obligations(db_url)) == 1
    store.close()


def test_a_newer_version_replaces_the_older_and_an_older_one_is_ignored(db_url: str) -> None:
    store = Store(db_url, evaluator=tiny_engine)
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
    store = Store(db_url, evaluator=tiny_engine)
    report = submit(store, bundle(encounter("e1", "p1"), {"resourceType": "Nonsense", "id": "x"}))
    assert outcomes(report) == ["created", "rejected"]
    with store.engine.connect() as conn:
        row = conn.execute(select(RejectedResource.resource_type, RejectedResource.issues)).one()
    assert row[0] == "Nonsense"
    assert "resourceType must name a FHIR R4 resource type" in row[1]
    store.close()


def test_a_transaction_with_one_rejected_entry_stores_none_of_it(db_url: str) -> None:
    store = Store(db_url, evaluator=tiny_engine)
    body = bundle(
        encounter("e1", "p1"), {"resourceType": "Encounter", "id": "bad id!"}, kind="transaction"
    )
    report = submit(store, body, transaction=True)
    assert not report.stored
    assert count(store, StoredResource.__table__) == 0
    assert count(store, RejectedResource.__table__) == 1
    assert load_obligations(db_url) == []
    store.close()


def test_a_new_letter_re_evaluates_only_its_own_patients_resources(db_url: str) -> None:
    engine = Recorder()
    store = Store(db_url, evaluator=engine)
    org = {"resourceType": "Organization", "id": "trust"}
    submit(store, bundle(org, encounter("e1", "p1"), encounter("e2", "p2")))
    engine.seen.clear()
    submit(store, bundle(letter("c1", "e1")))
    assert engine.seen == [["Composition/c1", "Encounter/e1", "Organization/trust"]]
    statuses = {o.subject: o.status for o in load_obligations(db_url)}
    assert statuses == {"Encounter/e1": "met", "Encounter/e2": "breached"}
    store.close()


def test_a_changed_organisation_re_evaluates_the_resources_that_point_at_it(db_url: str) -> None:
    engine = Recorder()
    store = Store(db_url, evaluator=engine)
    submit(store, bundle({"resourceType": "Organization", "id": "trust"}, encounter("e1", "p1")))
    submit(
        store, bundle(encounter("e9", "p9", serviceProvider={"reference": "Organization/other"}))
    )
    engine.seen.clear()
    submit(store, bundle({"resourceType": "Organization", "id": "trust", "name": "renamed"}))
    assert engine.seen == [["Encounter/e1", "Organization/trust"]]
    store.close()


def test_a_letter_moved_to_another_encounter_re_evaluates_both(db_url: str) -> None:
    store = Store(db_url, evaluator=tiny_engine)
    submit(store, bundle(encounter("e1", "p1"), encounter("e2", "p2"), letter("c1", "e1")))
    submit(store, bundle(letter("c1", "e2")))
    statuses = {o.subject: o.status for o in load_obligations(db_url)}
    assert statuses == {"Encounter/e1": "breached", "Encounter/e2": "met"}
    store.close()


def test_a_pending_obligation_reads_as_breached_once_its_due_time_has_passed(db_url: str) -> None:
    store = Store(db_url, evaluator=tiny_engine)
    end = datetime.now(UTC) - timedelta(hours=1)
    submit(store, bundle(encounter("e1", "p1", end=end.isoformat())))
    [now] = load_obligations(db_url)
    assert now.status == "pending"
    [later] = load_obligations(db_url, as_of=end + timedelta(hours=25))
    assert later.status == "breached"
    assert later.detail.startswith("Not fulfilled by the due time")
    store.close()


def test_a_document_is_evaluated_inside_its_bundle_with_its_timestamp(db_url: str) -> None:
    seen: list[dict[str, Any]] = []

    def engine(items, now):
        seen.extend(resource for resource, _ in items)
        return tiny_engine(items, now)

    store = Store(db_url, evaluator=engine)
    doc = bundle(
        letter("c1", "e1"), encounter("e1", "p1"), kind="document", timestamp="2024-03-01T12:00:00Z"
    )
    doc["entry"][0]["fullUrl"] = "urn:uuid:0f7e6f35-5c6b-4d43-9a55-3e6cbbd5b8d2"
    submit(store, doc)
    [rebuilt] = seen
    assert rebuilt["type"] == "document"
    assert rebuilt["timestamp"] == "2024-03-01T12:00:00Z"
    assert rebuilt["entry"][0]["fullUrl"] == "urn:uuid:0f7e6f35-5c6b-4d43-9a55-3e6cbbd5b8d2"
    assert [e["resource"]["id"] for e in rebuilt["entry"]] == ["c1", "e1"]
    store.close()


def test_keys_are_stored_hashed_and_a_revoked_key_no_longer_works(db_url: str) -> None:
    store = Store(db_url, evaluator=tiny_engine)
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


def test_a_changed_organisation_reaches_resources_through_a_practitioner_role(db_url: str) -> None:
    engine = Recorder()
    store = Store(db_url, evaluator=engine)
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


def test_a_logical_reference_by_nhs_number_joins_the_patients_group(db_url: str) -> None:
    engine = Recorder()
    store = Store(db_url, evaluator=engine)
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
    store = Store(db_url, evaluator=tiny_engine)
    report = submit(store, {"resourceType": "Patient"})
    [(_, stored)] = report.entries
    assert stored.outcome == "created"
    assert stored.reference is not None and stored.reference.startswith("Patient/")
    store.close()


def test_the_summary_counts_in_sql_what_the_obligations_say_when_read(db_url: str) -> None:
    from collections import Counter

    from adapter.store.reads import Filters

    store = Store(db_url, evaluator=tiny_engine)
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    submit(
        store, bundle(encounter("e1", "p1"), encounter("e2", "p2", end=soon), letter("c1", "e1"))
    )
    submit(store, bundle(encounter("e3", "p3", end="2024-04-30T23:30:00Z")))
    later = datetime.now(UTC) + timedelta(days=3)
    rows = store.summary(Filters(), ["rule", "month"], later)
    read = load_obligations(db_url, as_of=later)
    expected = Counter((o.rule, o.due.strftime("%Y-%m"), o.status) for o in read if o.due)
    counted = Counter()
    for row in rows:
        for status in ("met", "breached", "pending", "not-assessable"):
            if row[status]:
                counted[(row["rule"], row["month"], status)] = row[status]
    assert counted == expected
    assert sum(r["obligations"] for r in rows) == 3
    store.close()

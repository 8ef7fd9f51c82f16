"""Property: whatever a Bundle holds, every entry comes back created, updated, unchanged,
stale or rejected, counted from the input and checked against the tables (what is said to
be stored is stored; what is said to be rejected is in the rejected table), and the store
never crashes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from adapter.store.schema import RejectedResource, StoredResource
from adapter.store.service import Store
from store.backends import submit

resource = st.fixed_dictionaries(
    {
        "resourceType": st.sampled_from(["Patient", "Encounter", "Composition", "Nope", "Bundle"]),
        "id": st.sampled_from(["a", "b", "c", "no spaces", ""]),
    },
    optional={
        "meta": st.fixed_dictionaries({"versionId": st.sampled_from(["1", "2", "x"])}),
        "subject": st.just({"reference": "Patient/a"}),
        "period": st.just({"end": "2024-01-01T00:00:00Z"}),
    },
)
entry = st.one_of(
    st.fixed_dictionaries(
        {"resource": resource}, optional={"fullUrl": st.sampled_from(["urn:uuid:1", "x"])}
    ),
    st.fixed_dictionaries({"resource": st.one_of(st.none(), st.integers(), st.text(max_size=3))}),
    st.just({"request": {"method": "DELETE", "url": "Patient/a"}}),
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store for every example (migrating a fresh one each time is most of the cost)."""
    the_store = Store(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'prop.sqlite'}")
    yield the_store
    the_store.close()


@settings(max_examples=40, deadline=None)
@given(
    entries=st.lists(entry, max_size=8),
    kind=st.sampled_from(["batch", "collection", "transaction"]),
)
def test_every_entry_comes_back_accepted_or_rejected(
    store: Store, entries: list[Any], kind: str
) -> None:
    body = {"resourceType": "Bundle", "type": kind, "entry": entries}
    rejected_before = _rejected(store)
    report = submit(store, body, transaction=kind == "transaction")
    # Counted from the input, not from the report: every entry but an (empty) nested Bundle.
    assert len(report.entries) == sum(not _is_bundle(e) for e in entries)
    outcomes = [stored.outcome for _, stored in report.entries]
    assert _rejected(store) - rejected_before == outcomes.count("rejected")
    with store.engine.connect() as conn:
        keys = set(conn.execute(select(StoredResource.resource_type, StoredResource.resource_key)))
    for _, stored in report.entries:
        if report.stored and stored.outcome != "rejected":
            assert stored.reference is not None
            kind_, _, key = stored.reference.partition("/")
            assert (kind_, key) in keys or (kind_, stored.reference) in keys
    counts = report.counts()
    assert (counts["received"], counts["rejected"]) == (len(outcomes), outcomes.count("rejected"))


def _rejected(store: Store) -> int:
    with store.engine.connect() as conn:
        found: int = conn.execute(select(func.count()).select_from(RejectedResource)).scalar_one()
    return found


def _is_bundle(entry: dict[str, Any]) -> bool:
    resource = entry.get("resource")
    return isinstance(resource, dict) and resource.get("resourceType") == "Bundle"

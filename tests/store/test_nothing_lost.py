"""Property: whatever a Bundle holds, every entry comes back created, updated, unchanged,
stale or rejected (received = accepted + rejected), and the store never crashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.store.entries import check_entry, flatten
from adapter.store.service import Store
from store.backends import tiny_engine

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


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=st.lists(entry, max_size=8),
    kind=st.sampled_from(["batch", "collection", "transaction"]),
)
def test_every_entry_comes_back_accepted_or_rejected(
    tmp_path: Path, entries: list[Any], kind: str
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'prop.sqlite'}", evaluator=tiny_engine)
    body = {"resourceType": "Bundle", "type": kind, "entry": entries}
    flat = flatten(body)
    for item in flat:
        check_entry(item)
    report = store.submit(flat, key_name="p", action="p", all_or_nothing=kind == "transaction")
    counts = report.counts()
    assert counts["received"] == len(flat) == len(report.entries)
    assert counts["received"] == counts["accepted"] + counts["rejected"]
    accepted = counts["created"] + counts["updated"] + counts["unchanged"] + counts["stale"]
    assert counts["accepted"] == accepted
    store.close()

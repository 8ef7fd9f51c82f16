"""The fast path (adapter/translate/fast.py) decides nothing on its own: for every resource,
`translate` gives the same fact and the same issues with it as with the field readers alone
— on every golden fixture, the demo data, synthetic traffic (with local times, STU3 and
Transfer of Care lists), and resources broken one field at a time. And it is really taken:
most synthetic resources of the types it reads go through it."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cases import CASES, inputs

from adapter.facts import Ref, TaskFact
from adapter.ingest import Limits, Received, read_paths
from adapter.ingest.unpack import unpack
from adapter.model import Location
from adapter.policy import Policy, load_policy
from adapter.synth import generate
from adapter.translate import identifier_aliases, translate
from adapter.translate.fast import BUILDERS, fast_fact

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy()


def received(paths: list[Path]) -> Iterator[Received]:
    for item in read_paths(paths, Limits()):
        if isinstance(item, Received):
            yield item


def same_either_way(item: Received, policy: Policy = POLICY) -> bool:
    """Whether the fast path was taken; asserts it made no difference."""
    slow = translate(item, policy, fast=False)
    assert translate(item, policy) == slow, item.location.describe()
    taken = fast_fact(item, policy, identifier_aliases(policy)) is not None
    if taken:
        assert slow.fact is not None and not slow.issues, item.location.describe()
    return taken


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> list[Received]:
    folder = tmp_path_factory.mktemp("synth")
    as_of = datetime(2026, 6, 30, 12, tzinfo=UTC)
    generate(folder / "plain", patients=60, months=6, seed=11, as_of=as_of, progress=False)
    generate(
        folder / "mixed",
        patients=40,
        months=6,
        seed=12,
        as_of=as_of,
        progress=False,
        local_times=True,
        statements=0.5,
        stu3=0.3,
        documents=0.5,
    )
    return list(received([folder]))


def test_every_golden_fixture_and_the_demo_read_the_same() -> None:
    taken = 0
    for case in CASES:
        for item in received(inputs(case)):
            taken += same_either_way(item)
    for item in received([ROOT / "fixtures" / "demo", ROOT / "fixtures" / "real"]):
        taken += same_either_way(item)
    assert taken > 300  # the fast path is exercised, not bypassed


def test_synthetic_traffic_reads_the_same_and_mostly_fast(synthetic: list[Received]) -> None:
    seen: Counter[str] = Counter()
    fast: Counter[str] = Counter()
    for item in synthetic:
        kind = str(item.resource["resourceType"])
        seen[kind] += 1
        fast[kind] += same_either_way(item)
    for kind in BUILDERS:
        if seen[kind] >= 20:
            assert fast[kind] >= 0.8 * seen[kind], (kind, fast[kind], seen[kind])


# -- resources broken one field at a time --------------------------------------------------

BAD_VALUES: list[Any] = [
    None,
    7,
    1.5,
    True,
    "x",
    "",
    "2024-02-30",
    "2024-02-03T25:00:00Z",
    "1700-01-01",
    [],
    {},
    [None],
    [7],
    ["x"],
    {"a": 1},
    [{"a": 1}],
]


def paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 0) -> Iterator[tuple[Any, ...]]:
    """Every key or index path into `value`, to `depth` 4 (deep enough for a coding)."""
    if depth >= 4:
        return
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in children:
        if key == "div":
            continue  # narrative is parsed by the same readers either way
        yield (*prefix, key)
        yield from paths(child, (*prefix, key), depth + 1)


def changed(resource: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(resource)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_DELETE = object()


def examples(synthetic: list[Received]) -> Iterator[Received]:
    """Two resources of each type the fast path reads, the richest first."""
    for kind in BUILDERS:
        found = [i for i in synthetic if i.resource["resourceType"] == kind and not i.release]
        found.sort(key=lambda i: -len(str(i.resource)))
        yield from found[:2]


def variants(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path in paths(resource):
        if path == ("resourceType",):
            continue
        for value in [*BAD_VALUES, _DELETE]:
            yield changed(resource, path, value)
    aliases = list(identifier_aliases(POLICY))
    wrong = aliases[0]
    yield {**resource, "identifier": [{"system": wrong, "value": "X1"}]}
    yield {**resource, "identifier": {"system": "http://x", "value": "X1"}}  # 0..1 shape
    for key in ("subject", "requester", "encounter", "focus", "custodian", "for"):
        yield {**resource, key: {"identifier": {"system": wrong, "value": "Y1"}}}
        yield {**resource, key: {"reference": "urn:uuid:1", "type": "Patient"}}
    bad_snomed = {"coding": [{"system": "http://snomed.info/sct", "code": "123456"}]}
    for key in ("type", "code", "reasonCode", "category", "businessStatus"):
        yield {**resource, key: bad_snomed}
        yield {**resource, key: [bad_snomed]}


def test_broken_resources_read_the_same(synthetic: list[Received]) -> None:
    """Each variant is translated both ways; the issues (wording, location) must match."""
    rejected = 0
    for example in examples(synthetic):
        for resource in variants(example.resource):
            for item in unpack(resource, Location(file="x.ndjson", line=1)):
                if isinstance(item, Received):
                    same_either_way(item)
                    rejected += translate(item, POLICY).fact is None
    assert rejected > 500  # the variants do break resources


def test_in_a_bundle_urn_references_are_scoped_the_same() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:aaaa",
                "resource": {
                    "resourceType": "Encounter",
                    "status": "finished",
                    "class": {"code": "IMP"},
                    "subject": {"reference": "urn:uuid:bbbb"},
                },
            }
        ],
    }
    [item] = unpack(bundle, Location(file="b.json"))
    assert isinstance(item, Received)
    assert same_either_way(item)


def test_a_task_reads_its_patient_from_for_the_same_either_way() -> None:
    """Task.for is the patient (docs/contract.md §11.1, §11.3): read by both paths, a literal
    reference or a logical NHS-number one."""
    task = {
        "resourceType": "Task",
        "id": "t1",
        "status": "rejected",
        "intent": "order",
        "focus": {"reference": "ServiceRequest/not-sent"},
        "requester": {"reference": "Organization/gp"},
        "owner": {"reference": "Organization/trust"},
    }
    nhs = {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990011117"}
    for subject, expected in (
        ({"reference": "Patient/pat-1"}, Ref(reference="Patient/pat-1")),
        ({"identifier": nhs}, Ref(system=nhs["system"], value=nhs["value"])),
    ):
        [item] = unpack({**task, "for": subject}, Location(file="t.json"))
        assert isinstance(item, Received)
        assert same_either_way(item)
        fact = translate(item, POLICY).fact
        assert isinstance(fact, TaskFact)
        assert fact.patient == expected

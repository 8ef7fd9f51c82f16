"""Properties of ingest (style.md "Tests"): random bytes never crash the reader, and no entry
is ever lost: `received = accepted + rejected`, and `received` is the number of resource-like
items put in (Bundle entries counted one by one, Bundles themselves not).
"""

from __future__ import annotations

import copy
import json
import random
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cases import CASES, FIXTURES, case_id, inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.engine import check, evaluate
from adapter.instants import parse_instant
from adapter.model import Counts, Location, Result
from adapter.policy import load_policy
from adapter.xml import fhir_xml_to_json

AS_OF = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# rules.md §1: the types the adapter reads (Bundle is the container, built separately below)
READ_TYPES = (
    "ServiceRequest",
    "Encounter",
    "Composition",
    "MedicationRequest",
    "Patient",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Task",
    "Appointment",
    "Observation",
    "DocumentReference",
    "CarePlan",
)
BUNDLE_TYPES = ("document", "collection", "transaction", "batch", "searchset", "message")

# Field names the translators read, so random values reach their type checks.
FIELDS = (
    "id",
    "meta",
    "identifier",
    "status",
    "intent",
    "class",
    "type",
    "category",
    "code",
    "priority",
    "subject",
    "patient",
    "encounter",
    "context",
    "period",
    "start",
    "date",
    "authoredOn",
    "lastModified",
    "executionPeriod",
    "serviceProvider",
    "custodian",
    "author",
    "requester",
    "performer",
    "owner",
    "focus",
    "basedOn",
    "reasonCode",
    "reasonReference",
    "supportingInfo",
    "note",
    "section",
    "generalPractitioner",
    "organization",
    "practitioner",
    "birthDate",
    "telecom",
    "extension",
    "dispenseRequest",
    "dosageInstruction",
    "valueCodeableConcept",
    "participant",
)

# Plausible FHIR values, so that some random resources are accepted and reach the rules.
PLAUSIBLE: tuple[Any, ...] = (
    "finished",
    "final",
    "active",
    "order",
    "cancelled",
    "noshow",
    "2024-03-01T10:00:00Z",
    "2024-03-01",
    "2024-03-01T10:00:00",
    {"code": "IMP"},
    {"code": "AMB"},
    {"start": "2024-02-28T10:00:00Z", "end": "2024-03-01T10:00:00Z"},
    {"reference": "Patient/pat-1"},
    {"reference": "Organization/trust-1"},
    {"reference": "Encounter/enc-1"},
    {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RZZ"}},
    {"coding": [{"system": "http://snomed.info/sct", "code": "373942005"}]},
    [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005"}]}],
    [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y01234"}],
    [
        {
            "text": {
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Ask the GP to refer.</p></div>'
            }
        }
    ],
    [{"text": {"div": "<div><p>unclosed</div>"}}],
    {"quantity": {"value": 28, "unit": "tablet"}, "expectedSupplyDuration": {"value": 7}},
    [{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}}],
)

# JSON that orjson reads back exactly: no lone surrogates, integers within 64 bits.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
VALUES = JSON_VALUES | st.sampled_from(PLAUSIBLE)


@st.composite
def resources(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON object with a resourceType the adapter reads and random fields."""
    fields = draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6))
    fields.pop("resourceType", None)
    return {"resourceType": draw(st.sampled_from(READ_TYPES)), **fields}


NOT_OBJECTS = SCALARS | st.lists(JSON_VALUES, max_size=3)

# (value, how many resource-like items it holds)
LEAVES = resources().map(lambda r: (r, 1)) | NOT_OBJECTS.map(lambda v: (v, 1))


@st.composite
def bundle_of(draw: st.DrawFn, children: st.SearchStrategy[list[tuple[Any, int]]]) -> Any:
    """A Bundle of random type whose entries hold the children, plus request-only entries
    (which carry no resource and count nothing)."""
    kids = draw(children)
    entries: list[Any] = []
    for index, (value, _) in enumerate(kids):
        as_bare_entry = not isinstance(value, dict) and draw(st.booleans())
        if as_bare_entry and not isinstance(value, dict):
            entries.append(value)  # an entry that is not an object: one rejected item
            continue
        entry: dict[str, Any] = {"resource": value}
        if draw(st.booleans()):
            entry["fullUrl"] = f"urn:uuid:00000000-0000-4000-8000-{index:012d}"
        entries.append(entry)
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(entries)))
        entries.insert(position, {"request": {"method": "GET", "url": "Patient"}})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": draw(st.sampled_from(BUNDLE_TYPES)),
        "entry": entries,
    }
    if draw(st.booleans()):
        bundle["timestamp"] = draw(st.sampled_from(["2024-03-02T11:00:00Z", "yesterday", ""]))
    return bundle, sum(n for _, n in kids)


TREES = st.recursive(
    LEAVES,
    lambda inner: bundle_of(st.lists(inner, max_size=4)),
    max_leaves=10,
)


def assert_balanced(result: Result) -> None:
    total = Counts()
    for file_counts in result.files.values():
        assert file_counts.received == file_counts.accepted + file_counts.rejected
        total.merge(file_counts)
    assert result.counts.received == result.counts.accepted + result.counts.rejected
    assert total.to_json() == result.counts.to_json()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


# -- random bytes --------------------------------------------------------------------------------

BYTES = st.binary(max_size=3000) | st.tuples(
    st.sampled_from(
        [b"{", b"[", b"<", b'{"resourceType": "Bundle", "entry": [', b"<Bundle xmlns=", b"\n"]
    ),
    st.binary(max_size=2000),
).map(lambda pair: pair[0] + pair[1])


@EXAMPLES
@given(data=BYTES)
def test_random_bytes_never_crash_the_reader_and_counts_balance(workdir: Path, data: bytes) -> None:
    path = workdir / "random.bin"
    path.write_bytes(data)

    result = check([path], as_of=AS_OF)

    assert_balanced(result)
    assert result.unreadable_files in (0, 1)
    if result.unreadable_files:
        assert result.counts.to_json() == {"received": 0, "accepted": 0, "rejected": 0}
        assert [i.severity for i in result.issues] == ["fatal"]
    for issue in result.issues:
        assert issue.message.startswith(str(path))


# -- random JSON ---------------------------------------------------------------------------------


@EXAMPLES
@given(value=JSON_VALUES)
def test_any_json_value_is_one_item_or_an_unreadable_file_and_never_crashes(
    workdir: Path, value: Any
) -> None:
    path = workdir / "value.json"
    path.write_text(json.dumps(value, indent=1))

    result = check([path], as_of=AS_OF)

    assert_balanced(result)
    if isinstance(value, list):  # a bare array: each element is one item
        assert (result.unreadable_files, result.counts.received) == (0, len(value))
    elif isinstance(value, dict):  # one item, rejected unless it has a known resourceType
        assert (result.unreadable_files, result.counts.received) == (0, 1)
    else:  # a bare scalar: an unreadable file, or one rejected item
        assert (result.unreadable_files, result.counts.to_json()) in (
            (1, {"received": 0, "accepted": 0, "rejected": 0}),
            (0, {"received": 1, "accepted": 0, "rejected": 1}),
        )


@EXAMPLES
@given(tree=TREES)
def test_no_entry_is_ever_lost_from_random_bundles_in_memory(tree: tuple[Any, int]) -> None:
    value, expected = tree

    result = evaluate([(value, Location(file="memory"))], as_of=AS_OF)

    assert_balanced(result)
    assert result.counts.received == expected


@EXAMPLES
@given(trees=st.lists(TREES, min_size=1, max_size=3))
def test_no_entry_is_ever_lost_from_random_bundles_in_a_file(
    workdir: Path, trees: list[tuple[Any, int]]
) -> None:
    path = workdir / "trees.json"
    path.write_text(json.dumps([value for value, _ in trees], indent=2))

    result = check([path], as_of=AS_OF)

    assert result.unreadable_files == 0
    assert_balanced(result)
    assert result.counts.received == sum(n for _, n in trees)
    assert result.files.get(str(path), Counts()).received == result.counts.received


@EXAMPLES
@given(items=st.lists(resources(), min_size=1, max_size=4))
def test_random_resources_as_ndjson_are_each_one_item(
    workdir: Path, items: list[dict[str, Any]]
) -> None:
    path = workdir / "resources.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in items))

    result = check([path], as_of=AS_OF)

    assert result.unreadable_files == 0
    assert_balanced(result)
    assert result.counts.received == len(items)
    rejected_lines = {i.location.line for i in result.issues if i.severity == "error"}
    assert len(rejected_lines) == result.counts.rejected  # every rejection has a reason


# -- reading order ---------------------------------------------------------------------------------


RULE_CASES = [c for c in CASES if FIXTURES in c.parents]  # the hand-made cases (as before)


def case_items(case: Path) -> list[tuple[Any, Location]]:
    """Every top-level resource of a fixture case (NDJSON line by line, Bundles whole)."""
    items: list[tuple[Any, Location]] = []
    for path in inputs(case):
        data = path.read_bytes()
        if data.lstrip()[:1] == b"<":
            items.append((fhir_xml_to_json(data), Location(file=path.name)))
        elif path.suffix == ".ndjson":
            for number, line in enumerate(data.splitlines(), 1):
                if line.strip():
                    items.append((json.loads(line), Location(file=path.name, line=number)))
        else:
            items.append((json.loads(data), Location(file=path.name)))
    return items


@pytest.mark.parametrize("case", RULE_CASES, ids=case_id)
def test_obligations_do_not_depend_on_the_order_resources_are_read(case: Path) -> None:
    meta = tomllib.loads((case / "case.toml").read_text())
    policy = load_policy(case / meta["policy"]) if "policy" in meta else None
    as_of = parse_instant(meta["as_of"])
    items = case_items(case)
    expected = evaluate(items, as_of=as_of, policy=policy)

    for seed in range(3):
        rng = random.Random(seed)
        shuffled = copy.deepcopy(items)
        rng.shuffle(shuffled)
        for resource, _ in shuffled:
            if isinstance(resource, dict) and isinstance(resource.get("entry"), list):
                rng.shuffle(resource["entry"])

        result = evaluate(shuffled, as_of=as_of, policy=policy)

        assert [o.to_json() for o in result.obligations] == [
            o.to_json() for o in expected.obligations
        ], f"seed {seed}"
        assert result.counts.to_json() == expected.counts.to_json()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path to every value inside a parsed JSON value."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


@EXAMPLES
@given(data=st.data())
def test_a_fixture_with_one_field_replaced_or_removed_never_crashes_and_loses_nothing(
    data: st.DataObject,
) -> None:
    case = data.draw(st.sampled_from(RULE_CASES), label="case")
    items = copy.deepcopy(case_items(case))
    expected = evaluate(items, as_of=AS_OF).counts.received
    resource = data.draw(st.sampled_from([value for value, _ in items]))
    path = data.draw(st.sampled_from([p for p in _paths(resource) if p[:1] != ("resourceType",)]))
    if path:
        parent = resource
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and data.draw(st.booleans(), label="remove"):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(VALUES, label="value")

    result = evaluate(items, as_of=AS_OF)

    assert_balanced(result)
    if path[:1] not in (("entry",), ("resourceType",)):  # the item count is unchanged
        assert result.counts.received == expected
    rejected_keys = {(i.location.file, i.location.line, i.location.entry) for i in result.issues}
    assert result.counts.rejected <= len(rejected_keys)

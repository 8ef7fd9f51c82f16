"""NDJSON lines skip the nesting walk only when they have no more `{` and `[` than the limit
(adapter/ingest/sources.py): the limit holds exactly as before, at its edge and beyond, in
Bundles on a line, and with brackets inside strings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from adapter.ingest import Limits, Received, Refused, read_paths
from adapter.limits import MAX_NESTING


def encounter(levels: int, note: str = "") -> dict[str, Any]:
    """An Encounter that nests `levels` JSON levels (the resource itself is the first)."""
    resource: dict[str, Any] = {"resourceType": "Encounter", "id": "e1", "status": "finished"}
    node = resource
    for _ in range((levels - 1) // 2):
        child: dict[str, Any] = {"url": "http://x"}
        node["extension"] = [child]
        node = child
    if (levels - 1) % 2:
        node["valueCodeableConcept"] = {"text": note}
    elif note:
        node["valueString"] = note
    return resource


def read(tmp_path: Path, *values: Any) -> list[Any]:
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(v) for v in values) + b"\n")
    return list(read_paths([path], Limits()))


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def test_at_the_limit_is_read_and_one_deeper_is_refused(tmp_path: Path) -> None:
    edge, over = encounter(MAX_NESTING), encounter(MAX_NESTING + 1)
    assert (depth(edge), depth(over)) == (MAX_NESTING, MAX_NESTING + 1)
    first, second = read(tmp_path, edge, over)
    assert isinstance(first, Received)
    assert isinstance(second, Refused)
    assert second.issue.message.endswith(f"nested deeper than {MAX_NESTING} levels; not read")


def test_brackets_inside_strings_do_not_refuse_a_shallow_line(tmp_path: Path) -> None:
    """More brackets than the limit, all in a string: the line is walked and read."""
    [item] = read(tmp_path, encounter(3, note="{[" * 100))
    assert isinstance(item, Received)


def test_a_bundle_on_one_line_is_checked_per_entry(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": encounter(MAX_NESTING - 3)},  # 3 levels under the Bundle's own
            {"resource": encounter(MAX_NESTING + 1)},
            {"resource": encounter(5)},
        ],
    }
    items = read(tmp_path, bundle)
    assert [type(i).__name__ for i in items] == ["Received", "Refused", "Received"]


def test_a_short_shallow_line_is_read(tmp_path: Path) -> None:
    line = encounter(7)
    assert orjson.dumps(line).count(b"{") + orjson.dumps(line).count(b"[") <= MAX_NESTING
    [item] = read(tmp_path, line)
    assert isinstance(item, Received)

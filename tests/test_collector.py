"""The cyclic collector is paused in the hot loop (adapter/collector.py) because the
pipeline makes no reference cycles: these tests fail if one appears (the paused run would
then leak it), and check the collector is restored on every path."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from adapter.collector import paused
from adapter.engine import check

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo" / "icb"
AS_OF = datetime(2025, 3, 31, 17, tzinfo=UTC)


def test_restored_after_the_block_and_after_an_error() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_a_check_leaves_no_cyclic_garbage(tmp_path: Path) -> None:
    """Accepted, rejected (bad fields, bad JSON, too deep) and refused resources alike: the
    paused run frees everything by reference counting."""
    bad = tmp_path / "bad.ndjson"
    deep: dict[str, object] = {"resourceType": "Basic", "id": "deep"}
    node = deep
    for _ in range(80):
        child: dict[str, object] = {}
        node["extension"] = [child]
        node = child
    bad.write_bytes(
        b"\n".join(
            [
                b'{"resourceType": "Encounter", "id": "e1", "status": 3, "period": "x"}',
                b'{"resourceType": "Composition", "id": "c1", "date": "not a date"}',
                b"{not json",
                b'{"resourceType": "Nonsense"}',
                orjson.dumps(deep),
            ]
        )
    )
    gc.collect()
    gc.disable()
    try:
        result = check([DEMO, bad], as_of=AS_OF)
        del result
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0

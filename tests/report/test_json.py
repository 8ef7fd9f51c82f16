"""`--format json` is streamed, yet byte for byte the document rules.md §7 describes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from adapter.engine import check
from adapter.instants import parse_instant
from adapter.model import Counts, Result
from adapter.report.json import render

ROOT = Path(__file__).resolve().parents[2]
AS_OF = parse_instant("2025-03-31T17:00:00Z")


@pytest.mark.parametrize(
    "paths",
    [
        ["fixtures/demo/icb"],
        ["fixtures/rules/discharge-medication-7d/13-local-policy-min-14-days-breached"],
        ["does-not-exist.json"],
    ],
)
def test_streamed_json_equals_one_dump_of_the_whole_result(paths: list[str]) -> None:
    result = check([ROOT / p for p in paths], as_of=AS_OF)
    whole = orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
    assert render(result) == whole


def test_json_of_an_empty_run_has_every_member_of_rules_md_section_7() -> None:
    assert AS_OF is not None
    body = orjson.loads(render(Result(as_of=AS_OF, counts=Counts(), obligations=[], issues=[])))
    assert list(body) == ["as_of", "counts", "summary", "obligations", "issues"]
    assert body["summary"] == {
        "obligations": 0,
        "met": 0,
        "breached": 0,
        "pending": 0,
        "not-assessable": 0,
    }

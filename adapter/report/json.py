"""`--format json`: the one object of rules.md §7."""

from __future__ import annotations

import orjson

from adapter.model import Result


def render(result: Result) -> bytes:
    return orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2) + b"\n"

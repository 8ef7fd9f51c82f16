"""`--format json`: the one object of rules.md §7.

Written piece by piece, one obligation at a time, so a run with a million obligations never
holds the whole document in memory; the bytes are those of one `orjson.dumps` with 2-space
indentation.
"""

from __future__ import annotations

import io
from typing import IO

import orjson

from adapter.model import Result

_INDENT = orjson.OPT_INDENT_2


def render(result: Result) -> bytes:
    buffer = io.BytesIO()
    write(result, buffer)
    return buffer.getvalue()


def write(result: Result, stream: IO[bytes]) -> None:
    head = result.to_json_head()
    stream.write(b"{\n")
    for key, value in head.items():
        stream.write(_member(key, value) + b",\n")
    stream.write(b'  "obligations": [')
    for index, obligation in enumerate(result.obligations):
        stream.write(b",\n    " if index else b"\n    ")
        stream.write(_indented(orjson.dumps(obligation.to_json(), option=_INDENT), 4))
    stream.write(b"\n  ],\n" if result.obligations else b"],\n")
    tail = result.to_json_tail()
    for position, (key, value) in enumerate(tail.items()):
        last = position == len(tail) - 1
        stream.write(_member(key, value) + (b"\n" if last else b",\n"))
    stream.write(b"}\n")


def _member(key: str, value: object) -> bytes:
    return b"  " + orjson.dumps(key) + b": " + _indented(orjson.dumps(value, option=_INDENT), 2)


def _indented(text: bytes, spaces: int) -> bytes:
    return text.replace(b"\n", b"\n" + b" " * spaces)

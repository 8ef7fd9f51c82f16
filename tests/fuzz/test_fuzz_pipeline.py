"""The fuzz harness over the readers, the translators, the rules and every output format
(issue 15): whatever is sent, nothing crashes, nothing is lost, every format renders, and
the FHIR XML report reads back. Bounded in CI; REFEREE_FUZZ_EXAMPLES=20000 for a long run.
"""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from adapter.engine import check, evaluate
from adapter.ingest import read_bytes
from adapter.ingest.items import Received, Refused, Unreadable
from adapter.model import Location, Result
from adapter.report import FORMATS, renderer
from tests.fuzz.hostile import FUZZ, mutated_scenarios

AS_OF = datetime(2024, 6, 1, tzinfo=UTC)


def balanced(result: Result) -> None:
    counts = result.counts
    assert counts.received == counts.accepted + counts.rejected


def every_format_renders(result: Result) -> None:
    for name in FORMATS:
        out = renderer(name)(result)
        assert isinstance(out, bytes)
    back = evaluate([(_xml_back(renderer("fhir-xml")(result)), Location(file="report"))])
    balanced(back)


def _xml_back(data: bytes) -> dict[str, Any]:
    from adapter.xml import fhir_xml_to_json, parse_xml_bytes

    value: dict[str, Any] = fhir_xml_to_json(parse_xml_bytes(data))
    return value


@given(document=mutated_scenarios())
@FUZZ
def test_a_mutated_scenario_never_crashes_and_every_format_renders(document: Any) -> None:
    try:
        data = orjson.dumps(document)
    except (orjson.JSONEncodeError, TypeError):
        return  # not JSON at all (a lone surrogate, nesting orjson refuses to write)
    items = list(read_bytes(data, "fuzz.json"))
    assert all(isinstance(i, Received | Refused | Unreadable) for i in items)
    for validate in ("rules", "full"):
        result = evaluate(
            [(orjson.loads(data), Location(file="fuzz.json"))], as_of=AS_OF, validate=validate
        )
        balanced(result)
    every_format_renders(result)


PREFIXES = (b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\x00", b"<")


@given(
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=200),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32", "latin-1"]),
    document=mutated_scenarios(mutations=1),
)
@FUZZ
def test_bytes_in_any_encoding_never_crash_the_reader(
    prefix: bytes, body: bytes, encoding: str, document: Any, tmp_path_factory: Any
) -> None:
    try:
        text = orjson.dumps(document).decode()
        encoded = text.encode(encoding)
    except (orjson.JSONEncodeError, TypeError, UnicodeEncodeError):
        encoded = b""
    folder = tmp_path_factory.mktemp("fuzz")
    for index, data in enumerate((prefix + body, encoded, prefix + encoded[:100])):
        path = folder / f"{index}.json"
        path.write_bytes(data)
        result = check([path], as_of=AS_OF)
        balanced(result)

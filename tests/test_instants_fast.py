"""`parse_instant` reads the common `...Z` / `...+00:00` shape with `datetime.fromisoformat`
and everything else with the FHIR regex: both give the same answer on every string, and
`latest_instant` answers None for any string with a time, as the regex does."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from adapter.instants import _DATETIME, _parse_instant, latest_instant, parse_instant

EDGES = [
    "2025-11-29T15:28:23Z",
    "2025-11-29T15:28:23+00:00",
    "2025-11-29T23:59:59Z",
    "2025-11-29T24:00:00Z",
    "2025-11-29T15:28:60Z",
    "2025-11-29T15:60:00Z",
    "2025-02-29T10:00:00Z",
    "2024-02-29T10:00:00Z",
    "2025-02-30T10:00:00Z",
    "2025-13-01T10:00:00Z",
    "2025-00-01T10:00:00Z",
    "2025-01-00T10:00:00Z",
    "1799-12-31T23:59:59Z",
    "1800-01-01T00:00:00Z",
    "8999-12-31T23:59:59Z",
    "9000-01-01T00:00:00Z",
    "2025-11-29 15:28:23Z",
    "2025-11-29t15:28:23Z",
    "2025-11-29T15:28:23z",
    "2025-11-29T15:28:23-00:00",
    "2025-11-29T15:28:23+01:00",
    "2025-11-29T15:28:23+00:0Z",
    "２０２５-11-29T15:28:23Z",
    "2025-11-29T1５:28:23Z",
    "+025-11-29T15:28:23Z",
    "2025-1-129T15:28:23Z",
    "2025-11-29T15:28:2.Z",
    "2025-11-29T15:28:23.5Z",
    "2025-11-29",
    "2025-11",
    "2025",
    "",
]


def test_edges_read_as_the_regex_reads_them() -> None:
    for text in EDGES:
        assert parse_instant(text) == _parse_instant(text), text
        fast, slow = parse_instant(text), _parse_instant(text)
        if fast is not None and slow is not None:
            assert fast.utcoffset() == slow.utcoffset()


def test_every_field_at_its_bounds() -> None:
    years, months, days = (
        ["1799", "1800", "2025", "8999", "9000"],
        ["00", "01", "12", "13"],
        [
            "00",
            "28",
            "29",
            "30",
            "31",
            "32",
        ],
    )
    clocks = ["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "19:99:99"]
    for y, m, d, c, z in itertools.product(years, months, days, clocks, ["Z", "+00:00"]):
        text = f"{y}-{m}-{d}T{c}{z}"
        assert parse_instant(text) == _parse_instant(text), text


@given(st.text(alphabet="0123456789-:TZ+.z ", min_size=18, max_size=27))
def test_any_string_of_those_characters(text: str) -> None:
    assert parse_instant(text) == _parse_instant(text)


@given(st.text(alphabet="0123456789-:TZ+.", max_size=30))
def test_latest_instant_is_none_for_any_time(text: str) -> None:
    """Its shortcut's premise: the FHIR regex matches a T only as the start of a time."""
    if "T" in text:
        match = _DATETIME.fullmatch(text)
        assert match is None or match["t"] is not None
        assert latest_instant(text) is None

"""Hostile FHIR for the fuzz harness: real scenario resources (the golden fixtures) with one
value somewhere replaced by something an attacker would send. Random JSON rarely gets past
the first type check; a mutated real letter or prescription reaches the translators, the
linker, the rules and every output format.

REFEREE_FUZZ_EXAMPLES sets the examples per property (CI: the default below; a long run:
REFEREE_FUZZ_EXAMPLES=20000).
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("REFEREE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@cache
def scenarios() -> tuple[str, ...]:
    """Every JSON input of the golden rule cases, as text (so each example starts from a
    copy); picked as every test picks fixture inputs (tests/cases.py)."""
    from cases import CASES, FIXTURES, inputs

    found = [p for case in CASES if FIXTURES in case.parents for p in inputs(case)]
    return tuple(path.read_text() for path in found if path.suffix == ".json")


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"coding": [value]} if depth % 2 else [value]
    return value


EXTREMES: tuple[Any, ...] = (
    0,
    -1,
    -5,
    2**31,
    2**63 - 1,
    -(2**63),
    1e300,
    -1e300,
    5e-324,
    1e-10,
    0.1,
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59+14:00",
    "1800-01-01T00:00:00-12:00",
    "8999-12-31",
    "2024-02-30",
    "2024-03-01T24:00:00Z",
    "",
    " ",
    "\u0000",
    "R\u0001",
    "\ud7ff\ufffe",
    "A" * 5000,
    "a@" * 2000,
    "9" * 70,
    '<div xmlns="http://www.w3.org/1999/xhtml">' + "A" * 20_000 + "</div>",
    '<div xmlns="http://www.w3.org/1999/xhtml"><p>GP to refer urgently; 0113 123 4567</p></div>',
    "<div><!DOCTYPE x [<!ENTITY a 'b'>]>&a;</div>",
    [],
    {},
    [None],
    {"reference": ["Patient/pat-1"]},
    {"reference": "Patient/pat-1", "type": ["Patient"]},
    {"value": 1e300, "code": "d"},
    {"value": -5, "code": "d"},
    {"value": 5e-324, "unit": "s"},
    {"start": "9999-12-31", "end": "9999-12-31T23:59:59Z"},
    _nested(30),
    _nested(70),
)
HOSTILE = (
    st.sampled_from(EXTREMES)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50)
)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `value`."""
    out = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _places(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _places(child, (*path, index))
    return out


@st.composite
def mutated_scenarios(draw: st.DrawFn, mutations: int = 2) -> Any:
    """A golden scenario with up to `mutations` values replaced by hostile ones."""
    document = json.loads(draw(st.sampled_from(scenarios())))
    for _ in range(draw(st.integers(1, mutations))):
        place = draw(st.sampled_from(_places(document)))
        parent = document
        for step in place[:-1]:
            parent = parent[step]
        parent[place[-1]] = copy.deepcopy(draw(HOSTILE))
    return document

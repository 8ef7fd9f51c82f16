"""Every limit on hostile input, in one place (docs/contract.md §9).

Sizes bound what is parsed at all; nesting bounds what recursive code (validation, the
store's serialiser, error messages) may meet; dates and amounts bound what the rules do
arithmetic on, so that a value FHIR allows but no letter or prescription can mean is a
located rejection instead of an overflow. JSON and FHIR XML meet the same limits: XML is
converted to FHIR JSON first and checked there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

MAX_DOCUMENT_BYTES: Final = 256 * 1024 * 1024  # one JSON or XML document, parsed whole
MAX_LINE_BYTES: Final = 32 * 1024 * 1024  # one NDJSON line (NDJSON is streamed)
MAX_BUNDLE_DEPTH: Final = 64  # Bundles inside Bundles
# JSON levels (objects and arrays) inside one resource. A deep Questionnaire item tree is
# about 20; the store's serialiser stops at 255 and validation recurses per level.
MAX_NESTING: Final = 64
# Calendar years a date or instant may fall in: every deadline a rule adds (days, at most a
# policy's schedule) stays inside Python's datetime range, and nothing clinical is older.
EARLIEST_YEAR: Final = 1800
LATEST_YEAR: Final = 8999
# The decimals and integers the rules read are amounts (doses, quantities, periods,
# frequencies, supply durations): never negative, never astronomically large, and a
# non-zero one never so small that dividing by it overflows.
MAX_AMOUNT: Final = 1e9
# What the store's columns hold, the same on SQLite and PostgreSQL (PostgreSQL refuses longer
# values, and NUL in any text, with a 500 where SQLite took them): a resource with a longer
# versionId, reference, identifier or fullUrl, an ODS code over 64 characters or a NUL
# anywhere is a located rejection before the database sees it.
MAX_VERSION_ID: Final = 64  # FHIR `id` type
MAX_TOKEN: Final = 2048  # a reference, fullUrl or identifier system|value
MAX_CODE: Final = 64  # an ODS code (an obligation's owner or owed_to)

# Attributes on one XML element: FHIR uses at most value, id and url (namespace declarations
# are not attributes); lxml lists attributes in time quadratic in their number.
MAX_XML_ATTRIBUTES: Final = 16
MIN_NONZERO_AMOUNT: Final = 1e-9


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits. A single JSON or XML document is parsed whole, so it is bounded; NDJSON
    is streamed line by line, so only a line is."""

    max_document_bytes: int = MAX_DOCUMENT_BYTES
    max_line_bytes: int = MAX_LINE_BYTES
    max_depth: int = MAX_BUNDLE_DEPTH  # Bundles inside Bundles
    max_nesting: int = MAX_NESTING


def too_deep(value: Any, limit: int = MAX_NESTING) -> str | None:
    """The FHIR path of the first place `value` nests deeper than `limit` JSON levels, or
    None. Iterative, so that the check itself cannot overflow the stack; paths are built
    only for a value found too deep (the common case is a few µs per resource)."""
    return _path_deeper_than(value, limit) if deeper_than(value, limit) else None


def deeper_than(value: Any, limit: int) -> bool:
    """Does `value` nest objects/arrays more than `limit` deep?"""
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, level = pop()
        if level > limit:
            return True
        below = level + 1
        for child in node.values() if type(node) is dict else node:
            if type(child) is dict or type(child) is list:
                push((child, below))
    return False


def _path_deeper_than(value: Any, limit: int) -> str:
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        node, level, path = stack.pop()
        if level > limit:
            return path or "(root)"
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(child, dict | list):
                step = f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
                stack.append((child, level + 1, path + step))
    return "(root)"


def year_in_range(day: date) -> bool:
    return EARLIEST_YEAR <= day.year <= LATEST_YEAR


def amount_problem(value: float) -> str | None:
    """Why a number cannot be an amount the rules compute with, or None when it can."""
    if value != value or value in (float("inf"), float("-inf")):
        return "a finite number"
    if value < 0:
        return "zero or more"
    if value > MAX_AMOUNT:
        return f"at most {MAX_AMOUNT:g}"
    if 0 < value < MIN_NONZERO_AMOUNT:
        return f"zero or at least {MIN_NONZERO_AMOUNT:g}"
    return None


# The service: a client has this long to send a request's headers (from connecting, or from
# the previous answer on a kept-alive connection) and then its whole body; a slow or silent
# client is disconnected instead of holding a connection (REFEREE_HEADER_TIMEOUT and
# REFEREE_BODY_TIMEOUT, in seconds, override them).
HEADER_TIMEOUT_SECONDS: Final = 10.0
BODY_TIMEOUT_SECONDS: Final = 60.0
# CPU a request may spend reading its body (decoding, parsing, XML to JSON) and on
# `$evaluate`, which store nothing: past it the answer is 413 instead of a stall
# (REFEREE_REQUEST_BUDGET, in seconds). The thread is not killed, but the client is
# answered and nothing was written.
REQUEST_BUDGET_SECONDS: Final = 30.0

"""FHIR search values matched against a resource's JSON (R4 search.html): dates with the
prefixes eq, ne, lt, le, gt, ge over the ranges a date, dateTime, instant or Period means;
references by `Type/id`, `id`, absolute URL or a logical reference's identifier; tokens
by code or `system|code`. A comma in a value means any of them; a parameter given twice
means both.

Element paths are top-level names, with `a.b` reaching into an object or each item of a
list (`participant.actor`, `context.encounter`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from adapter.api.outcomes import problem
from adapter.instants import latest_instant, parse_instant

_EARLIEST, _LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
Range = tuple[datetime, datetime]  # first and last instant, both inclusive
Matcher = Callable[[dict[str, Any]], bool]
_PREFIXED = re.compile(r"(eq|ne|lt|le|gt|ge)?(.+)")
_TYPED = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


def values_at(resource: Any, path: str) -> Iterator[Any]:
    """Every value at `path` (lists opened at each step)."""
    head, _, rest = path.partition(".")
    items = resource if isinstance(resource, list) else [resource]
    for item in items:
        if not isinstance(item, dict) or head not in item:
            continue
        value = item[head]
        if rest:
            yield from values_at(value, rest)
        elif isinstance(value, list):
            yield from value
        else:
            yield value


def date_range(text: str) -> Range | None:
    """The instants a FHIR date, dateTime or instant means (a day, month or year when given
    only to that precision; a dateTime to the second)."""
    start = parse_instant(text)
    if start is None:
        return None
    last = latest_instant(text)
    if last is None:
        last = start.replace(microsecond=999_999) if start.microsecond == 0 else start
    return start, last


def _ranges(value: Any) -> Iterator[Range]:
    if isinstance(value, str):
        found = date_range(value)
        if found:
            yield found
    elif isinstance(value, dict):  # a Period: an open end is unbounded
        start = date_range(value["start"]) if isinstance(value.get("start"), str) else None
        end = date_range(value["end"]) if isinstance(value.get("end"), str) else None
        if start or end:
            yield (start[0] if start else _EARLIEST), (end[1] if end else _LATEST)


def date_matcher(name: str, raw: str, paths: tuple[str, ...]) -> Matcher:
    """`date=ge2024-03-01` and its kind: any of the comma-separated values, each compared
    by its prefix (default eq) with any date at `paths`."""
    tests = []
    for part in raw.split(","):
        match = _PREFIXED.fullmatch(part.strip())
        wanted = date_range(match[2]) if match else None
        if match is None or wanted is None:
            raise problem(
                400,
                "value",
                f"{name} must be a FHIR date or dateTime, optionally after eq, ne, lt, le, gt "
                f"or ge (got {part.strip()!r})",
                name,
            )
        tests.append((match[1] or "eq", wanted))

    def matches(resource: dict[str, Any]) -> bool:
        targets = [r for path in paths for v in values_at(resource, path) for r in _ranges(v)]
        return any(_compare(prefix, wanted, t) for prefix, wanted in tests for t in targets)

    return matches


def _compare(prefix: str, wanted: Range, target: Range) -> bool:
    (s0, s1), (t0, t1) = wanted, target
    within = s0 <= t0 and t1 <= s1  # the search range holds the target's
    return {
        "eq": within,
        "ne": not within,
        "lt": t0 < s0,
        "le": t0 <= s1,
        "gt": t1 > s1,
        "ge": t1 >= s0,
    }[prefix]


def reference_matcher(name: str, raw: str, paths: tuple[str, ...], kind: str | None) -> Matcher:
    """`patient=Patient/p1` (or `p1`, an absolute URL, or `system|value` / a bare value of a
    logical reference's identifier); `kind` is the type a bare id must be."""
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    if not wanted:
        raise problem(400, "value", f"{name} must name a reference (got {raw!r})", name)

    def one(ref: Any) -> bool:
        if not isinstance(ref, dict):
            return False
        text = ref.get("reference")
        typed = _TYPED.search(text) if isinstance(text, str) else None
        ident = ref.get("identifier")
        token = None
        if isinstance(ident, dict) and isinstance(ident.get("value"), str):
            token = f"{ident.get('system', '')}|{ident['value']}"
        for value in wanted:
            if typed is not None and (kind is None or typed[1] == kind):
                asked = _TYPED.search(value)
                if (asked and (asked[1], asked[2]) == (typed[1], typed[2])) or value == typed[2]:
                    return True
            elif isinstance(text, str) and value == text:  # urn:uuid:..., #contained
                return True
            if token is not None and (value == token or value == token.partition("|")[2]):
                return True
        return False

    return lambda resource: any(one(r) for path in paths for r in values_at(resource, path))


def token_matcher(name: str, raw: str, paths: tuple[str, ...]) -> Matcher:
    """`status=finished` (or `system|code`): a code at `paths` equal to any value."""
    wanted = {part.strip().rpartition("|")[2] for part in raw.split(",") if part.strip()}
    if not wanted:
        raise problem(400, "value", f"{name} must name a code (got {raw!r})", name)
    return lambda resource: any(
        v in wanted for path in paths for v in values_at(resource, path) if isinstance(v, str)
    )


def matcher(
    name: str, kind_of: str, raw: str, paths: tuple[str, ...], target: str | None
) -> Matcher:
    """The test one search parameter's value makes of a resource."""
    if kind_of == "date":
        return date_matcher(name, raw, paths)
    if kind_of == "reference":
        return reference_matcher(name, raw, paths, target)
    return token_matcher(name, raw, paths)

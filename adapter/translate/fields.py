"""Typed access to the fields a rule reads, collecting every problem in a resource.

A translator reads through one `Fields`; when it has finished, `problems` lists each field
with the wrong FHIR datatype or cardinality, or a required element that is missing, and the
resource is rejected with all of them at once (style.md "Errors").
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from adapter.facts import Concept, Head, Ref
from adapter.ingest.unpack import resource_key
from adapter.instants import latest_instant, parse_date, parse_instant
from adapter.limits import EARLIEST_YEAR, LATEST_YEAR, amount_problem
from adapter.model import Location
from adapter.scopes import bundle_scope, scoped
from adapter.verhoeff import snomed_id_valid

JSON = dict[str, Any]

# Resource types whose `identifier` is 0..1 in R4 (a single object, not an array).
SINGLE_IDENTIFIER = frozenset({"Composition", "Bundle", "QuestionnaireResponse"})


SNOMED = "http://snomed.info/sct"


class Fields:
    def __init__(
        self,
        resource: JSON,
        location: Location,
        full_url: str | None,
        sent_type: str = "",
        *,
        message: str | None = None,
        aliases: dict[str, str] | None = None,
        scope: str | None = None,
    ) -> None:
        self.resource = resource
        self.message = message
        self.sent_type = sent_type  # the type as sent, when up-converted (STU3 ReferralRequest)
        self.location = location
        self.full_url = full_url
        self.problems: list[tuple[str, str]] = []  # (FHIR path, message)
        self.warnings: list[tuple[str, str]] = []  # accepted, but said (docs/contract.md §5)
        self.aliases = aliases or {}  # identifier system seen in the wild → the right one
        # where this resource's urn:uuid references resolve
        self.scope = scope if scope is not None else bundle_scope(location)

    # -- reporting --------------------------------------------------------------------------

    def bad(self, path: str, expected: str, found: Any, hint: str = "") -> None:
        shown = _show(found)
        message = f"{path} must be {expected} (got {shown})"
        self.problems.append((path, f"{message}; {hint}" if hint else message))

    def missing(self, path: str, hint: str) -> None:
        self.problems.append((path, f"{path} is required here and missing; {hint}"))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append((path, message))

    # -- shapes -----------------------------------------------------------------------------

    def obj(self, parent: JSON, key: str, path: str) -> JSON | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.bad(path, "an object", value)
            return None
        return value

    def objects(self, parent: JSON, key: str, path: str) -> list[JSON]:
        """A 0..* element of complex type: a JSON array of objects."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad(path, "an array (0..* in FHIR R4)", value)
            return []
        out = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                out.append(item)
            else:
                self.bad(f"{path}[{index}]", "an object", item)
        return out

    # -- primitives -------------------------------------------------------------------------

    def string(self, parent: JSON, key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.bad(path, "a string", value)
            return None
        return value

    def code(self, parent: JSON, key: str, path: str, required: str = "") -> str | None:
        value = self.string(parent, key, path)
        if value is None and required and key not in parent:
            self.missing(path, required)
        return value

    def instant(self, parent: JSON, key: str, path: str) -> datetime | None:
        value = self.string(parent, key, path)
        if value is None:
            return None
        parsed = parse_instant(value)
        if parsed is None:
            self.bad(path, _expected("a FHIR dateTime such as 2024-03-01T10:30:00Z", value), value)
        return parsed

    def latest(self, parent: JSON, key: str) -> datetime | None:
        """For a date given only to the day, month or year, the last instant it may mean
        (read after `instant`, which reports a bad value)."""
        value = parent.get(key)
        return latest_instant(value) if isinstance(value, str) else None

    def date(self, parent: JSON, key: str, path: str) -> date | None:
        value = self.string(parent, key, path)
        if value is None:
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.bad(path, _expected("a FHIR date such as 1970-01-31", value), value)
        return parsed

    def decimal(self, parent: JSON, key: str, path: str) -> float | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.bad(path, "a JSON number (FHIR decimal)", value, "send a number without quotes")
            return None
        return self._amount(path, float(value))

    def integer(self, parent: JSON, key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(path, "a JSON integer", value)
            return None
        return None if self._amount(path, float(value)) is None else value

    def _amount(self, path: str, value: float) -> float | None:
        """Every number a rule reads is an amount (adapter.limits): bounded before any
        arithmetic, so 1e300 days or a period of 5e-324 s is a located rejection."""
        problem = amount_problem(value)
        if problem is None:
            return value
        self.bad(path, problem, value)
        return None

    # -- FHIR datatypes ---------------------------------------------------------------------

    def concept(self, parent: JSON, key: str, path: str) -> Concept | None:
        value = self.obj(parent, key, path)
        return None if value is None else self._concept(value, path)

    def concepts(self, parent: JSON, key: str, path: str) -> tuple[Concept, ...]:
        items = self.objects(parent, key, path)
        return tuple(self._concept(item, f"{path}[{i}]") for i, item in enumerate(items))

    def _concept(self, value: JSON, path: str) -> Concept:
        codings = []
        for index, coding in enumerate(self.objects(value, "coding", f"{path}.coding")):
            where = f"{path}.coding[{index}]"
            system = _shared(self.string(coding, "system", f"{where}.system"))
            code = _shared(self.string(coding, "code", f"{where}.code"))
            if system == SNOMED and code is not None:
                self._check_snomed(code, f"{where}.code")
            codings.append(
                (system, code, _shared(self.string(coding, "display", f"{where}.display")))
            )
        return Concept(tuple(codings), _shared(self.string(value, "text", f"{path}.text")))

    def _check_snomed(self, code: str, path: str) -> None:
        if code.isdigit() and not _snomed_ok(code):
            self.warn(
                path,
                f"SNOMED CT code {code} fails the Verhoeff check digit, so it is not a SNOMED "
                "CT identifier (mistyped?); it is read as given and matches no table",
            )

    def coding(self, parent: JSON, key: str, path: str) -> tuple[str | None, str | None] | None:
        value = self.obj(parent, key, path)
        if value is None:
            return None
        return self.string(value, "system", f"{path}.system"), self.string(
            value, "code", f"{path}.code"
        )

    def ref(self, parent: JSON, key: str, path: str) -> Ref | None:
        value = self.obj(parent, key, path)
        return None if value is None else self._ref(value, path)

    def refs(self, parent: JSON, key: str, path: str) -> tuple[Ref, ...]:
        items = self.objects(parent, key, path)
        return tuple(self._ref(item, f"{path}[{i}]") for i, item in enumerate(items))

    def _ref(self, value: JSON, path: str) -> Ref:
        identifier = self.obj(value, "identifier", f"{path}.identifier") or {}
        reference = self.string(value, "reference", f"{path}.reference")
        system = self.string(identifier, "system", f"{path}.identifier.system")
        return Ref(
            reference=_shared(scoped(reference, self.scope)),
            system=_shared(self._system(system, f"{path}.identifier.system")),
            value=self.string(identifier, "value", f"{path}.identifier.value"),
            type=_shared(self.string(value, "type", f"{path}.type")),
        )

    def scoped_ref(self, ref: Ref) -> Ref:
        """A reference read outside `ref`/`refs`, tied to this resource's Bundle."""
        return Ref(scoped(ref.reference, self.scope), ref.system, ref.value, ref.type)

    def _system(self, system: str | None, path: str) -> str | None:
        """The identifier system, with a legacy or mis-cased one read as the right one and
        a warning naming it (docs/contract.md §5)."""
        right = self.aliases.get(system) if system else None
        if right is None:
            return system
        self.warn(path, f"identifier system {system!r} is read as {right!r}; send {right}")
        return right

    def quantity(
        self, parent: JSON, key: str, path: str
    ) -> tuple[float | None, str | None, str | None] | None:
        """(value, UCUM code, unit text) of a Quantity/Duration."""
        value = self.obj(parent, key, path)
        if value is None:
            return None
        return (
            self.decimal(value, "value", f"{path}.value"),
            self.string(value, "code", f"{path}.code"),
            self.string(value, "unit", f"{path}.unit"),
        )

    def has_telecom(self, parent: JSON, path: str) -> bool:
        """A phone or email ContactPoint with a value (for point-of-contact)."""
        for index, point in enumerate(self.objects(parent, "telecom", f"{path}telecom")):
            system = self.string(point, "system", f"{path}telecom[{index}].system")
            value = self.string(point, "value", f"{path}telecom[{index}].value")
            if system in ("phone", "email") and value:
                return True
        return False

    def head(self) -> Head:
        resource = self.resource
        kind = self.sent_type or str(resource["resourceType"])
        self.string(resource, "id", "id")  # type-checked: a non-string id rejects it
        identifiers = []
        if kind in SINGLE_IDENTIFIER and isinstance(resource.get("identifier"), dict):
            listed = [resource["identifier"]]
        else:
            listed = self.objects(resource, "identifier", "identifier")
        for index, ident in enumerate(listed):
            system = self._system(
                self.string(ident, "system", f"identifier[{index}].system"),
                f"identifier[{index}].system",
            )
            value = self.string(ident, "value", f"identifier[{index}].value")
            if system and value:
                identifiers.append((sys.intern(system), value))
        meta = self.obj(resource, "meta", "meta") or {}
        version = self.string(meta, "versionId", "meta.versionId")
        key = resource_key(resource, self.full_url, kind) or f"{kind}@{self.location.describe()}"
        if key == self.location.resource:  # unpack's label: share the one string in memory
            key = self.location.resource
        url = scoped(self.full_url, self.scope)
        return Head(kind, key, url, tuple(identifiers), self.location, version, self.message)

    def extension_codes(
        self, parent: JSON, url: str, path: str
    ) -> list[tuple[str | None, str | None]]:
        """The codings carried (at any depth) by extensions with `url` on `parent`."""
        found: list[tuple[str | None, str | None]] = []
        for ext in self.objects(parent, "extension", f"{path}extension"):
            if ext.get("url") != url:
                continue
            found.extend(_codings_in(ext))
        return found


@lru_cache(maxsize=65_536)
def _snomed_ok(code: str) -> bool:
    return snomed_id_valid(code)


def _shared(text: str | None) -> str | None:
    """One copy of a short, much-repeated string (code systems, codes, displays): the
    parser makes a new one per resource, and a run keeps millions of facts."""
    if text is None or len(text) > _SHARE_LIMIT:
        return text
    return sys.intern(text)


_SHARE_LIMIT = 200


def _expected(what: str, value: str) -> str:
    """What a date field must hold; the year range is named when the year is what is wrong."""
    year = value[:4]
    if year.isdigit() and not EARLIEST_YEAR <= int(year) <= LATEST_YEAR:
        return f"{what}, in the years {EARLIEST_YEAR} to {LATEST_YEAR}"
    return what


def _codings_in(value: Any) -> list[tuple[str | None, str | None]]:
    """Every (system, code) inside an extension, whatever value[x] or nesting it uses."""
    out: list[tuple[str | None, str | None]] = []
    if isinstance(value, dict):
        if isinstance(value.get("code"), str) and ("system" in value or "display" in value):
            system = value.get("system")
            out.append((system if isinstance(system, str) else None, value["code"]))
        for child in value.values():
            out.extend(_codings_in(child))
    elif isinstance(value, list):
        for child in value:
            out.extend(_codings_in(child))
    return out


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value[:60])
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return repr(value)

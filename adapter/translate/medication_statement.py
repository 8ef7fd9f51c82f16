"""MedicationStatement → MedicationUse, and List → ListFact: how Transfer of Care discharge
documents carry the medicines on discharge (docs/contract.md §7).
Profiles: https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationStatement,
https://fhir.hl7.org.uk/StructureDefinition/UKCore-List (R4 shapes; STU3 CareConnect-ITK
resources arrive here up-converted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapter.facts import Concept, ListEntry, ListFact, MedicationUse, Supply
from adapter.instants import parse_instant
from adapter.policy import Policy
from adapter.supply import course_days
from adapter.translate.dosage import dosage_lines
from adapter.translate.fields import Fields
from adapter.translate.medication_request import medicine_name

JSON = dict[str, Any]
# R4 MedicationStatement has no dispense element: its supply comes from the MedicationRequest
# it is based on (the rule looks that up), else it is unknown.
NO_SUPPLY = (
    "the MedicationStatement gives no quantity or supply duration (R4 MedicationStatement "
    "has no dispenseRequest) and is based on no MedicationRequest that was read"
)


def medication_statement_to_use(f: Fields, policy: Policy) -> MedicationUse:
    r = f.resource
    status = f.code(
        r, "status", "status", required="send the MedicationStatement status, e.g. active"
    )
    category = f.concept(r, "category", "category")
    lines = dosage_lines(f, r, "dosage")
    return MedicationUse(
        head=f.head(),
        status=status or "",
        categories=(category,) if category else (),
        changes=_changes(f, r, policy),
        based_on=f.refs(r, "basedOn", "basedOn") + f.refs(r, "derivedFrom", "derivedFrom"),
        context=f.ref(r, "context", "context"),
        patient=f.ref(r, "subject", "subject"),
        source=f.ref(r, "informationSource", "informationSource"),
        supply=Supply(None, NO_SUPPLY),
        course_days=course_days(lines),
        medicine=medicine_name(f, r),
        medication=f.ref(r, "medicationReference", "medicationReference"),
        asserted=_asserted(r),
    )


def _asserted(r: JSON) -> datetime | None:
    """`dateAsserted`, else `effectiveDateTime`, else `effectivePeriod.start`: read leniently,
    as only the board dates by it (a rule never does)."""
    period = r.get("effectivePeriod")
    start = period.get("start") if isinstance(period, dict) else None
    for value in (r.get("dateAsserted"), r.get("effectiveDateTime"), start):
        instant = parse_instant(value) if isinstance(value, str) else None
        if instant is not None:
            return instant
    return None


def _changes(f: Fields, r: JSON, policy: Policy) -> tuple[Concept, ...]:
    """The change status (codes and value codes) of any change-summary extension."""
    words = policy.codes["medication-change-extension-words"]
    found: list[Concept] = []
    for ext in f.objects(r, "extension", "extension"):
        url = ext.get("url")
        if isinstance(url, str) and any(w in url.lower() for w in words):
            found.extend(Concept(((s, c, None),)) for s, c in f.extension_codes(r, url, ""))
            found.extend(Concept((), text) for text in _value_codes(ext))
    return tuple(found)


def _value_codes(value: Any) -> list[str]:
    """Every `valueCode`/`valueString` inside an extension (the CareConnect `status`)."""
    out: list[str] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if key in ("valueCode", "valueString") and isinstance(child, str):
                out.append(child)
            else:
                out.extend(_value_codes(child))
    elif isinstance(value, list):
        for child in value:
            out.extend(_value_codes(child))
    return out


def list_to_list(f: Fields, policy: Policy) -> ListFact:
    r = f.resource
    status = f.code(r, "status", "status", required="send the List status, e.g. current")
    entries = []
    for index, entry in enumerate(f.objects(r, "entry", "entry")):
        item = f.ref(entry, "item", f"entry[{index}].item")
        if item is None:
            f.missing(f"entry[{index}].item", "send a reference to the listed resource")
            continue
        if entry.get("deleted") is True:
            continue  # R4: the item was removed from the list
        entries.append(ListEntry(item, f.concept(entry, "flag", f"entry[{index}].flag")))
    return ListFact(
        head=f.head(),
        status=status or "",
        code=f.concept(r, "code", "code"),
        encounter=f.ref(r, "encounter", "encounter"),
        entries=tuple(entries),
    )

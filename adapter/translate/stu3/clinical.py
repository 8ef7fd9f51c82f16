"""Encounter and Composition (STU3) → R4.

Encounter: http://hl7.org/fhir/STU3/encounter.html (`reason` → `reasonCode`,
`incomingReferral` → `basedOn`). Composition: http://hl7.org/fhir/STU3/composition.html
(`class` → `category`); every other field read has the same name and shape.
"""

from __future__ import annotations

from adapter.translate.stu3.common import JSON, Renames, move


def encounter(resource: JSON) -> tuple[JSON, Renames]:
    out = dict(resource)
    renames: Renames = {}
    move(out, renames, "reason", "reasonCode")
    move(out, renames, "incomingReferral", "basedOn")
    return out, renames


def composition(resource: JSON) -> tuple[JSON, Renames]:
    out = dict(resource)
    renames: Renames = {}
    if isinstance(out.get("class"), dict) and "category" not in out:
        out["category"] = [out.pop("class")]
        renames["category[0]"] = "class"
    return out, renames

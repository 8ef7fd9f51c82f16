"""A share of the synthetic traffic written in STU3, as Transfer of Care (ITK3) senders
write it: the inverse of `adapter/translate/stu3/` for the resources the letter and
medicine rules read (docs/contract.md §1), so that `referee check` must up-convert them.

Which resources: Encounter, Composition and MedicationRequest whose id hashes under the
share (no random draw is spent, so the rest of the traffic is the same as without it).
A resource whose R4 shape has no STU3 form (two categories, two doseAndRate entries) stays
R4. Each carries an STU3 CareConnect/ITK profile, the marker `adapter/version.py` reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

JSON = dict[str, Any]

PROFILES = {
    "Encounter": "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-ITK-Encounter-1",
    "Composition": "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-ITK-Composition-1",
    "MedicationRequest": "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
    "CareConnect-MedicationRequest-1",
}


def picked(resource: JSON, share: float) -> bool:
    """Is this resource one of the `share` written as STU3 (by a hash of its id)?"""
    if share <= 0 or resource.get("resourceType") not in PROFILES:
        return False
    digest = hashlib.sha256(str(resource.get("id")).encode()).digest()
    return int.from_bytes(digest[:4], "big") < share * 2**32


def to_stu3(resource: JSON) -> JSON:
    """The STU3 form of a synthetic R4 resource, or the resource unchanged when its R4
    shape has none."""
    convert = _DOWN[str(resource["resourceType"])]
    out = convert(dict(resource))
    if out is None:
        return resource
    meta = dict(out.get("meta") or {})
    meta["profile"] = [PROFILES[str(resource["resourceType"])]]
    out["meta"] = meta
    return out


def _encounter(r: JSON) -> JSON | None:
    _move(r, "reasonCode", "reason")
    _move(r, "basedOn", "incomingReferral")
    return r


def _composition(r: JSON) -> JSON | None:
    category = r.pop("category", None)
    if isinstance(category, list) and len(category) > 1:
        return None
    if category:
        r["class"] = category[0]
    return r


def _medication_request(r: JSON) -> JSON | None:
    category = r.get("category")
    if isinstance(category, list):
        if len(category) != 1:
            return None
        r["category"] = category[0]
    if "requester" in r:
        r["requester"] = {"agent": r["requester"]}
    _move(r, "encounter", "context")
    lines = []
    for line in r.get("dosageInstruction", []):
        rates = line.get("doseAndRate")
        if rates is not None and len(rates) != 1:
            return None
        rest = {k: v for k, v in line.items() if k != "doseAndRate"}
        lines.append({**rest, **(rates[0] if rates else {})})
    if "dosageInstruction" in r:
        r["dosageInstruction"] = lines
    return r


def _move(r: JSON, r4: str, stu3: str) -> None:
    if r4 in r:
        r[stu3] = r.pop(r4)


_DOWN: dict[str, Callable[[JSON], JSON | None]] = {
    "Encounter": _encounter,
    "Composition": _composition,
    "MedicationRequest": _medication_request,
}

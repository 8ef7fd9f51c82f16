"""MedicationRequest and MedicationStatement (STU3) → R4.

MedicationRequest: http://hl7.org/fhir/STU3/medicationrequest.html (`requester.agent` /
`onBehalfOf` → `requester`, one `category` → an array, `context` → `encounter`).
MedicationStatement: http://hl7.org/fhir/STU3/medicationstatement.html (`taken` dropped:
R4 has no `taken`, but `taken` = `n` becomes R4 status `not-taken`, as the R4 mapping from
STU3 does, so a medicine the patient is not taking is never judged as a supply;
`statusReason` replaces `reasonNotTaken`).
Dosage: http://hl7.org/fhir/STU3/dosage.html `dose[x]`/`rate[x]` → R4 `doseAndRate`.
"""

from __future__ import annotations

from typing import Any

from adapter.translate.stu3.common import JSON, Renames, listed, move, requester

_DOSE_KEYS = ("doseQuantity", "doseRange", "rateRatio", "rateRange", "rateQuantity")


def medication_request(resource: JSON) -> tuple[JSON, Renames]:
    out = dict(resource)
    renames: Renames = {}
    requester(out, renames)
    if isinstance(out.get("category"), dict):
        listed(out, "category")
        renames["category[0]"] = "category"
    move(out, renames, "context", "encounter")
    _dosages(out, "dosageInstruction", renames)
    return out, renames


def medication_statement(resource: JSON) -> tuple[JSON, Renames]:
    out = dict(resource)
    renames: Renames = {}
    if out.pop("taken", None) == "n" and "status" in out:
        out["status"] = "not-taken"
    move(out, renames, "reasonNotTaken", "statusReason")
    _dosages(out, "dosage", renames)
    return out, renames


def _dosages(out: JSON, key: str, renames: Renames) -> None:
    lines = out.get(key)
    if not isinstance(lines, list):
        return
    out[key] = [_dosage(line, f"{key}[{i}]", renames) for i, line in enumerate(lines)]


def _dosage(line: Any, path: str, renames: Renames) -> Any:
    """STU3 Dosage carries dose[x] and rate[x] directly; R4 puts them in doseAndRate."""
    if not isinstance(line, dict) or "doseAndRate" in line:
        return line
    held = {k: line[k] for k in _DOSE_KEYS if k in line}
    if not held:
        return line
    rest = {k: v for k, v in line.items() if k not in _DOSE_KEYS}
    for name in held:
        renames[f"{path}.doseAndRate[0].{name}"] = f"{path}.{name}"
    return {**rest, "doseAndRate": [held]}

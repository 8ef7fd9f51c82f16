"""Medicines supplied on discharge (rule 5.3) in every shape rules.md §5.3 reads: a supply
duration in days, weeks or hours; a quantity and a dose; a course shorter than seven days;
and the cases where the supply cannot be worked out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapter.synth import resources as fhir
from adapter.synth.episode import Episode

MIN_DAYS = 7
DRUGS = (
    ("39732311000001104", "Amoxicillin 500mg capsules", "capsule"),
    ("42206511000001102", "Ramipril 2.5mg tablets", "tablet"),
    ("42215611000001100", "Atorvastatin 20mg tablets", "tablet"),
    ("42109611000001109", "Paracetamol 500mg tablets", "tablet"),
    ("39720411000001109", "Lactulose 3.35g/5ml oral solution", "mL"),
)
UNITS = {"d": ("day", 1.0), "wk": ("week", 7.0), "h": ("hour", 1 / 24)}


def _duration(value: float, code: str) -> dict[str, Any]:
    return {
        "value": value,
        "unit": UNITS[code][0] + ("s" if value != 1 else ""),
        "system": fhir.UCUM,
        "code": code,
    }


def _quantity(value: float, unit: str) -> dict[str, Any]:
    if unit == "mL":
        return {"value": value, "unit": "mL", "system": fhir.UCUM, "code": "mL"}
    return {"value": value, "unit": unit}


def discharge_medicines(
    ep: Episode, eid: str, discharged: datetime, toc: bool = False
) -> list[str]:
    """Zero to three medicines on discharge; returns their lines for the letter. With `toc`,
    they are sent as Transfer of Care does: each TTO order (category inpatient) is the basis
    of a MedicationStatement in a discharge medication List, and the statement is judged."""
    lines: list[str] = []
    entries: list[dict[str, Any]] = []
    for _ in range(ep.rng.choice((0, 1, 1, 2, 3))):
        authored = discharged - timedelta(minutes=ep.rng.randint(30, 360))
        lines.append(_one(ep, eid, authored, entries if toc else None))
    if entries:
        ep.medicine_list = ep.id()
        ep.emit(fhir.medication_list(ep.medicine_list, ep.patient.ref, eid, entries))
    return lines


def _one(ep: Episode, eid: str, authored: datetime, toc: list[dict[str, Any]] | None) -> str:
    rng = ep.rng
    code, name, unit = rng.choice(DRUGS)
    category = [
        fhir.concept({"system": fhir.MR_CATEGORY, "code": "discharge", "display": "Discharge"})
    ]
    extra: dict[str, Any] = {"encounter": fhir.ref(f"Encounter/{eid}")}
    status: str | None
    roll = rng.random()
    if roll < 0.06:  # not a discharge supply the rule reads
        variant = rng.random()
        if variant < 0.4:
            extra["status"] = rng.choice(("stopped", "cancelled", "draft"))
        elif variant < 0.7:
            extra["intent"] = rng.choice(("plan", "proposal"))
        else:
            category = [
                fhir.concept(
                    {"system": fhir.MR_CATEGORY, "code": "inpatient", "display": "Inpatient"}
                )
            ]
        _supply_duration(ep, extra, breached=False)
        status = None
    elif roll < 0.14:
        _unworkable(ep, extra, unit)
        status = "not-assessable"
    else:
        breached = ep.breach("discharge-medication-7d")
        shape = rng.random()
        if shape < 0.4:
            _supply_duration(ep, extra, breached)
        elif shape < 0.8:
            _quantity_and_dose(ep, extra, unit, breached)
        else:
            _short_course(ep, extra, unit, authored, breached)
        status = "breached" if breached else "met"
        if rng.random() < 0.3:
            extra["status"] = "completed"
        if rng.random() < 0.2:
            extra["intent"] = rng.choice(("original-order", "instance-order"))
    mid = ep.id()
    requester = ep.consultant().ref(True) if rng.random() < 0.8 else ep.trust.org.ref
    if toc is not None:  # the order is the ward's TTO; the statement in the List is judged
        category = [fhir.concept({"system": fhir.MR_CATEGORY, "code": "inpatient"})]
        _statement(ep, eid, mid, (code, name, ep.t(authored)), extra, toc, status)
    ep.emit(
        fhir.medication_request(
            mid,
            ep.patient.ref,
            requester,
            ep.t(authored),
            fhir.concept({"system": fhir.DMD, "code": code, "display": name}),
            category,
            **extra,
        )
    )
    if status is not None and toc is None:
        ep.truth("discharge-medication-7d", f"MedicationRequest/{mid}", status)
    return name


ITK_CHANGE = "https://fhir.nhs.uk/STU3/CodeSystem/ITK-PatientMedicationChangeType-1"
CEASED = {"system": "urn:oid:1.2.36.1.2001.1001.101.104.16592", "code": "05", "display": "Ceased"}


def _statement(
    ep: Episode,
    eid: str,
    mid: str,
    drug: tuple[str, str, str],
    extra: dict[str, Any],
    entries: list[dict[str, Any]],
    status: str | None,
) -> None:
    """Emit the MedicationStatement based on order `mid`, add it to the List's `entries`,
    and record its truth (the order's supply judged on the statement). A `status` of None
    (not a supply the rule reads) becomes a statement that is no subject: stopped, not
    taken, or flagged ceased in the List."""
    code, name, asserted = drug
    sid, flag = ep.id(), {"system": ITK_CHANGE, "code": "4", "display": "Addition"}
    state = "active" if ep.chance(0.8) else "intended"
    if status is None:
        roll = ep.rng.random()
        state = "stopped" if roll < 0.4 else ("not-taken" if roll < 0.7 else state)
        flag = CEASED if roll >= 0.7 else flag
    ep.emit(
        fhir.medication_statement(
            sid,
            ep.patient.ref,
            eid,
            state,
            fhir.concept({"system": fhir.DMD, "code": code, "display": name}),
            f"MedicationRequest/{mid}",
            extra.get("dosageInstruction", []),
            asserted,
        )
    )
    entries.append({"flag": fhir.concept(flag), "item": fhir.ref(f"MedicationStatement/{sid}")})
    if status is not None:
        ep.truth("discharge-medication-7d", f"MedicationStatement/{sid}", status)


def _supply_duration(ep: Episode, extra: dict[str, Any], breached: bool) -> None:
    rng = ep.rng
    if breached:
        value, code = rng.choice(((3, "d"), (5, "d"), (6, "d"), (72, "h"), (120, "h")))
    else:
        value, code = rng.choice(
            (
                (7, "d"),
                (14, "d"),
                (28, "d"),
                (1, "wk"),
                (2, "wk"),
                (4, "wk"),
                (168, "h"),
                (336, "h"),
            )
        )
    extra["dispenseRequest"] = {"expectedSupplyDuration": _duration(value, code)}
    extra["dosageInstruction"] = [fhir.dosage(_quantity(1, "tablet"), 1, 1, "d")]


def _quantity_and_dose(ep: Episode, extra: dict[str, Any], unit: str, breached: bool) -> None:
    """quantity ÷ (dose × frequency ÷ period in days); whole numbers of days, never close
    to the limit, so rounding cannot decide."""
    rng = ep.rng
    dose = 5 if unit == "mL" else rng.choice((1, 2))
    if rng.random() < 0.3:
        frequency, period, period_unit, per_day = 1, 12, "h", 2
    else:
        frequency = rng.choice((1, 2, 3, 4))
        period, period_unit, per_day = 1, "d", frequency
    days = rng.choice((2, 3, 4, 5)) if breached else rng.choice((7, 10, 14, 28))
    quantity = dose * per_day * days
    extra["dispenseRequest"] = {"quantity": _quantity(quantity, unit)}
    extra["dosageInstruction"] = [
        fhir.dosage(_quantity(dose, unit), frequency, period, period_unit)
    ]


def _short_course(
    ep: Episode, extra: dict[str, Any], unit: str, authored: datetime, breached: bool
) -> None:
    """A course shorter than seven days: required days = the course length."""
    rng = ep.rng
    course = rng.choice((3, 5))
    if rng.random() < 0.5:
        bounds: dict[str, Any] = {"boundsDuration": _duration(course, "d")}
    else:
        start = authored.replace(microsecond=0)
        end = start + timedelta(days=course)
        bounds = {
            "boundsPeriod": {
                "start": start.isoformat().replace("+00:00", "Z"),
                "end": end.isoformat().replace("+00:00", "Z"),
            }
        }
    supplied = course - 2 if breached else course + rng.choice((0, 2))
    dose = 5 if unit == "mL" else 1
    extra["dispenseRequest"] = {"expectedSupplyDuration": _duration(supplied, "d")}
    extra["dosageInstruction"] = [fhir.dosage(_quantity(dose, unit), 2, 1, "d", bounds)]


def _unworkable(ep: Episode, extra: dict[str, Any], unit: str) -> None:
    """No expected duration, and no single dose in the quantity's unit."""
    rng = ep.rng
    roll = rng.random()
    if roll < 0.4:  # unit mismatch: quantity in mL, dose in tablets (or the reverse)
        qunit, dunit = ("mL", "tablet") if unit != "mL" else ("tablet", "mL")
        extra["dispenseRequest"] = {"quantity": _quantity(100, qunit)}
        extra["dosageInstruction"] = [fhir.dosage(_quantity(1, dunit), 2, 1, "d")]
    elif roll < 0.7:  # a taper whose first step has no bounds: the steps cannot be added
        extra["dispenseRequest"] = {"quantity": _quantity(56, "tablet")}
        extra["dosageInstruction"] = [
            {**fhir.dosage(_quantity(2, "tablet"), 1, 1, "d"), "sequence": 1},
            {**fhir.dosage(_quantity(1, "tablet"), 1, 1, "d"), "sequence": 2},
        ]
    else:  # no dispense request at all
        extra["dosageInstruction"] = [fhir.dosage(_quantity(1, "tablet"), 2, 1, "d")]

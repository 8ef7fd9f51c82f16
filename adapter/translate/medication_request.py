"""MedicationRequest → MedicationOrder, with the days supplied worked out (rules.md §5.3).
Profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest"""

from __future__ import annotations

from typing import Any

from adapter.facts import MedicationOrder, Supply
from adapter.policy import Policy
from adapter.translate.fields import Fields

# Days in one UCUM unit of time (Timing.periodUnit, Duration.code).
DAYS_PER_UNIT = {
    "s": 1 / 86400,
    "min": 1 / 1440,
    "h": 1 / 24,
    "d": 1.0,
    "wk": 7.0,
    "mo": 30.0,
    "a": 365.0,
}
# expectedSupplyDuration: the units rules.md §5.3 names; unit text accepted when no code.
SUPPLY_UNITS = {"d": 1.0, "wk": 7.0, "h": 1 / 24}
_UNIT_WORDS = {"day": "d", "days": "d", "week": "wk", "weeks": "wk", "hour": "h", "hours": "h"}


def medication_request_to_order(f: Fields, policy: Policy) -> MedicationOrder:
    r = f.resource
    status = f.code(
        r, "status", "status", required="send the MedicationRequest status, e.g. active"
    )
    intent = f.code(r, "intent", "intent", required="send the MedicationRequest intent, e.g. order")
    dispense = f.obj(r, "dispenseRequest", "dispenseRequest") or {}
    validity = f.obj(dispense, "validityPeriod", "dispenseRequest.validityPeriod") or {}
    dosages = f.objects(r, "dosageInstruction", "dosageInstruction")
    performers = [
        f.ref(r, "performer", "performer"),
        f.ref(dispense, "performer", "dispenseRequest.performer"),
    ]
    authored = f.instant(r, "authoredOn", "authoredOn")
    return MedicationOrder(
        head=f.head(),
        status=status or "",
        intent=intent or "",
        categories=f.concepts(r, "category", "category"),
        based_on=f.refs(r, "basedOn", "basedOn"),
        requester=f.ref(r, "requester", "requester"),
        performers=tuple(p for p in performers if p),
        encounter=f.ref(r, "encounter", "encounter"),
        patient=f.ref(r, "subject", "subject"),
        authored=authored,
        transfer_at=f.instant(validity, "start", "dispenseRequest.validityPeriod.start")
        or authored,
        supply=_supply(f, dispense, dosages),
        course_days=_course_days(f, dosages),
        medicine=_medicine(f, r),
    )


def _supply(f: Fields, dispense: dict[str, Any], dosages: list[dict[str, Any]]) -> Supply:
    duration = f.quantity(
        dispense, "expectedSupplyDuration", "dispenseRequest.expectedSupplyDuration"
    )
    if duration is not None and duration[0] is not None:
        value, code, unit = duration[0], duration[1], duration[2]
        unit_code = code or _UNIT_WORDS.get((unit or "").strip().lower(), (unit or "").strip())
        if unit_code in SUPPLY_UNITS:
            return Supply(value * SUPPLY_UNITS[unit_code], "expectedSupplyDuration")
    quantity = f.quantity(dispense, "quantity", "dispenseRequest.quantity")
    if quantity is None or quantity[0] is None:
        return Supply(None, "no expectedSupplyDuration in d, wk or h and no dispense quantity")
    lines = [_dose_line(f, dosage, f"dosageInstruction[{i}]") for i, dosage in enumerate(dosages)]
    with_dose = [line for line in lines if line is not None]
    if len(dosages) != 1 or len(with_dose) != 1:
        return Supply(None, f"{len(dosages)} dosage lines; quantity ÷ daily dose needs exactly one")
    dose, dose_code, dose_unit, per_day = with_dose[0]
    same_unit = (quantity[1] is not None and quantity[1] == dose_code) or (
        quantity[2] is not None
        and dose_unit is not None
        and quantity[2].strip().lower() == dose_unit.strip().lower()
    )
    if not same_unit:
        return Supply(
            None,
            f"quantity unit {quantity[1] or quantity[2]!r} differs from dose unit "
            f"{dose_code or dose_unit!r}",
        )
    daily = dose * per_day
    if daily <= 0:
        return Supply(None, "the daily dose is zero")
    return Supply(quantity[0] / daily, "quantity ÷ daily dose")


def _dose_line(
    f: Fields, dosage: dict[str, Any], path: str
) -> tuple[float, str | None, str | None, float] | None:
    """(dose, UCUM code, unit text, doses per day) of one dosage line, when it has them."""
    dose = None
    for index, rate in enumerate(f.objects(dosage, "doseAndRate", f"{path}.doseAndRate")):
        dose = dose or f.quantity(rate, "doseQuantity", f"{path}.doseAndRate[{index}].doseQuantity")
    timing = f.obj(dosage, "timing", f"{path}.timing") or {}
    repeat = f.obj(timing, "repeat", f"{path}.timing.repeat") or {}
    frequency = f.integer(repeat, "frequency", f"{path}.timing.repeat.frequency")
    period = f.decimal(repeat, "period", f"{path}.timing.repeat.period")
    unit = f.string(repeat, "periodUnit", f"{path}.timing.repeat.periodUnit")
    if (
        dose is None
        or dose[0] is None
        or period is None
        or period <= 0
        or unit not in DAYS_PER_UNIT
    ):
        return None
    per_day = (frequency if frequency is not None else 1) / (period * DAYS_PER_UNIT[unit])
    return dose[0], dose[1], dose[2], per_day


def _course_days(f: Fields, dosages: list[dict[str, Any]]) -> float | None:
    """The course length from boundsDuration or boundsPeriod, the longest over the lines."""
    lengths = []
    for index, dosage in enumerate(dosages):
        path = f"dosageInstruction[{index}].timing.repeat"
        timing = f.obj(dosage, "timing", f"dosageInstruction[{index}].timing") or {}
        repeat = f.obj(timing, "repeat", path) or {}
        bounds = f.quantity(repeat, "boundsDuration", f"{path}.boundsDuration")
        if bounds and bounds[0] is not None:
            code = bounds[1] or _UNIT_WORDS.get((bounds[2] or "").strip().lower())
            if code in DAYS_PER_UNIT:
                lengths.append(bounds[0] * DAYS_PER_UNIT[code])
        period = f.obj(repeat, "boundsPeriod", f"{path}.boundsPeriod") or {}
        start = f.instant(period, "start", f"{path}.boundsPeriod.start")
        end = f.instant(period, "end", f"{path}.boundsPeriod.end")
        if start and end:
            lengths.append((end - start).total_seconds() / 86400)
    return max(lengths) if lengths else None


def _medicine(f: Fields, r: dict[str, Any]) -> str | None:
    concept = f.concept(r, "medicationCodeableConcept", "medicationCodeableConcept")
    if concept:
        return concept.text or next((d for _, _, d in concept.codings if d), None)
    ref = r.get("medicationReference")
    return (
        ref.get("display")
        if isinstance(ref, dict) and isinstance(ref.get("display"), str)
        else None
    )

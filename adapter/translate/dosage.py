"""R4 Dosage → `supply.Line`: the numbers of one dosage line, type-checked through `Fields`
(a wrong datatype rejects the resource, rules.md §1). Shared by the MedicationRequest and
MedicationStatement translators. Profile: UK Dose Syntax on R4 `Dosage`
(https://simplifier.net/guide/ukcoreversionhistory/dosage)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from adapter.facts import Concept
from adapter.instants import london_date, parse_instant
from adapter.supply import Line, duration_days
from adapter.translate.fields import Fields

JSON = dict[str, Any]
GTS_ABBREVIATION = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
_RATES = ("rateRatio", "rateRange", "rateQuantity")


def dosage_lines(f: Fields, parent: JSON, key: str) -> list[Line]:
    """Every dosage line of `parent[key]` (dosageInstruction, or dosage)."""
    return [
        dosage_to_line(f, item, f"{key}[{index}]")
        for index, item in enumerate(f.objects(parent, key, key))
    ]


def dosage_to_line(f: Fields, dosage: JSON, path: str) -> Line:
    timing = f.obj(dosage, "timing", f"{path}.timing") or {}
    repeat = f.obj(timing, "repeat", f"{path}.timing.repeat") or {}
    at = f"{path}.timing.repeat"
    code = f.concept(timing, "code", f"{path}.timing.code")
    low, high, unit, other = _dose(f, dosage, path)
    return Line(
        path=path,
        sequence=f.integer(dosage, "sequence", f"{path}.sequence"),
        dose_low=low,
        dose_high=high,
        dose_unit=unit,
        dose_other=other,
        frequency=f.integer(repeat, "frequency", f"{at}.frequency"),
        frequency_max=f.integer(repeat, "frequencyMax", f"{at}.frequencyMax"),
        period=f.decimal(repeat, "period", f"{at}.period"),
        period_max=f.decimal(repeat, "periodMax", f"{at}.periodMax"),
        period_unit=f.string(repeat, "periodUnit", f"{at}.periodUnit"),
        code=_timing_code(code),
        when=len(_strings(f, repeat, "when", f"{at}.when")),
        time_of_day=len(_strings(f, repeat, "timeOfDay", f"{at}.timeOfDay")),
        days_of_week=len(set(_strings(f, repeat, "dayOfWeek", f"{at}.dayOfWeek"))),
        count=f.integer(repeat, "count", f"{at}.count"),
        bounds_days=_bounds(f, repeat, at),
        as_needed=_as_needed(f, dosage, path),
        max_amount=_max_per_day(f, dosage, path),
    )


def _timing_code(concept: Concept | None) -> str | None:
    """The timing abbreviation from its own code system, else the first code given."""
    if concept is None:
        return None
    own = [c for s, c, _ in concept.codings if s == GTS_ABBREVIATION and c]
    return next(iter(own or [c for _, c, _ in concept.codings if c]), None)


def _dose(
    f: Fields, dosage: JSON, path: str
) -> tuple[float | None, float | None, tuple[str | None, str | None], str | None]:
    """(low, high, unit, what it gives instead) of the first doseAndRate with a dose."""
    others: list[str] = []
    for index, item in enumerate(f.objects(dosage, "doseAndRate", f"{path}.doseAndRate")):
        where = f"{path}.doseAndRate[{index}]"
        exact = f.quantity(item, "doseQuantity", f"{where}.doseQuantity")
        if exact is not None and exact[0] is not None:
            return exact[0], exact[0], (exact[1], exact[2]), None
        span = f.obj(item, "doseRange", f"{where}.doseRange") or {}
        lo = f.quantity(span, "low", f"{where}.doseRange.low")
        hi = f.quantity(span, "high", f"{where}.doseRange.high")
        if lo and hi and lo[0] is not None and hi[0] is not None:
            return lo[0], hi[0], (lo[1] or hi[1], lo[2] or hi[2]), None
        others.extend(name for name in _RATES if name in item)
        if span:
            others.append("a doseRange without both low and high")
    return None, None, (None, None), (", ".join(f"a {o}" for o in others) or None)


def _strings(f: Fields, parent: JSON, key: str, path: str) -> list[str]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        f.bad(path, "an array of strings", value)
        return []
    return list(value)


def _bounds(f: Fields, repeat: JSON, at: str) -> float | None:
    """boundsDuration, else the length of boundsPeriod; a date-only end is inclusive (R4
    Period: the end "2019-03-14" means the whole of that day)."""
    duration = f.quantity(repeat, "boundsDuration", f"{at}.boundsDuration")
    if duration is not None:
        return duration_days(*duration)
    period = f.obj(repeat, "boundsPeriod", f"{at}.boundsPeriod") or {}
    start = f.string(period, "start", f"{at}.boundsPeriod.start")
    end = f.string(period, "end", f"{at}.boundsPeriod.end")
    first = parse_instant(start) if start else None
    last = parse_instant(end) if end else None
    if start and first is None:
        f.bad(f"{at}.boundsPeriod.start", "a FHIR dateTime", start)
    if end and last is None:
        f.bad(f"{at}.boundsPeriod.end", "a FHIR dateTime", end)
    if first is None or last is None or end is None:
        return None
    if "T" not in end:
        last = parse_instant(_next_day(end)) or last
    return max((last - first).total_seconds() / 86400, 0.0)


def _next_day(end: str) -> str:
    """The start of the day (month, year) after a date-only end, as a FHIR date."""
    parts = [int(p) for p in end.split("-")]
    if len(parts) == 1:
        return f"{parts[0] + 1:04d}"
    if len(parts) == 2:
        year, month = (parts[0] + 1, 1) if parts[1] == 12 else (parts[0], parts[1] + 1)
        return f"{year:04d}-{month:02d}"
    start = parse_instant(end)
    return end if start is None else (london_date(start) + timedelta(days=1)).isoformat()


def _as_needed(f: Fields, dosage: JSON, path: str) -> bool:
    flag = dosage.get("asNeededBoolean")
    if flag is not None and not isinstance(flag, bool):
        f.bad(f"{path}.asNeededBoolean", "true or false", flag)
        return False
    return flag is True or isinstance(dosage.get("asNeededCodeableConcept"), dict)


def _max_per_day(
    f: Fields, dosage: JSON, path: str
) -> tuple[float, tuple[str | None, str | None]] | None:
    ratio = f.obj(dosage, "maxDosePerPeriod", f"{path}.maxDosePerPeriod") or {}
    top = f.quantity(ratio, "numerator", f"{path}.maxDosePerPeriod.numerator")
    bottom = f.quantity(ratio, "denominator", f"{path}.maxDosePerPeriod.denominator")
    if not top or not bottom or top[0] is None:
        return None
    per = duration_days(bottom[0], bottom[1], bottom[2])
    if not per:
        return None
    return top[0] / per, (top[1], top[2])

"""Days of medicine supplied, worked out from a supply duration, or from a quantity and the
dosage, following R4 `Dosage`/`Timing` and UK Dose Syntax (docs/contract.md §7).

Pure arithmetic on already-read values (`Line`), so it is tested table by table without
FHIR. Vocabulary:

    line      one `dosageInstruction` (R4 Dosage), read by adapter/translate/dosage.py
    step      the lines sharing one `sequence` value: they run at the same time
    course    the steps one after another (a taper is the sum of its steps)
    rate      doses per day, a range [low, high]: `frequencyMax`, `periodMax`, a dose range
              and "as needed" widen it; the supply is then a range of days too

Where a reading is open, the one that cannot produce a false breach is taken: a rate range
gives a days range, and the rule calls a breach only when even the longest reading falls
short. `maxDosePerPeriod` only ever lowers the highest rate (so it can only make a supply
longer, never shorter).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from adapter.facts import Supply
from adapter.mappings import shipped

Unit = tuple[str | None, str | None]  # (code, unit text) of a Quantity
_EPSILON = 1e-9


@cache
def _tables() -> dict[str, Any]:
    return shipped("dosage")


def days_per_unit(unit: str | None) -> float | None:
    """Days in one UCUM time unit (`d`, `wk`, `mo`, `h`, `min`, `a`, `s`), or None."""
    if unit is None:
        return None
    table: dict[str, float] = _tables()["days-per-unit"]
    code = unit if unit in table else _tables()["unit-words"].get(unit.strip().lower())
    return table.get(code) if code else None


def duration_days(value: float | None, code: str | None, text: str | None) -> float | None:
    """A Duration in days: the UCUM code when given, else its unit text."""
    if value is None:
        return None
    per = days_per_unit(code) if code else days_per_unit(text)
    return None if per is None else value * per


@dataclass(frozen=True, slots=True)
class Line:
    """One dosage line as read: every number the arithmetic needs, and where it came from."""

    path: str  # "dosageInstruction[0]", for the reasons given
    sequence: int | None = None
    dose_low: float | None = None
    dose_high: float | None = None
    dose_unit: Unit = (None, None)
    dose_other: str | None = None  # what it gives instead of a dose, e.g. "a rateRatio"
    frequency: int | None = None
    frequency_max: int | None = None
    period: float | None = None
    period_max: float | None = None
    period_unit: str | None = None
    code: str | None = None  # timing.code
    when: int = 0  # how many `when` entries
    time_of_day: int = 0
    days_of_week: int = 0
    count: int | None = None
    bounds_days: float | None = None  # boundsDuration, or boundsPeriod (date-only end inclusive)
    as_needed: bool = False
    max_amount: tuple[float, Unit] | None = None  # maxDosePerPeriod, per day


@dataclass(frozen=True, slots=True)
class _Step:
    per_day: tuple[float, float]  # amount per day in the quantity's unit, [low, high]
    once: tuple[float, float]  # one-off amounts (a `count` with no period), taken first
    days: float | None  # None: open-ended


# -- doses per day -----------------------------------------------------------------------


def doses_per_day(line: Line) -> tuple[float, float] | str:
    """[low, high] administrations per day, or what is missing to know it."""
    where = f"{line.path}.timing"
    if line.period is not None or line.code is not None:
        repeat = _repeat(line)
        if repeat is None:
            return f"{where}.code {line.code!r} is not an R4 timing abbreviation"
        frequency, period, unit = repeat
        per = days_per_unit(unit)
        if unit is None:
            return f"{where}.repeat gives a period but no periodUnit"
        if per is None or period <= 0:
            return f"{where}.repeat.periodUnit {unit!r} is not a unit of time"
        slowest = (line.period_max if line.period_max else period) * per
        low = (frequency or 1) / slowest
        high = max(line.frequency_max or 0, frequency or 1) / (period * per)
        week = line.days_of_week / 7 if line.days_of_week and period * per <= 1 else 1.0
        return _needed(line, low * week, high * week)
    times = max(line.when, line.time_of_day)
    if times or line.days_of_week:
        week = line.days_of_week / 7 if line.days_of_week else 1.0
        return _needed(line, max(times, 1) * week, max(times, 1) * week)
    if line.as_needed:
        return (0.0, math.inf)
    return (
        f"{line.path} gives no timing (timing.repeat frequency and period, timing.code, "
        "when, timeOfDay or dayOfWeek)"
    )


def _repeat(line: Line) -> tuple[int | None, float, str | None] | None:
    """frequency, period and unit: the repeat's own, else the timing.code's (R4 says the
    code is a summary of the repeat); None for a code not in the table."""
    if line.period is not None:
        return line.frequency, line.period, line.period_unit
    entry = _tables()["timing-codes"].get((line.code or "").upper())
    if entry is None:
        return None
    return int(entry[0]), float(entry[1]), str(entry[2])


def _needed(line: Line, low: float, high: float) -> tuple[float, float]:
    """As needed: taken at most this often, perhaps never."""
    return (0.0, high) if line.as_needed else (low, high)


# -- amounts -----------------------------------------------------------------------------


def convert(value: float, source: Unit, target: Unit) -> float | None:
    """`value` in `source` units expressed in `target` units, or None when they differ."""
    if _same(source, target):
        return value
    for dimension in ("mass", "volume"):
        table: dict[str, float] = _tables()[dimension]
        a, b = _factor(table, source), _factor(table, target)
        if a is not None and b is not None:
            return value * a / b
    return None


def _same(a: Unit, b: Unit) -> bool:
    if a[0] is not None and a[0] == b[0]:
        return True
    ta, tb = _word(a[1]), _word(b[1])
    return ta is not None and ta == tb


def _word(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    word = text.strip().lower()
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _factor(table: dict[str, float], unit: Unit) -> float | None:
    for name in (unit[0], unit[1]):
        if name and name.strip().lower() in table:
            return table[name.strip().lower()]
    return None


def _step_of(lines: Sequence[Line], unit: Unit) -> _Step | str:
    """The lines of one sequence step, added up in the quantity's unit."""
    per_day, once = [0.0, 0.0], [0.0, 0.0]
    lengths: set[float | None] = set()
    for line in lines:
        dose = _dose(line, unit)
        if isinstance(dose, str):
            return dose
        if _one_off(line):
            once[0] += (line.count or 0) * dose[0]
            once[1] += (line.count or 0) * dose[1]
            continue
        rate = doses_per_day(line)
        if isinstance(rate, str):
            return rate
        low, high = rate[0] * dose[0], rate[1] * dose[1]
        high = min(high, _cap(line, dose[1], unit))
        per_day[0] += low
        per_day[1] += max(high, low)
        lengths.add(_line_days(line, rate))
    if len(lengths) > 1:
        return f"the dosage lines of {_step_name(lines)} run for different lengths of time"
    days = lengths.pop() if lengths else 0.0
    return _Step((per_day[0], per_day[1]), (once[0], once[1]), days)


def _dose(line: Line, unit: Unit) -> tuple[float, float] | str:
    if line.dose_low is None or line.dose_high is None:
        instead = f" (it gives {line.dose_other})" if line.dose_other else ""
        return f"{line.path} gives no doseQuantity or doseRange{instead}"
    low = convert(line.dose_low, line.dose_unit, unit)
    high = convert(line.dose_high, line.dose_unit, unit)
    if low is None or high is None:
        return (
            f"the dose of {line.path} is in {_show(line.dose_unit)} but the quantity "
            f"supplied is in {_show(unit)}"
        )
    return low, high


def _cap(line: Line, dose_high: float, unit: Unit) -> float:
    """maxDosePerPeriod as an amount per day in the quantity's unit (inf when unusable)."""
    if line.max_amount is None:
        return math.inf
    value, cap_unit = line.max_amount
    counts = _tables()["dose-count-units"]
    if cap_unit[0] in counts["codes"] or _word(cap_unit[1]) in counts["words"]:
        return value * dose_high
    converted = convert(value, cap_unit, unit)
    return math.inf if converted is None else converted


def _one_off(line: Line) -> bool:
    """`count` doses with no timing at all (a loading dose): taken at the start of its step."""
    timed = line.when or line.time_of_day or line.days_of_week
    return line.count is not None and line.period is None and line.code is None and not timed


def _line_days(line: Line, rate: tuple[float, float]) -> float | None:
    """How long a line runs: its bounds, else `count` doses at an exact rate."""
    if line.bounds_days is not None:
        return line.bounds_days
    if line.count is not None and rate[0] == rate[1] and rate[0] > 0:
        return line.count / rate[0]
    return None


def _step_name(lines: Sequence[Line]) -> str:
    sequence = lines[0].sequence
    return "the dosage" if sequence is None else f"sequence {sequence}"


def _show(unit: Unit) -> str:
    return repr(unit[1] or unit[0] or "no unit")


# -- the course and the supply -----------------------------------------------------------


def steps(lines: Sequence[Line]) -> list[list[Line]] | str:
    """Lines grouped by `sequence`, in order; no sequence on any line: one step."""
    numbered = [line.sequence is not None for line in lines]
    if any(numbered) and not all(numbered):
        return "some dosage lines have a sequence and some do not, so their order is unknown"
    groups: dict[int, list[Line]] = {}
    for line in lines:
        groups.setdefault(line.sequence or 0, []).append(line)
    return [groups[key] for key in sorted(groups)]


def course_days(lines: Sequence[Line]) -> float | None:
    """The length of the whole course: the sum of its steps, when every step is bounded."""
    grouped = steps(lines)
    if isinstance(grouped, str) or not grouped:
        return None
    total = 0.0
    for group in grouped:
        lengths: set[float | None] = set()
        for line in group:
            rate = doses_per_day(line)
            if _one_off(line):
                continue
            if isinstance(rate, str):
                return None
            lengths.add(_line_days(line, rate))
        length = lengths.pop() if len(lengths) == 1 else (0.0 if not lengths else None)
        if length is None:
            return None
        total += length
    return total


def supplied_days(
    duration: tuple[float | None, str | None, str | None] | None,
    quantity: tuple[float | None, str | None, str | None] | None,
    lines: Sequence[Line],
) -> Supply:
    """Days supplied: the expectedSupplyDuration, else the quantity spread over the dosage."""
    if duration is not None:
        days = duration_days(*duration)
        if days is not None:
            return Supply(days, "expectedSupplyDuration")
    if quantity is None or quantity[0] is None:
        return Supply(
            None, "the supply gives no expectedSupplyDuration (in mo, wk, d or h) and no quantity"
        )
    if not lines:
        return Supply(None, "the supply gives a quantity but no dosage to spread it over")
    grouped = steps(lines)
    if isinstance(grouped, str):
        return Supply(None, grouped)
    unit = (quantity[1], quantity[2])
    made = [_step_of(group, unit) for group in grouped]
    problems = [step for step in made if isinstance(step, str)]
    problems += [
        f"{_step_name(group)} gives no boundsDuration, boundsPeriod or count, so the later "
        "steps cannot be added to it"
        for group, step in zip(grouped[:-1], made[:-1], strict=True)
        if not isinstance(step, str) and step.days is None
    ]
    if problems:
        return Supply(None, problems[0])
    supply = _spread(quantity[0], [step for step in made if not isinstance(step, str)])
    if len(lines) > 1 and lines[0].sequence is None and not supply.whole:
        # No sequence: taken together (the shortest reading) or one after another.
        how = f"{supply.how}, reading {len(lines)} dosage lines with no sequence as taken together"
        return Supply(supply.days, how, most=math.inf)
    return supply


def _spread(quantity: float, made: list[_Step]) -> Supply:
    shortest, covered = _last(quantity, made, 1)
    longest, _ = _last(quantity, made, 0)
    how = "quantity ÷ daily dose" if len(made) == 1 else "quantity over the dosage steps"
    if covered:
        return Supply(shortest, how, whole=True)
    if longest - shortest > _EPSILON:
        return Supply(shortest, how, most=longest)
    return Supply(shortest, how)


def _last(quantity: float, made: list[_Step], pick: int) -> tuple[float, bool]:
    """Days until the quantity runs out, taking the high (pick=1) or low (0) reading;
    and whether it lasts the whole course."""
    days, left = 0.0, quantity
    for step in made:
        left -= step.once[pick]
        if left < -_EPSILON:
            return days, False
        rate = step.per_day[pick]
        if step.days is None:
            return (math.inf if rate <= 0 else days + left / rate), False
        need = rate * step.days
        if left + _EPSILON < need:
            return days + left / rate, False
        left -= need
        days += step.days
    return days, True

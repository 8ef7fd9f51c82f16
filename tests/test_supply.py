"""The supply arithmetic (adapter/supply.py), table by table: each row a dosage as UK Dose
Syntax writes it, a quantity or duration, and the days it must give (docs/contract.md §7)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from adapter.supply import Line, course_days, doses_per_day, duration_days, supplied_days

TAB = ("428673006", "tablet")
MG = ("mg", "milligram")
DAILY = Line(
    "dosageInstruction[0]",
    dose_low=1,
    dose_high=1,
    dose_unit=TAB,
    frequency=1,
    period=1,
    period_unit="d",
)


def line(**changes: object) -> Line:
    return replace(DAILY, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "given", "low", "high"),
    [
        ("frequency 4 per 1 d", line(frequency=4), 4, 4),
        ("every 6 h", line(period=6, period_unit="h"), 4, 4),
        ("every 12 h", line(period=12, period_unit="h"), 2, 2),
        ("once a week", line(period=1, period_unit="wk"), 1 / 7, 1 / 7),
        (
            "every 3 months (UCUM mo = 30.4375 d)",
            line(period=3, period_unit="mo"),
            1 / 91.3125,
            1 / 91.3125,
        ),
        ("every 20 to 30 min", line(period=20, period_max=30, period_unit="min"), 48, 72),
        ("2 to 3 times a day (frequencyMax)", line(frequency=2, frequency_max=3), 2, 3),
        ("up to 4 a day, no frequency: at least once", line(frequency=None, frequency_max=4), 1, 4),
        ("timing.code BID", line(period=None, period_unit=None, frequency=None, code="BID"), 2, 2),
        ("timing.code QID", line(period=None, period_unit=None, frequency=None, code="QID"), 4, 4),
        ("timing.code AM", line(period=None, period_unit=None, frequency=None, code="AM"), 1, 1),
        ("timing.code PM", line(period=None, period_unit=None, frequency=None, code="pm"), 1, 1),
        ("timing.code Q4H", line(period=None, period_unit=None, frequency=None, code="Q4H"), 6, 6),
        (
            "timing.code QOD",
            line(period=None, period_unit=None, frequency=None, code="QOD"),
            0.5,
            0.5,
        ),
        ("repeat wins over code", line(frequency=3, code="BID"), 3, 3),
        (
            "when [CM, CV] with no period: once per entry",
            line(period=None, period_unit=None, frequency=None, when=2),
            2,
            2,
        ),
        (
            "when [C] with no period: once a day",
            line(period=None, period_unit=None, frequency=None, when=1),
            1,
            1,
        ),
        ("when with a frequency: the frequency counts", line(frequency=4, when=2), 4, 4),
        (
            "timeOfDay 08:00, 20:00",
            line(period=None, period_unit=None, frequency=None, time_of_day=2),
            2,
            2,
        ),
        ("twice a day on Mon, Wed, Fri", line(frequency=2, days_of_week=3), 6 / 7, 6 / 7),
        (
            "dayOfWeek Mon, Thu with no period",
            line(period=None, period_unit=None, frequency=None, days_of_week=2),
            2 / 7,
            2 / 7,
        ),
        (
            "weekly on a Monday: dayOfWeek names the day",
            line(period=1, period_unit="wk", days_of_week=1),
            1 / 7,
            1 / 7,
        ),
        (
            "as needed, 4-hourly: perhaps never",
            line(period=4, period_unit="h", as_needed=True),
            0,
            6,
        ),
        (
            "as needed, no timing",
            line(period=None, period_unit=None, frequency=None, as_needed=True),
            0,
            math.inf,
        ),
    ],
)
def test_doses_per_day(name: str, given: Line, low: float, high: float) -> None:
    assert doses_per_day(given) == pytest.approx((low, high)), name


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (
            line(period=None, period_unit=None, frequency=None),
            "dosageInstruction[0] gives no timing (timing.repeat frequency and period, "
            "timing.code, when, timeOfDay or dayOfWeek)",
        ),
        (
            line(period_unit=None),
            "dosageInstruction[0].timing.repeat gives a period but no periodUnit",
        ),
        (
            line(period_unit="fortnight"),
            "dosageInstruction[0].timing.repeat.periodUnit 'fortnight' is not a unit of time",
        ),
        (
            line(period=None, period_unit=None, code="TDS"),
            "dosageInstruction[0].timing.code 'TDS' is not an R4 timing abbreviation",
        ),
    ],
)
def test_doses_per_day_says_what_is_missing(given: Line, reason: str) -> None:
    assert doses_per_day(given) == reason


@pytest.mark.parametrize(
    ("value", "code", "text", "days"),
    [
        (14, "d", None, 14),
        (2, "wk", None, 14),
        (1, "mo", None, 30.4375),
        (120, "h", None, 5),
        (10080, "min", None, 7),
        (1, "a", None, 365.25),
        (3, None, "weeks", 21),
        (3, None, "fortnights", None),
        (None, "d", None, None),
    ],
)
def test_duration_days(
    value: float | None, code: str | None, text: str | None, days: float | None
) -> None:
    assert duration_days(value, code, text) == (pytest.approx(days) if days is not None else None)


TAPER = [
    line(
        path=f"dosageInstruction[{i}]",
        sequence=i + 1,
        dose_low=mg,
        dose_high=mg,
        dose_unit=MG,
        bounds_days=b,
    )
    for i, (mg, b) in enumerate([(60, 4), (50, 1), (40, 1), (30, 1), (20, 1), (10, 1)])
]


@pytest.mark.parametrize(
    ("name", "duration", "quantity", "lines", "days", "most", "whole"),
    [
        ("supply duration 2 wk", (2, "wk", None), None, [], 14, None, False),
        ("supply duration 1 mo", (1, "mo", None), None, [], 30.4375, None, False),
        ("supply duration 72 h", (72, "h", None), None, [], 3, None, False),
        ("28 tablets, 1 four times a day", None, (28, *TAB), [line(frequency=4)], 7, None, False),
        (
            "12 tablets every 12 h",
            None,
            (12, *TAB),
            [line(period=12, period_unit="h")],
            6,
            None,
            False,
        ),
        (
            "unit text only",
            None,
            (56, None, "capsules"),
            [line(dose_low=2, dose_high=2, dose_unit=(None, "capsule"), frequency=2)],
            14,
            None,
            False,
        ),
        (
            "mg quantity, g dose",
            None,
            (2000, "mg", None),
            [line(dose_low=0.5, dose_high=0.5, dose_unit=("g", None), frequency=2)],
            2,
            None,
            False,
        ),
        (
            "dose range 1-2 tablets twice a day",
            None,
            (28, *TAB),
            [line(dose_low=1, dose_high=2, frequency=2)],
            7,
            14,
            False,
        ),
        (
            "frequencyMax: 2-3 a day",
            None,
            (30, *TAB),
            [line(frequency=2, frequency_max=3)],
            10,
            15,
            False,
        ),
        (
            "maxDosePerPeriod caps as needed: 2 tablets 4-hourly, 8 a day at most",
            None,
            (56, *TAB),
            [
                line(
                    dose_low=2,
                    dose_high=2,
                    period=4,
                    period_unit="h",
                    as_needed=True,
                    max_amount=(8, TAB),
                )
            ],
            7,
            math.inf,
            False,
        ),
        (
            "maxDosePerPeriod in doses: 6 doses of 2 tablets",
            None,
            (24, *TAB),
            [
                line(
                    dose_low=2,
                    dose_high=2,
                    period=4,
                    period_unit="h",
                    max_amount=(6, ("3317411000001100", "dose")),
                )
            ],
            2,
            None,
            False,
        ),
        (
            "taper: 4 d at 60 mg then 50..10 mg, 390 mg covers it",
            None,
            (390, *MG),
            TAPER,
            9,
            None,
            True,
        ),
        ("taper: 300 mg runs out a quarter into day 6", None, (300, *MG), TAPER, 5.25, None, False),
        (
            "5-day course (boundsDuration), 10 tablets, 1 twice a day: whole course",
            None,
            (10, *TAB),
            [line(frequency=2, bounds_days=5)],
            5,
            None,
            True,
        ),
        (
            "count 6, 3 a week, then every 3 months",
            None,
            (7, "413516001", "ampoule"),
            [
                line(
                    sequence=1,
                    dose_unit=("413516001", "ampoule"),
                    frequency=3,
                    period=1,
                    period_unit="wk",
                    count=6,
                ),
                line(sequence=2, dose_unit=("413516001", "ampoule"), period=3, period_unit="mo"),
            ],
            14 + 91.3125,
            None,
            False,
        ),
        (
            "two lines with no sequence: at least the shortest",
            None,
            (56, *TAB),
            [line(), line(dose_low=2, dose_high=2)],
            56 / 3,
            math.inf,
            False,
        ),
        (
            "parallel lines, same sequence, 1 wk each",
            None,
            (21, *TAB),
            [
                line(sequence=1, dose_low=2, dose_high=2, bounds_days=7),
                line(sequence=1, bounds_days=7),
            ],
            7,
            None,
            True,
        ),
    ],
)
def test_supplied_days(
    name: str,
    duration: tuple[float, str | None, str | None] | None,
    quantity: tuple[float, str | None, str | None] | None,
    lines: list[Line],
    days: float,
    most: float | None,
    whole: bool,
) -> None:
    supply = supplied_days(duration, quantity, lines)
    assert supply.days == pytest.approx(days), (name, supply)
    assert supply.most == (pytest.approx(most) if most is not None else None), (name, supply)
    assert supply.whole is whole, (name, supply)


@pytest.mark.parametrize(
    ("name", "duration", "quantity", "lines", "reason"),
    [
        (
            "nothing",
            None,
            None,
            [DAILY],
            "the supply gives no expectedSupplyDuration (in mo, wk, d or h) and no quantity",
        ),
        (
            "quantity, no dosage",
            None,
            (28, *TAB),
            [],
            "the supply gives a quantity but no dosage to spread it over",
        ),
        (
            "no dose",
            None,
            (28, *TAB),
            [line(dose_low=None, dose_high=None)],
            "dosageInstruction[0] gives no doseQuantity or doseRange",
        ),
        (
            "a rate",
            None,
            (1000, "mL", None),
            [line(dose_low=None, dose_high=None, dose_other="a rateRatio")],
            "dosageInstruction[0] gives no doseQuantity or doseRange (it gives a rateRatio)",
        ),
        (
            "units differ",
            None,
            (28, *TAB),
            [line(dose_unit=MG)],
            "the dose of dosageInstruction[0] is in 'milligram' but the quantity supplied is in 'tablet'",
        ),
        (
            "unbounded first step",
            None,
            (28, *TAB),
            [line(sequence=1), line(sequence=2)],
            "sequence 1 gives no boundsDuration, boundsPeriod or count, so the later steps cannot be added to it",
        ),
        (
            "mixed sequence",
            None,
            (28, *TAB),
            [line(sequence=1), line()],
            "some dosage lines have a sequence and some do not, so their order is unknown",
        ),
        (
            "parallel lines of different lengths",
            None,
            (28, *TAB),
            [line(sequence=1, bounds_days=7), line(sequence=1, bounds_days=3)],
            "the dosage lines of sequence 1 run for different lengths of time",
        ),
    ],
)
def test_supplied_days_says_what_is_missing(
    name: str,
    duration: tuple[float, str | None, str | None] | None,
    quantity: tuple[float, str | None, str | None] | None,
    lines: list[Line],
    reason: str,
) -> None:
    supply = supplied_days(duration, quantity, lines)
    assert (supply.days, supply.how) == (None, reason), name


@pytest.mark.parametrize(
    ("name", "lines", "days"),
    [
        ("boundsDuration 21 d", [line(bounds_days=21)], 21),
        ("open-ended", [line()], None),
        ("taper: the sum of its steps", TAPER, 9),
        ("count 6 at 3 a week", [line(frequency=3, period=1, period_unit="wk", count=6)], 14),
        (
            "count 7 at night (when HS, no period): 7 days",
            [line(period=None, period_unit=None, frequency=None, when=1, count=7)],
            7,
        ),
        (
            "count with a ranged frequency: unknown",
            [line(frequency=1, frequency_max=2, count=6)],
            None,
        ),
        (
            "one-off dose then 5 days",
            [
                line(sequence=1, period=None, period_unit=None, count=1),
                line(sequence=2, bounds_days=5),
            ],
            5,
        ),
    ],
)
def test_course_days(name: str, lines: list[Line], days: float | None) -> None:
    assert course_days(lines) == (pytest.approx(days) if days is not None else None), name


def test_the_timing_code_is_read_from_its_own_code_system() -> None:
    from adapter.model import Location
    from adapter.translate.dosage import dosage_to_line
    from adapter.translate.fields import Fields

    timing = {
        "code": {
            "coding": [
                {"system": "http://snomed.info/sct", "code": "229797004"},
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                    "code": "TID",
                },
            ]
        }
    }
    f = Fields({"resourceType": "MedicationRequest"}, Location(), None)
    line = dosage_to_line(f, {"timing": timing}, "dosageInstruction[0]")
    assert (line.code, doses_per_day(line), f.problems) == ("TID", (3.0, 3.0), [])

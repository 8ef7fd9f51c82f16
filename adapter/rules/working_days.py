"""England working days (docs/contract.md §11.2): Monday to Friday less the England and Wales
bank holidays of `mappings/bank-holidays.toml`, counted on the Europe/London calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from adapter.instants import london_date
from adapter.mappings import shipped

LONDON = ZoneInfo("Europe/London")


@cache
def _calendar() -> tuple[frozenset[date], int, int]:
    table = shipped("bank-holidays")
    days = frozenset(table["days"])
    return days, min(days).year, int(table["last_year"])


def covered() -> tuple[int, int]:
    """The first and last years the bank-holiday table covers."""
    _, first, last = _calendar()
    return first, last


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _calendar()[0]


def add_working_days(start: date, count: int) -> date | None:
    """The `count`th working day after `start` (the day itself not counted); None when the
    count starts before or runs past the table's years, where bank holidays are not known."""
    first, last = covered()
    if start.year < first:
        return None
    day = start
    for _ in range(count):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return day if day.year <= last else None


def end_of_day(day: date) -> datetime:
    """24:00 Europe/London at the end of `day`, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(), LONDON).astimezone(UTC)


def working_days_due(sent: datetime, count: int) -> datetime | None:
    """The end of the `count`th working day after the London date of `sent`."""
    last = add_working_days(london_date(sent), count)
    return None if last is None else end_of_day(last)

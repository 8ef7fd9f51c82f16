"""Reporting periods and the date each obligation belongs to.

An obligation is dated by its `due` time, or else by its `fulfilled_at` time, as a calendar
date in England (Europe/London). An obligation with neither (rules without a deadline that
record no fulfilment time) is *undated*: by default it is counted in the reporting period,
because the input is taken to be that period's traffic, but it never counts in the previous
period, in the month-by-month trend, or in the change figures (`--undated exclude` leaves
it out of the period too). The report says how many there were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from adapter.model import Obligation

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Period:
    """Calendar dates from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The window of the same length that ends the day before `start`."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[date]:
        """The first day of every calendar month the period touches."""
        out = []
        month = self.start.replace(day=1)
        while month <= self.end:
            out.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return out

    def to_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def obligation_date(obligation: Obligation) -> date | None:
    """The date an obligation belongs to: its due date, else its fulfilment date."""
    instant = obligation.due or obligation.fulfilled_at
    if instant is None:
        return None
    return instant.astimezone(LONDON).date()

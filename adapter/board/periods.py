"""Reporting periods and the date each obligation belongs to.

An obligation is dated, as a calendar date in England (Europe/London), by the first of:
its `due` time; its `fulfilled_at` time; the time of the event that created it, read from
its subject resource in the input (`adapter.board.dating`: a letter's sent time, a request's
authoredOn, an attendance's end or start). An obligation with none of these is *undated*.
By default undated obligations are left out of every figure and counted in the data-quality
section (`--undated include` counts them in the reporting period instead, never in the
previous period, the monthly trend or the change figures).
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

    def trend_window(self) -> Period:
        """The whole calendar months of the previous period, then this period: a first
        month that the previous period only touches would be a misleading sliver."""
        start = self.previous().start
        if start.day != 1:
            start = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        return Period(min(start, self.start.replace(day=1)), self.end)

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


class Dating:
    """Dates obligations: due, else fulfilled, else the event behind the subject (the
    `event_at` its rule set). Each obligation is dated once (remembered by identity for the
    life of this object, which must not outlive the obligations it dated)."""

    def __init__(self) -> None:
        self._known: dict[int, date | None] = {}

    def __call__(self, obligation: Obligation) -> date | None:
        key = id(obligation)
        if key in self._known:
            return self._known[key]
        instant = obligation.due or obligation.fulfilled_at or obligation.event_at
        day = None if instant is None else instant.astimezone(LONDON).date()
        self._known[key] = day
        return day


def obligation_date(obligation: Obligation) -> date | None:
    """The date an obligation belongs to from its own fields: due, else fulfilment."""
    return Dating()(obligation)

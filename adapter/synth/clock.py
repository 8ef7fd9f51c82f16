"""Instants for synthetic data: kept in UTC, written in the three shapes senders use
(`Z`, a Europe/London offset, or zone-less London local time, rules.md §3)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; zone-less means Europe/London (rules.md §3)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    return value.astimezone(UTC)


def london_date(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


def london_midnight(day: date) -> datetime:
    """00:00 Europe/London on `day`, as UTC (how a date-only value is read)."""
    return datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(UTC)


def _unambiguous_local(instant: datetime) -> datetime | None:
    local = instant.astimezone(LONDON).replace(tzinfo=None)
    early = local.replace(tzinfo=LONDON, fold=0).astimezone(UTC)
    late = local.replace(tzinfo=LONDON, fold=1).astimezone(UTC)
    return local if early == late == instant else None


def render(instant: datetime, rng: random.Random, local: bool = False) -> str:
    """Write `instant` (UTC, whole seconds) as `Z` (60%), London offset (25%) or, with
    `local`, zone-less London local time (15%, only where that local time is unambiguous).
    Zone-less times are what some senders write; R4 itself requires a zone on a dateTime
    with a time, so they fail full validation."""
    roll = rng.random()
    if roll < 0.15 and local:
        wall = _unambiguous_local(instant)
        if wall is not None:
            return wall.isoformat(timespec="seconds")
    if roll < 0.40:
        return instant.astimezone(LONDON).isoformat(timespec="seconds")
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def at_random(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole-second instant in [start, end]."""
    span = max(0, int((end - start).total_seconds()))
    return (start + timedelta(seconds=rng.randint(0, span))).replace(microsecond=0)


def age_on(birth: date, day: date) -> int:
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years

"""FHIR date and dateTime values as UTC instants (rules.md §3).

A dateTime without a zone is Europe/London local time; a date (or a partial date: year, or
year-month) is 00:00 Europe/London on its first day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from adapter.limits import EARLIEST_YEAR, LATEST_YEAR

LONDON = ZoneInfo("Europe/London")

# The FHIR R4 dateTime regex (https://hl7.org/fhir/R4/datatypes.html#dateTime).
_DATETIME = re.compile(
    r"(?P<y>[0-9]{4})(-(?P<m>0[1-9]|1[0-2])(-(?P<d>0[1-9]|[12][0-9]|3[01])"
    r"(T(?P<t>([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?)"
    r"(?P<z>Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?)?)?)?"
)


def parse_instant(text: str) -> datetime | None:
    """The UTC instant a FHIR date/dateTime/instant string denotes, or None when the string
    is not one (the caller reports it)."""
    if len(text) in (20, 25) and _plain_utc(text):
        try:  # the common shape, read in C; anything it refuses is read by the regex below
            value = datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is not None and EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            return value.astimezone(UTC)
    return _parse_instant(text)


def _plain_utc(text: str) -> bool:
    """`YYYY-MM-DDThh:mm:ssZ` or `...+00:00` in ASCII digits, hour below 24: the shape
    nearly every instant sent has, which `datetime.fromisoformat` reads as the regex does."""
    return (
        text[4] == "-"
        and text[7] == "-"
        and text[10] == "T"
        and text[13] == ":"
        and text[16] == ":"
        and (text[19:] == "Z" or text[19:] == "+00:00")
        and text.isascii()
        and (text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]).isdigit()
        and text[11:13] < "24"
    )


def _parse_instant(text: str) -> datetime | None:
    match = _DATETIME.fullmatch(text)
    if match is None or not _in_range(match):
        return None
    year, month, day = int(match["y"]), int(match["m"] or 1), int(match["d"] or 1)
    try:
        if match["t"] is None:
            return datetime.combine(date(year, month, day), time(), LONDON).astimezone(UTC)
        clock = match["t"].replace(":60", ":59")  # leap second: clamp, do not reject
        value = datetime.fromisoformat(f"{match['y']}-{match['m']}-{match['d']}T{clock}")
    except ValueError:
        return None  # e.g. 2023-02-30
    zone = match["z"]
    if zone is None:
        return value.replace(tzinfo=LONDON).astimezone(UTC)
    offset = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(value.isoformat() + offset).astimezone(UTC)


def parse_date(text: str) -> date | None:
    """A FHIR date (or the date part of a dateTime) as a calendar date."""
    match = _DATETIME.fullmatch(text)
    if match is None or not _in_range(match):
        return None
    try:
        return date(int(match["y"]), int(match["m"] or 1), int(match["d"] or 1))
    except ValueError:
        return None


def _in_range(match: re.Match[str]) -> bool:
    """Years outside adapter.limits' range are refused: a deadline added to 9999-12-31
    overflows, and no letter or prescription is dated there (issue 15)."""
    return EARLIEST_YEAR <= int(match["y"]) <= LATEST_YEAR


def london_date(instant: datetime) -> date:
    """The calendar date in England at `instant` (for dated schedules and ages)."""
    return instant.astimezone(LONDON).date()


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def latest_instant(text: str) -> datetime | None:
    """For a date given only to the day, month or year, the last instant it may mean (the
    end of that day, month or year in Europe/London, less a microsecond); None for a
    dateTime with a time (an instant already) or a string that is no date."""
    if "T" in text:  # a time, or no FHIR date at all (the regex has T only before a time)
        return None
    match = _DATETIME.fullmatch(text)
    if match is None or match["t"] is not None or not _in_range(match):
        return None
    year = int(match["y"])
    try:
        if match["m"] is None:
            after = date(year + 1, 1, 1)
        elif match["d"] is None:
            month = int(match["m"])
            after = date(year + month // 12, month % 12 + 1, 1)
        else:
            after = date(year, int(match["m"]), int(match["d"])) + timedelta(days=1)
    except ValueError:
        return None
    start = datetime.combine(after, time(), LONDON).astimezone(UTC)
    return start - timedelta(microseconds=1)


def precision_of(text: str) -> str:
    """ "year", "month", "day" or "instant": how precisely a FHIR date/dateTime is given."""
    match = _DATETIME.fullmatch(text)
    if match is None or match["t"] is not None:
        return "instant"
    return "day" if match["d"] else "month" if match["m"] else "year"

"""Counting obligations by status, and the met rate the board pack reports.

Rate = met ÷ (met + breached). Pending and not-assessable obligations are counted and shown
but are in neither part of the rate: not-assessable is never counted as met.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapter.model import Status


@dataclass
class Tally:
    met: int = 0
    breached: int = 0
    pending: int = 0
    not_assessable: int = 0

    def add(self, status: Status) -> None:
        if status == "met":
            self.met += 1
        elif status == "breached":
            self.breached += 1
        elif status == "pending":
            self.pending += 1
        else:
            self.not_assessable += 1

    @property
    def total(self) -> int:
        return self.met + self.breached + self.pending + self.not_assessable

    @property
    def judged(self) -> int:
        return self.met + self.breached

    @property
    def rate(self) -> float | None:
        """Met ÷ (met + breached), or None when nothing was judged."""
        return self.met / self.judged if self.judged else None

    def to_json(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "breached": self.breached,
            "pending": self.pending,
            "not-assessable": self.not_assessable,
            "total": self.total,
            "rate": None if self.rate is None else round(self.rate, 4),
        }


def change_points(current: Tally, previous: Tally) -> float | None:
    """Change in met rate, in percentage points, or None when either rate is unknown."""
    if current.rate is None or previous.rate is None:
        return None
    return round((current.rate - previous.rate) * 100, 1)


def percent(rate: float | None) -> str:
    """A rate as the report prints it: `87.5 %`, or an en dash when there is none."""
    return "–" if rate is None else f"{rate * 100:.1f} %"


def points(change: float | None) -> str:
    """A change in percentage points: `+3.2 pts`, `−1.0 pts`, `no change`, or `–`."""
    if change is None:
        return "–"
    if change == 0:
        return "no change"
    sign = "+" if change > 0 else "−"
    return f"{sign}{abs(change):.1f} pts"

"""The board pack's view of a tally: change in met rate between periods, and how rates and
changes are printed. The counting and the rate itself are `adapter.tally.Tally`."""

from __future__ import annotations

from adapter.tally import Tally

__all__ = ["Tally", "change_points", "percent", "points"]


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

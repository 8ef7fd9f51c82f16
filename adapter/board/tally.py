"""The board pack's view of a tally: change in met rate between periods, and how rates and
changes are printed. The counting and the rate itself are `adapter.tally.Tally`."""

from __future__ import annotations

import math

from adapter.tally import Tally

__all__ = ["Tally", "change_points", "change_text", "percent", "points", "rate_text", "wilson"]


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


MIN_CASES_FOR_RATE = 10  # fewer judged cases than this: show counts, not a percentage
Z_95 = 1.959964


def wilson(met: int, judged: int) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of met ÷ judged, or None when nothing was judged."""
    if judged == 0:
        return None
    p = met / judged
    centre = p + Z_95**2 / (2 * judged)
    spread = Z_95 * math.sqrt(p * (1 - p) / judged + Z_95**2 / (4 * judged**2))
    scale = 1 + Z_95**2 / judged
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def rate_text(tally: Tally) -> str:
    """A rate as a board member should read it: `87.5 % (81–92 %)` with its 95 % interval,
    or, with fewer than MIN_CASES_FOR_RATE judged, the counts alone (`3 of 4 met`)."""
    if tally.judged == 0:
        return "none judged"
    if tally.judged < MIN_CASES_FOR_RATE:
        return f"{tally.met} of {tally.judged} met"
    low, high = wilson(tally.met, tally.judged) or (0.0, 0.0)
    return f"{percent(tally.rate)} ({low * 100:.0f}–{high * 100:.0f} %)"


def change_text(current: Tally, previous: Tally, change: float | None) -> str:
    """The change in points, unless either side is too small to give a rate."""
    if min(current.judged, previous.judged) < MIN_CASES_FOR_RATE:
        return "too few cases to compare"
    return points(change)

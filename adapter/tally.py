"""Counting obligations by status, and the met rate: the one place it is computed (the
board pack, the FHIR MeasureReport and the service's `/summary` all use `Tally`).

Rate = met ÷ (met + breached). Pending and not-assessable obligations are counted and shown
but are in neither part of the rate: not-assessable is never counted as met. Outputs print
a rate rounded to 4 decimal places (`Tally.rounded`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapter.model import Status

RATE_PLACES = 4


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

    @classmethod
    def of(cls, statuses: Iterable[Status]) -> Tally:
        tally = cls()
        for status in statuses:
            tally.add(status)
        return tally

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> Tally:
        """From counts keyed by status (`not-assessable` spelt as in rules.md)."""
        return cls(
            counts.get("met", 0),
            counts.get("breached", 0),
            counts.get("pending", 0),
            counts.get("not-assessable", 0),
        )

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

    @property
    def breach_rate(self) -> float | None:
        """Breached ÷ (met + breached), or None when nothing was judged."""
        return self.breached / self.judged if self.judged else None

    @staticmethod
    def rounded(rate: float | None) -> float | None:
        """A rate as every output carries it: 4 decimal places, None kept."""
        return None if rate is None else round(rate, RATE_PLACES)

    def to_json(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "breached": self.breached,
            "pending": self.pending,
            "not-assessable": self.not_assessable,
            "total": self.total,
            "rate": self.rounded(self.rate),
        }

"""When the event behind an obligation happened, from the fact of its subject: the instant
the board dates an obligation by (docs/contract.md §8).

    Composition        sent (the document Bundle's timestamp, else `date`)
    ServiceRequest     `authoredOn`
    MedicationRequest  `authoredOn`, else the transfer time (`validityPeriod.start`)
    MedicationStatement `dateAsserted`, else `effectiveDateTime`, else `effectivePeriod.start`
    Encounter          `period.end`, else `period.start`
    Appointment        `start`
"""

from __future__ import annotations

from datetime import datetime

from adapter.facts import (
    Attendance,
    Booking,
    Fact,
    Letter,
    MedicationOrder,
    MedicationUse,
    Request,
)


def event_time(fact: Fact | None) -> datetime | None:
    if isinstance(fact, Attendance):
        return fact.end or fact.start
    if isinstance(fact, Letter):
        return fact.sent
    if isinstance(fact, MedicationOrder):
        return fact.authored or fact.transfer_at
    if isinstance(fact, MedicationUse):
        return fact.asserted
    if isinstance(fact, Request):
        return fact.authored
    if isinstance(fact, Booking):
        return fact.start
    return None

"""discharge-summary-24h: a discharge summary reaches the practice within 24 hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import cast

from adapter.facts import Attendance
from adapter.model import Obligation
from adapter.params import DischargeSummary, Params
from adapter.rules.base import Board, Context, Rule, hours
from adapter.rules.letters import (
    LETTER_TABLES,
    Wording,
    judge_letter,
    owes_discharge_summary,
    parties_of,
)


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world, limit = ctx.world, cast(DischargeSummary, ctx.params).max_hours
    wording = Wording(
        "Discharge summary",
        "discharge",
        f"{hours(limit)} h",
        sent_span=lambda h: f"{hours(h)} h",
        waited_span="elapsed",
    )
    for attendance in world.of_type(Attendance):
        if not owes_discharge_summary(attendance, world):
            continue
        if attendance.end is None:
            yield RULE.obligation(
                "not-assessable",
                attendance.head.key,
                "The encounter has no discharge time (period.end), so the "
                f"{hours(limit)} h limit cannot be judged.",
                parties_of(attendance, world),
            )
            continue
        due = attendance.end + timedelta(hours=limit)
        latest = attendance.end_latest
        latest_due = latest + timedelta(hours=limit) if latest else None
        yield judge_letter(
            RULE, attendance, world, attendance.end, due, ctx.as_of, wording, latest_due
        )


RULE = Rule(
    id="discharge-summary-24h",
    title="Discharge summary sent to the practice within 24 hours",
    side="trust",
    domain4="complete-care",
    clause="SC11.5",
    why="The NHS Standard Contract requires a discharge summary to reach the GP within 24 hours "
    "of discharge from inpatient, day case or A&E care, so the practice can act on it.",
    met_example="Inpatient discharged 10:00 on 1 March; final discharge summary (SNOMED "
    "373942005) sent 18:00 the same day: met (8 h).",
    breached_example="Discharged 10:00 on 1 March; summary sent 17:30 on 2 March: breached "
    "(31.5 h after discharge; the limit is 24 h).",
    definition="After inpatient, day-case or A&E care (a finished Encounter of class IMP, ACUTE, "
    "NONAC, SS or EMER), the trust sends the discharge summary to the GP within "
    "{max_hours} hours of discharge (parameter max_hours).",
    board=Board(
        "Discharge summary within {max_hours} hours",
        "After inpatient, day-case or A&E care the trust sends the practice a final discharge "
        "summary within max_hours ({max_hours}) of discharge.",
        deadline=True,
    ),
    params=DischargeSummary,
    evaluate=evaluate,
    codes=LETTER_TABLES,
)

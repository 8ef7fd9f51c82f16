"""discharge-summary-24h: a discharge summary reaches the practice within 24 hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import cast

from adapter.facts import Attendance
from adapter.instants import hours_between
from adapter.model import Obligation
from adapter.params import DischargeSummary, Params
from adapter.rules.base import Context, Parties, Rule, by_deadline, elapsed, hours, when
from adapter.rules.letters import counting_letters, owes_discharge_summary


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world, limit = ctx.world, cast(DischargeSummary, ctx.params).max_hours
    for attendance in world.of_type(Attendance):
        if not owes_discharge_summary(attendance, world):
            continue
        parties = Parties(
            patient=world.patient_label(attendance.patient),
            owner=world.trust_of_encounter(attendance),
            owed_to=world.practice_of_patient(attendance.patient),
        )
        subject = attendance.head.key
        if attendance.end is None:
            yield RULE.obligation(
                "not-assessable",
                subject,
                "The encounter has no discharge time "
                "(period.end), so the 24 h limit cannot be judged.",
                parties,
            )
            continue
        due = attendance.end + timedelta(hours=limit)
        letters = counting_letters(attendance, world)
        if letters:
            first = letters[0]
            assert first.sent is not None  # noqa: S101 - counting_letters keeps sent ones only
            late = hours_between(attendance.end, first.sent)
            yield RULE.obligation(
                by_deadline(due, first.sent, ctx.as_of),
                subject,
                f"Discharge summary sent {hours(late)} h after discharge; "
                f"the limit is {hours(limit)} h.",
                parties,
                due=due,
                fulfilled_at=first.sent,
                evidence=[first.head.key],
            )
            continue
        status = by_deadline(due, None, ctx.as_of)
        waited = hours_between(attendance.end, ctx.as_of)
        detail = (
            f"No discharge summary sent {elapsed(waited)} after discharge; the limit is "
            f"{hours(limit)} h."
            if status == "breached"
            else f"No discharge summary yet; due by {when(due)}."
        )
        yield RULE.obligation(status, subject, detail, parties, due=due)


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
    evaluate=evaluate,
)

"""clinic-letter-7d: a clinic letter reaches the practice within the contract's days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import cast

from adapter.facts import Attendance
from adapter.instants import london_date
from adapter.model import Obligation
from adapter.params import ClinicLetter, Params
from adapter.rules.base import Context, Parties, Rule, by_deadline, days, when
from adapter.rules.letters import counting_letters, owes_clinic_letter


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world, params = ctx.world, cast(ClinicLetter, ctx.params)
    for attendance in world.of_type(Attendance):
        if not owes_clinic_letter(attendance, world):
            continue
        parties = Parties(
            patient=world.patient_label(attendance.patient),
            owner=world.trust_of_encounter(attendance),
            owed_to=world.practice_of_patient(attendance.patient),
        )
        subject = attendance.head.key
        attended = attendance.end or attendance.start
        if attended is None:
            yield RULE.obligation(
                "not-assessable",
                subject,
                "The attendance has no date "
                "(period.end or period.start), so the letter deadline cannot "
                "be judged.",
                parties,
            )
            continue
        limit = params.max_days_on(london_date(attended))
        due = attended + timedelta(days=limit)
        letters = counting_letters(attendance, world)
        if letters:
            first = letters[0]
            sent = first.sent or due
            taken = (sent - attended).total_seconds() / 86400
            yield RULE.obligation(
                by_deadline(due, sent, ctx.as_of),
                subject,
                f"Clinic letter sent {days(taken)} days after the attendance; the limit is "
                f"{days(limit)} days.",
                parties,
                due=due,
                fulfilled_at=sent,
                evidence=[first.head.key],
            )
            continue
        status = by_deadline(due, None, ctx.as_of)
        detail = (
            f"No clinic letter sent {days((ctx.as_of - attended).total_seconds() / 86400)} "
            f"days after the attendance; the limit is {days(limit)} days."
            if status == "breached"
            else f"No clinic letter yet; due by {when(due)}."
        )
        yield RULE.obligation(status, subject, detail, parties, due=due)


RULE = Rule(
    id="clinic-letter-7d",
    title="Clinic letter sent to the practice within 7 days (dated schedule)",
    side="trust",
    domain4="complete-care",
    clause="SC11.7",
    why="The NHS Standard Contract requires a clinic letter after an outpatient attendance: "
    "within 14 days (2016/17), 10 days (from April 2017) and 7 days (from April 2018).",
    met_example="Outpatient clinic on 3 June 2024; clinic letter (not a discharge summary) sent "
    "7 June: met (4 days; the limit is 7 days).",
    breached_example="Clinic on 3 June 2024; letter sent 14 June: breached (11 days; the limit "
    "is 7 days). A clinic in March 2017 would have had 14 days.",
    evaluate=evaluate,
)

"""clinic-letter-7d: a clinic letter reaches the practice within the contract's days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import cast

from adapter.facts import Attendance
from adapter.instants import london_date
from adapter.model import Obligation
from adapter.params import ClinicLetter, Params
from adapter.rules.base import Board, Context, Rule, days, in_days
from adapter.rules.letters import (
    LETTER_TABLES,
    Wording,
    judge_letter,
    owes_clinic_letter,
    parties_of,
)


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for attendance in world.of_type(Attendance):
        if not owes_clinic_letter(attendance, world):
            continue
        attended = attendance.end or attendance.start
        if attended is None:
            yield RULE.obligation(
                "not-assessable",
                attendance.head.key,
                "The attendance has no date (period.end or period.start), so the letter "
                "deadline cannot be judged.",
                parties_of(attendance, world),
            )
            continue
        # The limit of the contract edition in force on the attendance date (its event).
        params = cast(ClinicLetter, ctx.terms_at(attended)[1])
        limit = params.max_days_on(london_date(attended))
        wording = Wording(
            "Clinic letter",
            "the attendance",
            f"{days(limit)} days",
            sent_span=in_days,
            waited_span="days",
        )
        due = attended + timedelta(days=limit)
        latest = attendance.end_latest if attendance.end else attendance.start_latest
        latest_due = latest + timedelta(days=limit) if latest else None
        yield judge_letter(RULE, attendance, world, attended, due, ctx.as_of, wording, latest_due)


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
    definition="After an outpatient attendance (a finished Encounter of class AMB or VR), "
    "the trust sends the clinic letter to the GP within {max_days} days of the attendance "
    "({schedule}; dated by contract edition, parameter max_days).",
    board=Board(
        "Clinic letter within {max_days} days",
        "After an outpatient attendance the trust sends a final clinic letter within the number of"
        " days in force on the attendance date ({max_days} days from {since}).",
        deadline=True,
    ),
    params=ClinicLetter,
    evaluate=evaluate,
    codes=LETTER_TABLES,
)

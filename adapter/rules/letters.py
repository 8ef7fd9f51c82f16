"""Which Encounters owe a letter, and which Compositions count as that letter (rules.md
§5.1, §5.2, shared by §5.9)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from adapter.deadline import WAITED, Clock, Span, judge_open, status_at
from adapter.facts import Attendance, Letter
from adapter.instants import hours_between
from adapter.link import World
from adapter.model import Obligation
from adapter.rules.base import FINAL, Parties, Rule, when


def is_discharge_summary(letter: Letter, world: World) -> bool:
    types = world.policy.codes["discharge-summary-types"]
    return any(concept.has_code(types) for concept in letter.types)


def owes_discharge_summary(attendance: Attendance, world: World) -> bool:
    classes = world.policy.codes["inpatient-classes"]
    return attendance.status == "finished" and attendance.klass in classes


def owes_clinic_letter(attendance: Attendance, world: World) -> bool:
    classes = world.policy.codes["outpatient-classes"]
    return attendance.status == "finished" and attendance.klass in classes


def counting_letters(attendance: Attendance, world: World) -> list[Letter]:
    """The sent final/amended letters of the kind this attendance owes, earliest first."""
    letters = world.letters_by_encounter.get(attendance.head.key, [])
    if owes_discharge_summary(attendance, world):
        wanted = [x for x in letters if is_discharge_summary(x, world)]
    elif owes_clinic_letter(attendance, world):
        wanted = [x for x in letters if not is_discharge_summary(x, world)]
    else:
        return []
    sent = [x for x in wanted if x.status in FINAL and x.sent is not None]
    return sorted(sent, key=lambda x: (x.sent, x.head.key))


@dataclass(frozen=True)
class Wording:
    """How a letter rule words its detail sentence."""

    letter: str  # "Discharge summary"
    since: str  # "discharge"
    limit: str  # "24 h"
    sent_span: Callable[[float], str]  # hours taken → "31.5 h"
    waited_span: Span  # how the hours waited are written once overdue


def parties_of(attendance: Attendance, world: World) -> Parties:
    return Parties(
        patient=world.patient_label(attendance.patient),
        owner=world.trust_of_encounter(attendance),
        owed_to=world.practice_of_patient(attendance.patient),
    )


def sent_sentence(
    wording: Wording, start: datetime, sent: datetime, delivered: datetime | None
) -> str:
    """The detail of a sent letter; with an ITK3 business acknowledgement, the delivery
    time beside the sent time and the clock the deadline used (docs/contract.md §2)."""
    taken = wording.sent_span(hours_between(start, sent))
    if delivered is None:
        return f"{wording.letter} sent {taken} after {wording.since}; the limit is {wording.limit}."
    reached = wording.sent_span(hours_between(start, delivered))
    return (
        f"{wording.letter} sent {taken} after {wording.since} and acknowledged by the "
        f"practice {reached} after {wording.since} (ITK3 business acknowledgement); the limit is "
        f"{wording.limit}, judged on the sent time."
    )


def judge_letter(
    rule: Rule,
    attendance: Attendance,
    world: World,
    start: datetime,
    due: datetime,
    as_of: datetime,
    wording: Wording,
) -> Obligation:
    """The obligation of a letter due by `due` for an attendance that ended at `start`: the
    earliest counting letter decides (rules.md §5.1, §5.2)."""
    parties = parties_of(attendance, world)
    subject = attendance.head.key
    letters = counting_letters(attendance, world)
    sent = letters[0].sent if letters else None
    if sent is not None:
        return rule.obligation(
            status_at(due, sent, as_of),
            subject,
            sent_sentence(wording, start, sent, world.delivered_at(letters[0])),
            parties,
            due=due,
            fulfilled_at=sent,
            evidence=[letters[0].head.key],
            event_at=start,
        )
    clock = Clock(
        pending=f"No {wording.letter.lower()} yet; due by {when(due)}.",
        overdue=f"No {wording.letter.lower()} had been sent {WAITED} after {wording.since}; "
        f"the limit is {wording.limit}.",
        span=wording.waited_span,
    )
    status, detail = judge_open(due, clock, start, as_of)
    return rule.obligation(status, subject, detail, parties, due=due, clock=clock, event_at=start)

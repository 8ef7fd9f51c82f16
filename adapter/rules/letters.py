"""Which Encounters owe a letter, and which Compositions count as that letter (rules.md
§5.1, §5.2, shared by §5.9)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from adapter.deadline import WAITED, Clock, Span, judge_open, status_at
from adapter.facts import Attendance, Letter
from adapter.instants import hours_between, london_date
from adapter.link import World
from adapter.model import Obligation
from adapter.rules.base import FINAL, WITHDRAWN, Parties, Rule, when


def is_discharge_summary(letter: Letter, world: World) -> bool:
    types = world.policy.codes["discharge-summary-types"]
    return any(concept.has_code(types) for concept in letter.types)


# The code tables these helpers read: every rule that uses them declares them all.
LETTER_TABLES = (
    "inpatient-classes",
    "outpatient-classes",
    "discharge-summary-types",
    "no-letter-providers",
    "no-letter-encounter-types",
    "no-letter-referral-categories",
)


def owes_discharge_summary(attendance: Attendance, world: World) -> bool:
    return _owes(attendance, world, world.policy.codes["inpatient-classes"])


def owes_clinic_letter(attendance: Attendance, world: World) -> bool:
    return _owes(attendance, world, world.policy.codes["outpatient-classes"])


def _owes(attendance: Attendance, world: World, classes: frozenset[str]) -> bool:
    return (
        attendance.status == "finished"
        and attendance.klass in classes
        and owes_letters(attendance, world)
    )


def owes_letters(attendance: Attendance, world: World) -> bool:
    """Letter duties fall on trusts for inpatient, day case, A&E and outpatient care only
    (docs/contract.md §4): not on an ambulance, 111/CAS, practice or pharmacy provider, not
    for an ambulance call, and not for the 111, 999, CAD or primary care contact a BaRS
    referral comes from. An unknown provider still owes (and is judged not-assessable)."""
    codes = world.policy.codes
    if world.provider_class(attendance.provider) in codes["no-letter-providers"]:
        return False
    if any(t.has_code(codes["no-letter-encounter-types"]) for t in attendance.types):
        return False
    return attendance.head.key not in world.referral_contacts


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


def undated_letters(attendance: Attendance, world: World) -> list[Letter]:
    """Final letters of the kind owed that give no time at all (a DocumentReference with no
    date): the letter exists, so its absence cannot be judged either."""
    letters = world.letters_by_encounter.get(attendance.head.key, [])
    if owes_discharge_summary(attendance, world):
        wanted = [x for x in letters if is_discharge_summary(x, world)]
    else:
        wanted = [x for x in letters if not is_discharge_summary(x, world)]
    return [x for x in wanted if x.status in FINAL and x.sent is None]


def parties_of(attendance: Attendance, world: World) -> Parties:
    """The encounter's trust (rules.md §2); when the Encounter names none, the trust that is
    custodian of a letter about it (docs/contract.md §4): it answers for that care."""
    return Parties(
        patient=world.patient_label(attendance.patient),
        owner=world.trust_of_encounter(attendance) or letter_custodian(attendance, world),
        owed_to=world.practice_of_patient(attendance.patient),
    )


def letter_custodian(attendance: Attendance, world: World) -> str | None:
    letters = world.letters_by_encounter.get(attendance.head.key, [])
    for letter in sorted(letters, key=lambda x: x.head.key):
        if letter.status not in WITHDRAWN and world.role(letter.custodian) == "trust":
            return world.ods(letter.custodian)
    return None


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
    latest_due: datetime | None = None,
) -> Obligation:
    """The obligation of a letter due by `due` for an attendance that ended at `start`: the
    earliest counting letter decides (rules.md §5.1, §5.2). `latest_due` is the due time
    when the attendance time is given only to the day, month or year and means its last
    instant: when the two do not agree, the deadline cannot be judged at that precision
    (docs/contract.md §5)."""
    judged = _judge_letter(rule, attendance, world, start, due, as_of, wording)
    if latest_due is None or judged.status == "not-assessable":
        return judged
    sent = judged.fulfilled_at
    if sent is None:
        # No letter yet: only the clock decides, so it runs to the latest due time and the
        # store's read-time status never turns it breached too early.
        return _judge_letter(rule, attendance, world, start, latest_due, as_of, wording)
    if status_at(latest_due, sent, as_of) == judged.status:
        return judged
    return rule.obligation(
        "not-assessable",
        judged.subject,
        f"The time of {wording.since} is given only as a date, month or year (from "
        f"{london_date(start)}), so whether the {wording.letter.lower()} was within "
        f"{wording.limit} cannot be judged at that precision.",
        parties_of(attendance, world),
    )


def _judge_letter(
    rule: Rule,
    attendance: Attendance,
    world: World,
    start: datetime,
    due: datetime,
    as_of: datetime,
    wording: Wording,
) -> Obligation:
    parties = parties_of(attendance, world)
    subject = attendance.head.key
    undated = undated_letters(attendance, world)
    if undated:
        return rule.obligation(
            "not-assessable",
            subject,
            f"{undated[0].head.key} is a {wording.letter.lower()} with no date, so when it was "
            "sent cannot be judged.",
            parties,
        )
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

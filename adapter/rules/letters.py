"""Which Encounters owe a letter, and which Compositions count as that letter (rules.md
§5.1, §5.2, shared by §5.9)."""

from __future__ import annotations

from adapter.facts import Attendance, Letter
from adapter.link import World
from adapter.rules.base import FINAL


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

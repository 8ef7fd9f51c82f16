"""point-of-contact (rules.md §5.9): each discharge summary and clinic letter names a clear
contact.

Read as the spec: the subjects are the trust's letters that 5.1 or 5.2 would count
(`subjects`); each gets one `Verdict` (a phone or email in the contact section, on an
author, or nowhere), and the verdict makes the one obligation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from adapter.facts import Letter, Person, Role
from adapter.link import World
from adapter.model import Obligation, Status
from adapter.params import NoParams, Params
from adapter.rules.base import FINAL, Board, Context, Parties, Rule
from adapter.rules.letters import (
    LETTER_TABLES,
    is_discharge_summary,
    owes_clinic_letter,
    owes_discharge_summary,
)
from adapter.rules.narrative import findings


def counts_as_interface_letter(letter: Letter, world: World) -> bool:
    """A letter 5.1 or 5.2 would count for its Encounter, on time or not, earliest or not."""
    attendance = world.encounter(letter.encounter)
    if attendance is None or letter.status not in FINAL:
        return False
    if owes_discharge_summary(attendance, world):
        return is_discharge_summary(letter, world)
    return owes_clinic_letter(attendance, world) and not is_discharge_summary(letter, world)


def is_from_trust(letter: Letter, world: World) -> bool:
    """Not from a trust only when its owner is known, its custodian is known and not a
    trust, and its Encounter's provider is not a trust."""
    if world.trust_of_letter(letter) is None:
        return True
    if world.role(letter.custodian) in (None, "trust"):
        return True
    attendance = world.encounter(letter.encounter)
    return attendance is not None and world.role(attendance.provider) == "trust"


def subjects(world: World) -> Iterator[Letter]:
    for letter in world.of_type(Letter):
        if counts_as_interface_letter(letter, world) and is_from_trust(letter, world):
            yield letter


def contact_author(letter: Letter, world: World) -> str | None:
    for ref in letter.authors:
        fact = world.resolve(ref)
        if isinstance(fact, Person | Role) and fact.has_contact:
            return fact.head.key
    return None


Where = Literal["section", "author", "unread", "nowhere"]
_SAYS: dict[Where, tuple[Status, str]] = {
    "section": ("met", "The letter gives a phone number or email in its contact section."),
    "author": ("met", "The letter's author has a phone number or email."),
    # docs/contract.md §3: a DocumentReference letter's attachment is not read
    "unread": (
        "not-assessable",
        "The letter is an attachment the referee does not read, and its author has no phone "
        "number or email, so its point of contact cannot be judged.",
    ),
    "nowhere": ("breached", "The letter gives no phone number or email for the responsible team."),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Where the letter's point of contact is, and the resource that shows it."""

    where: Where
    evidence: str


def verdict(letter: Letter, world: World) -> Verdict:
    if findings(letter, world.policy).contact_section:
        return Verdict("section", letter.head.key)
    author = contact_author(letter, world)
    if author is not None:
        return Verdict("author", author)
    if letter.attachment is not None:
        return Verdict("unread", letter.head.key)
    return Verdict("nowhere", letter.head.key)


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for letter in subjects(world):
        found = verdict(letter, world)
        status, detail = _SAYS[found.where]
        parties = Parties(
            patient=world.patient_label(letter.patient),
            owner=world.trust_of_letter(letter),
            owed_to=world.practice_of_patient(letter.patient),
        )
        yield RULE.obligation(status, letter.head.key, detail, parties, evidence=[found.evidence])


RULE = Rule(
    id="point-of-contact",
    title="Clear point of contact on every letter",
    side="trust",
    domain4="points-of-contact",
    clause="Delivery Plan 2023",
    why="The Delivery Plan for Recovering Access to Primary Care (2023) asks trusts to give "
    "practices a clear route to the responsible team, so questions do not bounce back.",
    met_example="Section contact-for-further-information: 'Ward 7 secretaries, 0113 496 0000.': "
    "met.",
    breached_example="A discharge summary with no contact section and an author without phone "
    "or email (a switchboard on the Organization alone does not count): breached.",
    definition="Every discharge summary and clinic letter gives a clear point of contact for "
    "questions: a phone number or email address in the contact section, or on its author.",
    board=Board(
        "Clear point of contact",
        "Every discharge summary and clinic letter names a phone number or email address for the "
        "responsible team.",
        deadline=False,
    ),
    params=NoParams,
    evaluate=evaluate,
    codes=(*LETTER_TABLES, "contact-section"),
    phrases=("phone", "email"),
)

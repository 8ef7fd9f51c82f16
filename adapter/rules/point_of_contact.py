"""point-of-contact: each discharge summary and clinic letter names a clear contact."""

from __future__ import annotations

from collections.abc import Iterator

from adapter.facts import Letter, Person, Role
from adapter.link import World
from adapter.model import Obligation
from adapter.params import Params
from adapter.rules.base import FINAL, Context, Parties, Rule
from adapter.rules.letters import is_discharge_summary, owes_clinic_letter, owes_discharge_summary


def counts_as_interface_letter(letter: Letter, world: World) -> bool:
    """A letter 5.1 or 5.2 would count for its Encounter, on time or not, earliest or not."""
    attendance = world.encounter(letter.encounter)
    if attendance is None or letter.status not in FINAL:
        return False
    if owes_discharge_summary(attendance, world):
        return is_discharge_summary(letter, world)
    return owes_clinic_letter(attendance, world) and not is_discharge_summary(letter, world)


def contact_author(letter: Letter, world: World) -> str | None:
    for ref in letter.authors:
        fact = world.resolve(ref)
        if isinstance(fact, Person | Role) and fact.has_contact:
            return fact.head.key
    return None


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for letter in world.of_type(Letter):
        if not counts_as_interface_letter(letter, world):
            continue
        owner = world.trust_of_letter(letter)
        if (
            owner is not None
            and world.role(letter.custodian) not in (None, "trust")
            and (
                world.role(world.encounter(letter.encounter).provider) != "trust"  # type: ignore[union-attr]
            )
        ):
            continue  # not from a trust
        parties = Parties(
            patient=world.patient_label(letter.patient),
            owner=owner,
            owed_to=world.practice_of_patient(letter.patient),
        )
        author = contact_author(letter, world)
        if letter.findings.contact_section:
            yield RULE.obligation(
                "met",
                letter.head.key,
                "The letter gives a phone number or email in its contact section.",
                parties,
                evidence=[letter.head.key],
            )
        elif author is not None:
            yield RULE.obligation(
                "met",
                letter.head.key,
                "The letter's author has a phone number or email.",
                parties,
                evidence=[author],
            )
        elif letter.attachment is not None:
            yield RULE.obligation(
                "not-assessable",
                letter.head.key,
                f"The letter is an attachment ({letter.attachment}) the referee does not read, "
                "and its author has no phone number or email, so its point of contact cannot "
                "be judged.",
                parties,
            )
        else:
            yield RULE.obligation(
                "breached",
                letter.head.key,
                "The letter gives no phone number or email for the responsible team.",
                parties,
                evidence=[letter.head.key],
            )


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
    evaluate=evaluate,
)

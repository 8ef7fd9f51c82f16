"""trust-handles-patient-queries: the trust answers patients' questions about its own care
and gives them the results of the tests it ordered, rather than sending them, or the
practice, to the GP (docs/contract.md §11.3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from adapter.facts import (
    Attendance,
    Booking,
    Fact,
    Letter,
    ObservationFact,
    Reply,
    Request,
    TaskFact,
)
from adapter.link import World
from adapter.model import Obligation
from adapter.params import NoParams, Params
from adapter.rules.advice_and_guidance_response import is_advice_request
from adapter.rules.base import FINAL, Board, Context, Parties, Rule, clip
from adapter.rules.narrative import Findings, findings, read_findings

# A Task the practice is no longer asked to do.
CLOSED = frozenset({"cancelled", "rejected", "entered-in-error", "draft"})


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for letter in world.of_type(Letter):
        if letter.status not in FINAL or world.role(letter.custodian) == "practice":
            continue
        parties = Parties(
            patient=world.patient_label(letter.patient),
            owner=world.trust_of_letter(letter),
            owed_to=world.practice_of_patient(letter.patient),
            evidence=(letter.head.key,),
        )
        found = _verdict(findings(letter, world.policy), "letter", letter.head.key, parties)
        if found is not None:
            yield found
    yield from _messages(world)
    yield from _tasks(world)


def _verdict(
    found: Findings, what: str, key: str, parties: Parties, at: datetime | None = None
) -> Obligation | None:
    """Breached by a sentence sending the patient or practice to the GP, whatever else is
    said; met by a route back to the trust; nothing said of either: no subject."""
    if found.query_to_gp:
        detail = f'The {what} sends the patient to the GP: "{clip(found.query_to_gp[0])}"'
        return RULE.obligation("breached", key, detail, parties, event_at=at)
    if found.query_to_trust:
        detail = f"The {what} gives the patient a route back to the trust for queries and results."
        return RULE.obligation("met", key, detail, parties, event_at=at)
    return None


def _messages(world: World) -> Iterator[Obligation]:
    """A trust's Communication to the practice, read sentence by sentence like a letter. An
    Advice & Guidance answer is advice on the practice's own care, not the trust's: no
    subject."""
    for reply in world.of_type(Reply):
        if not reply.sentences or world.role(reply.sender) != "trust":
            continue
        practice = next(
            (ods for ods in map(world.practice_side_ods, reply.recipients) if ods), None
        )
        if practice is None or _advice_conversation(reply, world):
            continue
        parties = Parties(
            patient=world.patient_label(reply.patient),
            owner=world.ods(reply.sender),
            owed_to=practice,
            evidence=(reply.head.key,),
        )
        found = read_findings(((None, reply.sentences),), world.policy)
        made = _verdict(found, "message", reply.head.key, parties, reply.sent)
        if made is not None:
            yield made


def _advice_conversation(reply: Reply, world: World) -> bool:
    return any(
        isinstance(request, Request) and is_advice_request(request, world)
        for request in map(world.resolve, reply.based_on)
    )


def _tasks(world: World) -> Iterator[Obligation]:
    """A trust's Task giving the practice the patient's results or appointment to deal with
    (`patient-query-task-words`): breached when its focus is the trust's own care; when that
    cannot be told (no focus, not sent, or no organisation), not-assessable; when the focus is
    another organisation's care (the practice's own test), no subject."""
    words = world.policy.codes["patient-query-task-words"]
    for task in world.of_type(TaskFact):
        if task.status in CLOSED or world.role(task.requester) != "trust":
            continue
        practice = world.practice_side_ods(task.owner)
        asked = next((w for w in sorted(words) if w in task.asks), None)
        if practice is None or asked is None:
            continue
        trust = world.ods(task.requester)
        focus = world.resolve(task.focus)
        whose = _care_of(focus, world) if focus is not None else None
        parties = Parties(
            patient=_patient(focus, world) or world.patient_label(task.patient),
            owner=trust,
            owed_to=practice,
            evidence=(task.head.key,),
        )
        if whose is None:
            named = (task.focus.reference or task.focus.value) if task.focus else None
            shown = (
                f"its focus {named} was not sent or names no organisation"
                if named
                else ("it has no focus")
            )
            detail = (
                f'The trust asks the practice to "{asked}", but whether that is the trust\'s '
                f"own care cannot be told: {shown}."
            )
            yield RULE.obligation(
                "not-assessable", task.head.key, detail, parties, event_at=task.when
            )
        elif whose == trust:
            detail = f'The trust asks the practice to "{asked}" for the trust\'s own care.'
            yield RULE.obligation("breached", task.head.key, detail, parties, event_at=task.when)


def _care_of(fact: Fact, world: World) -> str | None:
    """The organisation whose care a Task's focus is: the trust that ordered a test or
    referral, ran an encounter, booked an appointment or wrote a letter."""
    if isinstance(fact, Request):
        return world.trust_of_order(fact)
    if isinstance(fact, Booking):
        return world.trust_of_booking(fact)
    if isinstance(fact, Attendance):
        return world.trust_of_encounter(fact)
    if isinstance(fact, ObservationFact):
        return world.trust_of_encounter(world.encounter(fact.encounter))
    if isinstance(fact, Letter):
        return world.trust_of_letter(fact)
    return None


def _patient(fact: Fact | None, world: World) -> str | None:
    """The patient of a Task's focus; None when the focus was not sent or names none (the
    Task's own `for` is read then)."""
    if isinstance(fact, (Request, Attendance, Letter)):
        return world.patient_label(fact.patient)
    if isinstance(fact, Booking):
        return world.patient_label(world.booking_patient(fact))
    return None


RULE = Rule(
    id="trust-handles-patient-queries",
    title="Trust answers patients' queries and gives its own results",
    side="trust",
    domain4="complete-care",
    clause="SC11",
    why="The NHS Standard Contract and NHS England's 2017 interface guidance say the trust "
    "answers patients' questions about its own care and gives them the results of the tests "
    "it ordered; sending them to the GP for that moves the trust's work to the practice.",
    met_example="'If you have any questions about your results, please contact the clinic on "
    "01632 960123.': met.",
    breached_example="'Please contact your GP for your results.': breached.",
    definition="A trust letter gives the patient a route back to the trust for queries and "
    "results, and never sends the patient or the practice to the GP for the trust's own "
    "results or appointments.",
    board=Board(
        "Trust answers patients' queries and results",
        "A trust letter gives the patient a route back to the trust for queries and results, "
        "not to the GP.",
        deadline=False,
    ),
    params=NoParams,
    evaluate=evaluate,
    phrases=("patient-query-to-gp", "patient-query-to-trust", "patient-query-not-to-gp"),
    codes=("patient-query-task-words", "advice-and-guidance-codes", "advice-and-guidance-words"),
)

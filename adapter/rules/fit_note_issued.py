"""fit-note-issued: the trust issues the fit note the patient needs."""

from __future__ import annotations

from collections.abc import Iterator

from adapter.facts import Attendance, Concept, DocumentFact
from adapter.link import World
from adapter.model import Obligation
from adapter.params import NoParams, Params
from adapter.policy import Policy
from adapter.rules.base import WITHDRAWN, Board, Context, Parties, Rule
from adapter.rules.letters import LETTER_TABLES, owes_clinic_letter, owes_discharge_summary
from adapter.rules.narrative import findings

# rules.md §5.5: this precedence replaces the general combination of §6.
PRECEDENCE = ("not-needed", "asked-of-gp", "issued", "needed")
DETAIL = {
    "asked-of-gp": "The trust asked the GP to issue a fit note instead of issuing it.",
    "issued": "The trust issued the fit note.",
    "needed": "The patient needed a fit note and none was issued by the trust.",
}


def coded_as_issued(concept: Concept, world: World) -> bool:
    """A coding that records a fit note (Med3) as issued (docs/contract.md §6): a code in
    `fit-note-issued-codes`, or a display or text naming a Med3 / fit note as issued."""
    if concept.has_code(world.policy.codes["fit-note-issued-codes"]):
        return True
    return bool(world.policy.phrases["fit-note-coded-issued"].search(concept.words()))


def is_fit_note(document: DocumentFact, policy: Policy) -> bool:
    """A DocumentReference whose type names a fit note (phrase list document-fit-note)."""
    names = policy.phrases["document-fit-note"]
    return any(names.search(kind.words()) for kind in document.types)


def evidence_for(attendance: Attendance, world: World) -> dict[str, list[str]]:
    """Each kind of fit-note evidence about the attendance, with the resources that say it."""
    found: dict[str, list[str]] = {kind: [] for kind in PRECEDENCE}
    key = attendance.head.key
    for letter in world.letters_by_encounter.get(key, []):
        if letter.status not in WITHDRAWN:
            for kind in findings(letter, world.policy).fit_note:
                found[kind].append(letter.head.key)
    codes = world.policy.codes["fit-note-observations"]
    for observation in world.observations_by_encounter.get(key, []):
        if any(coded_as_issued(c, world) for c in observation.concepts):
            found["issued"].append(observation.head.key)
        elif any(c.has_code(codes) for c in observation.concepts):
            found["needed"].append(observation.head.key)
    for document in world.documents_by_encounter.get(key, []):
        if is_fit_note(document, world.policy):
            found["issued"].append(document.head.key)
    return found


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for attendance in world.of_type(Attendance):
        if not (owes_discharge_summary(attendance, world) or owes_clinic_letter(attendance, world)):
            continue
        found = evidence_for(attendance, world)
        kind = next((k for k in PRECEDENCE if found[k]), None)
        if kind is None or kind == "not-needed":
            continue
        yield RULE.obligation(
            "met" if kind == "issued" else "breached",
            attendance.head.key,
            DETAIL[kind],
            Parties(
                patient=world.patient_label(attendance.patient),
                owner=world.trust_of_encounter(attendance),
                owed_to=world.practice_of_patient(attendance.patient),
            ),
            evidence=found[kind],
        )


RULE = Rule(
    id="fit-note-issued",
    title="Fit notes issued by the trust, not left to the GP",
    side="trust",
    domain4="complete-care",
    clause="SC11.11",
    why="The NHS Standard Contract requires the trust to issue any fit note (Med3) the patient "
    "needs, covering the whole expected period, rather than sending the patient to the GP.",
    met_example="Discharge summary: 'Fit note issued for 4 weeks.': met.",
    breached_example="Discharge summary: 'Please ask the GP to issue a fit note.' (asked of the "
    "GP), or 'Off work for 6 weeks.' with no fit note issued: breached.",
    definition="When a patient needs a fit note (Med3) after hospital care, the trust issues it "
    "itself instead of asking the GP to.",
    board=Board(
        "Trust issues the fit note",
        "When a patient needs a fit note after hospital care, the trust issues it rather than "
        "asking the GP to.",
        deadline=False,
    ),
    params=NoParams,
    evaluate=evaluate,
    codes=(*LETTER_TABLES, "fit-note-observations", "fit-note-issued-codes"),
    phrases=(
        "fit-note-not-needed",
        "fit-note-asked-of-gp",
        "fit-note-issued",
        "fit-note-needed",
        "document-fit-note",
        "fit-note-coded-issued",
    ),
)

"""trust-handles-patient-queries: the trust answers patients' questions about its own care
and gives them the results of the tests it ordered, rather than sending them to the GP
(docs/contract.md §11.3)."""

from __future__ import annotations

from collections.abc import Iterator

from adapter.facts import Letter
from adapter.model import Obligation
from adapter.params import NoParams, Params
from adapter.rules.base import FINAL, Board, Context, Parties, Rule, clip
from adapter.rules.narrative import findings


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world = ctx.world
    for letter in world.of_type(Letter):
        if letter.status not in FINAL or world.role(letter.custodian) == "practice":
            continue
        found = findings(letter, world.policy)
        if not found.query_to_gp and not found.query_to_trust:
            continue  # the letter says nothing about queries or results
        parties = Parties(
            patient=world.patient_label(letter.patient),
            owner=world.trust_of_letter(letter),
            owed_to=world.practice_of_patient(letter.patient),
            evidence=(letter.head.key,),
        )
        if found.query_to_gp:
            detail = f'The letter sends the patient to the GP: "{clip(found.query_to_gp[0])}"'
            yield RULE.obligation("breached", letter.head.key, detail, parties)
        else:
            detail = (
                "The letter gives the patient a route back to the trust for queries and results."
            )
            yield RULE.obligation("met", letter.head.key, detail, parties)


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
    phrases=("patient-query-to-gp", "patient-query-to-trust"),
)

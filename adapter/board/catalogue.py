"""What the board pack says about each rule and each Delivery Plan area (rules.md §5).

Everything about a rule (who owes it, its area and clause, the board's short title, its
one-sentence definition and whether it has a deadline) comes from the rule object in
`adapter.rules`; the title and definition are worded with the parameters in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from adapter.params import Params
from adapter.rules import CATALOGUE, Rule

Side = Literal["trust", "practice"]


@dataclass(frozen=True)
class RuleInfo:
    rule: str
    title: str
    side: Side
    area: str
    clause: str
    definition: str
    deadline: bool


AREAS: dict[str, str] = {
    "onward-referrals": "Onward referrals",
    "complete-care": "Complete care",
    "call-and-recall": "Call and recall",
    "points-of-contact": "Points of contact",
}


def describe(rule: Rule, params: Params | None = None) -> RuleInfo:
    """The board's view of `rule`, worded with `params` (national defaults when None)."""
    title, definition = rule.board_wording(params)
    return RuleInfo(
        rule.id, title, rule.side, rule.domain4, rule.clause, definition, rule.board.deadline
    )


_RULES = tuple(describe(rule) for rule in CATALOGUE)
RULES: dict[str, RuleInfo] = {info.rule: info for info in _RULES}
TRUST_RULES: tuple[str, ...] = tuple(r.rule for r in _RULES if r.side == "trust")
PRACTICE_RULE = "referral-complete"


def info(rule: str) -> RuleInfo:
    """What is known about `rule`; an unknown id (a newer engine) is described plainly."""
    known = RULES.get(rule)
    if known is not None:
        return known
    return RuleInfo(rule, rule, "trust", "", "", "Not described in this version.", False)


def area_label(area: str | None) -> str:
    if area is None:
        return "No Delivery Plan area"
    return AREAS.get(area, area)

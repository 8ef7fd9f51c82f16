"""Interface Referee: reads FHIR R4 traffic between GP practices and hospital trusts and
judges the interface obligations of the NHS Standard Contract and the 2023 Delivery Plan.

    >>> from adapter import check
    >>> result = check(["fixtures/rules"], as_of=...)        # doctest: +SKIP
    >>> result.summary()                                      # doctest: +SKIP
"""

from adapter.engine import check, evaluate
from adapter.errors import (
    AdapterError,
    HostileXml,
    PolicyError,
    TooLarge,
    UnreadableInput,
    UsageError,
)
from adapter.model import STATUSES, Counts, Issue, Location, Obligation, Result
from adapter.policy import Policy, load_policy
from adapter.rules import CATALOGUE, RULES, Rule, get_rule

__all__ = [
    "CATALOGUE",
    "RULES",
    "STATUSES",
    "AdapterError",
    "Counts",
    "HostileXml",
    "Issue",
    "Location",
    "Obligation",
    "Policy",
    "PolicyError",
    "Result",
    "Rule",
    "TooLarge",
    "UnreadableInput",
    "UsageError",
    "check",
    "evaluate",
    "get_rule",
    "load_policy",
]

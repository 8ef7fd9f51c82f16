"""Interface Referee: reads FHIR R4 traffic between GP practices and hospital trusts and
judges the interface obligations of the NHS Standard Contract and the 2023 Delivery Plan.

    >>> from adapter import check
    >>> result = check(["fixtures/rules"], as_of=...)        # doctest: +SKIP
    >>> result.summary()                                      # doctest: +SKIP

The public names are imported when first used (PEP 562), so that `referee --help`, which
imports `adapter.cli`, does not load the engine, the rules and the FHIR models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# public name → the module it lives in
_HOMES: dict[str, str] = {
    "CATALOGUE": "adapter.rules",
    "RULES": "adapter.rules",
    "STATUSES": "adapter.model",
    "AdapterError": "adapter.errors",
    "Counts": "adapter.model",
    "HostileXml": "adapter.errors",
    "Issue": "adapter.model",
    "Location": "adapter.model",
    "Obligation": "adapter.model",
    "Policy": "adapter.policy",
    "PolicyError": "adapter.errors",
    "Result": "adapter.model",
    "Rule": "adapter.rules",
    "TooLarge": "adapter.errors",
    "UnreadableInput": "adapter.errors",
    "UsageError": "adapter.errors",
    "check": "adapter.engine",
    "evaluate": "adapter.engine",
    "get_rule": "adapter.rules",
    "load_policy": "adapter.policy",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'adapter' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

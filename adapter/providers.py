"""What kind of provider an organisation is (docs/contract.md §4), from the tables in
`mappings/codes.toml`: `provider-types` (Organization.type codings), `provider-words`
(type words; for ambulance, 111/CAS and pharmacy also the name), then `provider-ods`
(the ODS code's shape). Letter duties fall only on some of these classes."""

from __future__ import annotations

import re
from typing import Literal, cast

from adapter.facts import Organisation
from adapter.policy import Policy

ProviderClass = Literal[
    "acute", "mental-health", "community", "ambulance", "111-cas", "practice", "pharmacy", "other"
]
_BY_NAME = frozenset({"ambulance", "111-cas", "pharmacy"})


def provider_class(org: Organisation | None, ods: str | None, policy: Policy) -> ProviderClass:
    """The first of: a coded type, a type word (or name word), the ODS shape; else other."""
    tables = _tables(policy)
    if org is not None:
        found = _by_type(org, tables) or _by_words(org, tables)
        if found is not None:
            return found
    if ods is not None:
        for klass, pattern in tables.ods:
            if pattern.fullmatch(ods):
                return klass
    return "other"


class _Tables:
    def __init__(self, policy: Policy) -> None:
        codes = policy.codes
        self.types: dict[str, ProviderClass] = {
            coding: klass for klass, coding in map(_split, codes["provider-types"])
        }
        self.words = [_split(entry) for entry in sorted(codes["provider-words"])]
        self.words.sort(key=lambda pair: _ORDER.index(pair[0]))
        ods = [_split(entry) for entry in codes["provider-ods"]]
        ods.sort(key=lambda pair: _ORDER.index(pair[0]))
        self.ods = [(klass, re.compile(pattern)) for klass, pattern in ods]


# First class wins when several match: the narrowest kinds before the broad ones.
_ORDER: tuple[ProviderClass, ...] = (
    "ambulance",
    "111-cas",
    "pharmacy",
    "mental-health",
    "community",
    "practice",
    "acute",
    "other",
)


def _split(entry: str) -> tuple[ProviderClass, str]:
    klass, _, rest = entry.partition("|")
    if klass not in _ORDER:
        raise ValueError(f"mappings: unknown provider class {klass!r} in {entry!r}")
    return klass, rest


def _tables(policy: Policy) -> _Tables:
    found = policy.cache.get("providers")
    if found is None:
        found = policy.cache["providers"] = _Tables(policy)
    return cast(_Tables, found)


def _by_type(org: Organisation, tables: _Tables) -> ProviderClass | None:
    for concept in org.types:
        for system, code, _ in concept.codings:
            klass = tables.types.get(f"{system}|{code}")
            if klass is not None:
                return klass
    return None


def _by_words(org: Organisation, tables: _Tables) -> ProviderClass | None:
    typed = " ".join(concept.words() for concept in org.types)
    named = (org.name or "").lower()
    for klass, words in tables.words:
        if words in typed or (klass in _BY_NAME and words in named):
            return klass
    return None

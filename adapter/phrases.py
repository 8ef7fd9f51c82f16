"""Phrase lists (rules.md §6): regular expressions matched against one sentence at a time."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Pattern = str | list[str]


@dataclass(frozen=True, slots=True)
class PhraseList:
    """Matches a sentence when any entry matches; an entry is a group of patterns that must
    all match somewhere in the same sentence."""

    name: str
    entries: tuple[tuple[re.Pattern[str], ...], ...]

    def search(self, sentence: str) -> bool:
        return any(all(p.search(sentence) for p in group) for group in self.entries)


def compile_phrases(
    name: str, patterns: Iterable[Pattern], macros: Mapping[str, str]
) -> PhraseList:
    """Compile one list; `{GP}`-style macros are expanded first. Raises re.error on a bad
    pattern (the policy loader turns it into a located PolicyError)."""
    entries = []
    for entry in patterns:
        group = [entry] if isinstance(entry, str) else list(entry)
        entries.append(tuple(re.compile(_expand(p, macros), re.IGNORECASE) for p in group))
    return PhraseList(name, tuple(entries))


def _expand(pattern: str, macros: Mapping[str, str]) -> str:
    for key, value in macros.items():
        pattern = pattern.replace("{" + key + "}", value)
    return pattern


def any_phrase(lists: Mapping[str, PhraseList], exclude: Iterable[str] = ()) -> PhraseList:
    """One pattern that matches whenever any entry of any list could: the alternation of
    each entry's first pattern. A sentence it misses matches none of the lists."""
    firsts = [
        f"(?:{group[0].pattern})"
        for name, phrases in lists.items()
        if name not in exclude
        for group in phrases.entries
    ]
    return PhraseList("any", ((re.compile("|".join(firsts), re.IGNORECASE),),))

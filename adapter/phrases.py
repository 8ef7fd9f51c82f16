"""Phrase lists (rules.md §6): regular expressions matched against one sentence at a time.

Patterns are written in Python syntax and run on RE2 (google-re2), an automaton that takes
time linear in the sentence whatever the pattern: narrative is unbounded hostile text, and a
backtracking engine takes quadratic time or worse on it (issue 15: `[\\w.+-]+@` over 40,000
letters took 5.6 s). A pattern RE2 cannot run (look-arounds, back-references) is refused.
RE2's `\\w`, `\\d` and `\\b` are ASCII-only, which is all the shipped lists need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import re2

Pattern = str | list[str]


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # a refused pattern is reported as a PolicyError instead
    return options


_OPTIONS = _options()


@dataclass(frozen=True, slots=True)
class PhraseList:
    """Matches a sentence when any entry matches; an entry is a group of patterns that must
    all match somewhere in the same sentence."""

    name: str
    entries: tuple[tuple[Any, ...], ...]  # compiled RE2 patterns (the stubs are untyped)

    def search(self, sentence: str) -> bool:
        return any(all(p.search(sentence) for p in group) for group in self.entries)


def linear(pattern: str) -> Any:
    """Compile one pattern for RE2, case-insensitively. Raises re.error: Python's message
    when the pattern is not a regular expression at all, else RE2's reason."""
    re.compile(pattern)  # Python's wording for plain syntax errors, which users know
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if isinstance(exc.args[0], bytes) else str(exc)
        raise re.error(
            f"{reason}; phrase patterns run on a linear-time matcher (RE2), "
            "which has no look-arounds or back-references"
        ) from exc


def compile_phrases(
    name: str, patterns: Iterable[Pattern], macros: Mapping[str, str]
) -> PhraseList:
    """Compile one list; `{GP}`-style macros are expanded first. Raises re.error on a bad
    pattern (the policy loader turns it into a located PolicyError)."""
    entries = []
    for entry in patterns:
        group = [entry] if isinstance(entry, str) else list(entry)
        entries.append(tuple(linear(_expand(p, macros)) for p in group))
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
    return PhraseList("any", ((linear("|".join(firsts)),),))

"""Composition narrative → sentences → findings (rules.md §5 "Narrative", §6).

The section XHTML (`section.text.div`) is parsed with the one hardened parser, entities
decoded and tags stripped; text is split at block elements and line breaks, then into
sentences at `.`, `!`, `?` or `;` followed by white space or the end of the text.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lxml import etree

from adapter.facts import Findings
from adapter.policy import Policy

BLOCKS = frozenset(
    {
        "p",
        "div",
        "li",
        "td",
        "th",
        "tr",
        "br",
        "ul",
        "ol",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "blockquote",
        "dd",
        "dt",
        "dl",
        "caption",
        "hr",
    }
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])(?:\s+|$)")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=16_384)
def sentences(div: str) -> tuple[str, ...]:
    """The sentences of one XHTML narrative; XHTML that does not parse raises
    UnreadableInput (the translator reports it against the field). Remembered per div:
    letters are built from templates, so the same section text recurs."""
    return tuple(_split(_parse(div)))


def _split(root: Any) -> list[str]:
    # A block element starts and ends a line; text is then split into lines and sentences.
    for element in root.iter(*_BLOCK_TAGS):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    out: list[str] = []
    for line in "".join(root.itertext()).splitlines():
        folded = _SPACE.sub(" ", line).strip()
        if folded:
            out.extend(s.strip() for s in _SENTENCE_END.split(folded) if s.strip())
    return out


_BLOCK_TAGS = tuple(f"{{http://www.w3.org/1999/xhtml}}{name}" for name in sorted(BLOCKS)) + tuple(
    sorted(BLOCKS)
)
_LOCAL = threading.local()


def _parse(div: str) -> Any:
    """Plain XHTML (no DOCTYPE, comment or CDATA, no HTML named entities) goes straight to
    a hardened parser; anything else takes the full path of adapter.safexml."""
    from adapter.safexml import safe_parser, xhtml_fragment

    if "<!" not in div:
        parser = getattr(_LOCAL, "parser", None)
        if parser is None:
            parser = _LOCAL.parser = safe_parser()
        try:
            return etree.fromstring(div.encode(), parser)
        except etree.XMLSyntaxError:
            pass  # e.g. &nbsp;: the full path converts HTML entities or reports the error
    return xhtml_fragment(div)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the phrase lists say of one sentence."""

    fit: frozenset[str]
    discharged: bool
    refer: bool
    urgent: bool
    unrelated: bool
    test: bool
    contact: bool


_NOTHING = Reading(frozenset(), False, False, False, False, False, False)
_CACHE_LIMIT = 100_000  # distinct sentences remembered per policy


def read_sentence(sentence: str, policy: Policy) -> Reading:
    """Classify one sentence, once: letters are templated, so most sentences recur."""
    cache: dict[str, Reading] = policy.cache.setdefault("sentences", {})
    found = cache.get(sentence)
    if found is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        found = cache[sentence] = _classify(sentence, policy)
    return found


def _classify(sentence: str, policy: Policy) -> Reading:
    p = policy.phrases
    contact = bool(p["phone"].search(sentence) or p["email"].search(sentence))
    if not p["any"].search(sentence):
        # most sentences match no list: one search rules them all out
        return _NOTHING if not contact else Reading(frozenset(), *(False,) * 5, True)
    return Reading(
        fit=frozenset(_fit_kinds(sentence, policy)),
        discharged=bool(p["discharged-after-dna"].search(sentence)),
        refer=bool(p["gp-asked-to-refer"].search(sentence)),
        urgent=bool(p["urgent"].search(sentence)),
        unrelated=bool(p["unrelated"].search(sentence)),
        test=bool(p["gp-asked-to-test"].search(sentence)),
        contact=contact,
    )


def read_findings(by_section: list[tuple[str | None, tuple[str, ...]]], policy: Policy) -> Findings:
    """What the letter's narrative says, sentence by sentence (rules.md §5, §6)."""
    plan = policy.codes.values["plan-section"]
    contact = policy.codes.values["contact-section"]
    has_plan = any(code == plan for code, _ in by_section)
    fit: set[str] = set()
    fit_sentence = None
    refer: list[tuple[str, bool, bool]] = []
    tests: list[str] = []
    discharged = contact_found = False
    for code, texts in by_section:
        for sentence in texts:
            reading = read_sentence(sentence, policy)
            if reading is _NOTHING:
                continue
            contact_found = contact_found or (code == contact and reading.contact)
            if reading.fit and fit_sentence is None:
                fit_sentence = sentence
            fit |= reading.fit
            discharged = discharged or reading.discharged
            if reading.refer:
                refer.append((sentence, reading.urgent, reading.unrelated))
            if reading.test and (code == plan or not has_plan):
                tests.append(sentence)
    return Findings(
        frozenset(fit), discharged, tuple(refer), tuple(tests), contact_found, fit_sentence
    )


def _fit_kinds(sentence: str, policy: Policy) -> set[str]:
    p = policy.phrases
    kinds = set()
    for kind in ("not-needed", "asked-of-gp", "issued", "needed"):
        if p[f"fit-note-{kind}"].search(sentence):
            kinds.add(kind)
    return kinds


__all__ = ["read_findings", "sentences"]

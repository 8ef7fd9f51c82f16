"""Composition narrative → sentences → findings (rules.md §5 "Narrative", §6).

The section XHTML (`section.text.div`) is parsed with the one hardened parser, entities
decoded and tags stripped; text is split at block elements and line breaks, then into
sentences at `.`, `!`, `?` or `;` followed by white space or the end of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from adapter.errors import UnreadableInput
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


def sentences(div: str) -> list[str]:
    """The sentences of one XHTML narrative; unparseable XHTML gives none (the caller
    reports it)."""
    from adapter.xml import xhtml_fragment

    root = xhtml_fragment(div)
    blocks: list[str] = []
    current: list[str] = []
    _collect(root, blocks, current)
    blocks.append("".join(current))
    out: list[str] = []
    for block in blocks:
        for line in block.splitlines():
            folded = _SPACE.sub(" ", line).strip()
            out.extend(s.strip() for s in _SENTENCE_END.split(folded) if s.strip())
    return out


def _collect(element: Any, blocks: list[str], current: list[str]) -> None:
    name = etree.QName(element).localname if isinstance(element.tag, str) else ""
    block = name in BLOCKS
    if block:
        blocks.append("".join(current))
        current.clear()
    if element.text and isinstance(element.tag, str):
        current.append(element.text)
    for child in element:
        _collect(child, blocks, current)
        if child.tail:
            current.append(child.tail)
    if block:
        blocks.append("".join(current))
        current.clear()


def section_texts(
    sections: list[dict[str, Any]], heading_of: Any
) -> Iterator[tuple[str | None, str]]:
    """(heading code, div) for every section and nested section, depth first."""
    for section in sections:
        text = section.get("text")
        div = text.get("div") if isinstance(text, dict) else None
        if isinstance(div, str):
            yield heading_of(section), div
        nested = section.get("section")
        if isinstance(nested, list):
            yield from section_texts([s for s in nested if isinstance(s, dict)], heading_of)


def read_findings(by_section: list[tuple[str | None, list[str]]], policy: Policy) -> Findings:
    """Match every sentence against the phrase lists once."""
    p = policy.phrases
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
            kinds = _fit_kinds(sentence, policy)
            if kinds and fit_sentence is None:
                fit_sentence = sentence
            fit |= kinds
            discharged = discharged or p["discharged-after-dna"].search(sentence)
            if p["gp-asked-to-refer"].search(sentence):
                refer.append(
                    (sentence, p["urgent"].search(sentence), p["unrelated"].search(sentence))
                )
            if (code == plan or not has_plan) and p["gp-asked-to-test"].search(sentence):
                tests.append(sentence)
            if code == contact and (p["phone"].search(sentence) or p["email"].search(sentence)):
                contact_found = True
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


__all__ = ["UnreadableInput", "read_findings", "section_texts", "sentences"]

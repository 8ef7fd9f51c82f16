"""Composition narrative → sentences → findings (rules.md §5 "Narrative", §6).

The section XHTML (`section.text.div`) is parsed with the one hardened parser, entities
decoded and tags stripped; text is split at block elements and line breaks, then into
sentences at `.`, `!`, `?` or `;` followed by white space or the end of the text.
"""

from __future__ import annotations

import re
import threading
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
    """The sentences of one XHTML narrative; XHTML that does not parse raises
    UnreadableInput (the translator reports it against the field)."""
    root = _parse(div)
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
    a hardened parser; anything else takes the full path of adapter.xml."""
    from adapter.xml import safe_parser, xhtml_fragment

    if "<!" not in div:
        parser = getattr(_LOCAL, "parser", None)
        if parser is None:
            parser = _LOCAL.parser = safe_parser()
        try:
            return etree.fromstring(div.encode(), parser)
        except etree.XMLSyntaxError:
            pass  # e.g. &nbsp;: the full path converts HTML entities or reports the error
    return xhtml_fragment(div)


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
    interesting = policy.phrases["any"].search
    for code, texts in by_section:
        for sentence in texts:
            if code == contact and (p["phone"].search(sentence) or p["email"].search(sentence)):
                contact_found = True
            if not interesting(sentence):
                continue  # most sentences match no list: one search rules them all out
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

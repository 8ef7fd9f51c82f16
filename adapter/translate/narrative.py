"""Composition narrative → sentences (rules.md §5 "Narrative"). Neutral facts only: what the
sentences mean for a rule is read in the rule layer (`adapter/rules/narrative.py`).

The section XHTML (`section.text.div`) is parsed with the one hardened parser, entities
decoded and tags stripped; text is split at block elements and line breaks, then into
sentences at `.`, `!`, `?` or `;` followed by white space or the end of the text.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from lxml import etree

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


def text_sentences(text: str) -> tuple[str, ...]:
    """The sentences of plain text (a Communication's contentString), split as narrative is."""
    out: list[str] = []
    for line in text.splitlines():
        folded = _SPACE.sub(" ", line).strip()
        if folded:
            out.extend(s.strip() for s in _SENTENCE_END.split(folded) if s.strip())
    return tuple(out)


__all__ = ["sentences", "text_sentences"]

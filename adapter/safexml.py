"""The one hardened XML parser of the project (no FHIR models: cheap to import).

`parse_xml_bytes` refuses any document with a DOCTYPE before the parser sees it
(`HostileXml`), and the parser itself never loads a DTD, expands an entity or touches the
network, so a document that slips past the first check is still inert. Malformed XML is
`UnreadableInput` with the line and column; a document over the size limit is `TooLarge`.
`xhtml_fragment` parses a narrative `<div>` the same way. FHIR XML ⇄ JSON is in
`adapter.xml`, which re-exports these names.
"""

from __future__ import annotations

import re
import threading
import typing
from html.entities import html5
from typing import Any, Final

from lxml import etree

from adapter.errors import HostileXml, TooLarge, UnreadableInput
from adapter.model import Issue, Location

__all__ = [
    "DEFAULT_MAX_XML_BYTES",
    "HOSTILE_MESSAGE",
    "SAFE_PARSER",
    "Element",
    "parse_xml_bytes",
    "safe_parser",
    "xhtml_fragment",
]

DEFAULT_MAX_XML_BYTES: Final = 256 * 1024 * 1024
HOSTILE_MESSAGE: Final = (
    "XML with a DOCTYPE is refused: DTDs, entities and external references are never "
    "processed; send plain FHIR XML"
)

Element = etree._Element


# ---------------------------------------------------------------------------- parsing


def safe_parser() -> etree.XMLParser:
    """A new parser that never loads a DTD, expands an entity or reaches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


SAFE_PARSER: Final = safe_parser()
"""The hardened parser, for code in the importing thread; `parse_xml_bytes` is thread-safe."""

_local = threading.local()


def _thread_parser() -> etree.XMLParser:
    if threading.current_thread() is threading.main_thread():
        return SAFE_PARSER
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = safe_parser()
    return typing.cast(etree.XMLParser, parser)


def _fail(kind: type[UnreadableInput], code: str, message: str) -> UnreadableInput:
    return kind(message, (Issue("fatal", code, Location(), message),))


def parse_xml_bytes(data: bytes, *, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> Element:
    """Parse a whole XML document safely; the root element, or an `UnreadableInput`."""
    if len(data) > max_bytes:
        message = f"XML document is {len(data)} bytes; the limit is {max_bytes} bytes"
        raise _fail(TooLarge, "too-costly", f"{message}; split it into smaller files")
    if _prolog_has_declaration(data):
        raise _fail(HostileXml, "security", HOSTILE_MESSAGE)
    try:
        root = etree.fromstring(data, _thread_parser())
    except etree.XMLSyntaxError as exc:
        raise _fail(UnreadableInput, "structure", _syntax_message(exc)) from exc
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _fail(HostileXml, "security", HOSTILE_MESSAGE)
    return root


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    line, column = exc.position
    reason = re.sub(r", line \d+, column \d+$", "", exc.msg or "unknown error")
    return f"XML is not well-formed at line {line}, column {column}: {reason}"


_BOMS: Final = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_SPACE: Final = re.compile(rb"[ \t\r\n]*")


def _ascii_view(data: bytes) -> bytes:
    """The document as ASCII-compatible bytes (UTF-16 and UTF-32 re-encoded as UTF-8)."""
    for mark, codec in _BOMS:
        if data.startswith(mark):
            return data.decode(codec, errors="replace").lstrip("\ufeff").encode()
    return data.removeprefix(b"\xef\xbb\xbf")


def _prolog_has_declaration(data: bytes) -> bool:
    """True when a `<!...>` markup declaration (DOCTYPE, ENTITY, ...) precedes the root."""
    text = _ascii_view(data)
    pos = 0
    while True:
        match = _SPACE.match(text, pos)
        pos = match.end() if match else pos
        if text.startswith(b"<?", pos):
            end, skip = text.find(b"?>", pos + 2), 2
        elif text.startswith(b"<!--", pos):
            end, skip = text.find(b"-->", pos + 4), 3
        else:
            return text.startswith(b"<!", pos)
        if end < 0:
            return False  # unterminated: the parser reports it
        pos = end + skip


_HTML_ENTITY: Final = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES: Final = frozenset({"amp", "lt", "gt", "quot", "apos"})


def _numeric_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    chars = None if name in _XML_ENTITIES else html5.get(name + ";")
    return match.group(0) if chars is None else "".join(f"&#{ord(c)};" for c in chars)


def xhtml_fragment(div: str, *, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> Element:
    """Parse a narrative `<div>` XHTML string as safely as a document. HTML named
    entities such as `&nbsp;` become character references first (no DTD is needed)."""
    return parse_xml_bytes(_HTML_ENTITY.sub(_numeric_entity, div).encode(), max_bytes=max_bytes)

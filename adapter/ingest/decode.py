"""The one decoding front door: bytes as found (a file, standard input or a posted body) →
UTF-8, the same for the command line and the service (issue 15, finding 9).

- A byte order mark says the encoding: UTF-8 (dropped), UTF-16 or UTF-32, either order.
- Without one, text that starts with `<`, `{` or `[` in UTF-16 (a NUL beside it) is
  UTF-16 in that byte order (RFC 8259 §8.1's detection, which XML 1.0 App. F also uses).
- A `charset` the sender declares (Content-Type) is used when there is no byte order mark.
- Anything else is taken as UTF-8, and XML keeps its own `encoding` declaration for lxml.

XML transcoded to UTF-8 has its declaration's `encoding` rewritten to say so.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from adapter.errors import UnreadableInput

_BOMS: Final = (  # longest first: a UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_OPENERS: Final = (b"<", b"{", b"[", b" ", b"\n", b"\r", b"\t")
_DECLARATION: Final = re.compile(rb"""^(<\?xml[^>]*?encoding\s*=\s*)(["'])[A-Za-z0-9._-]+\2""")
_UTF8: Final = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
HEAD_BYTES: Final = 4  # what detection needs to see


def detect(head: bytes, charset: str | None = None) -> tuple[str | None, int]:
    """(encoding to transcode from, byte order mark length); None when the bytes are to be
    read as they are (UTF-8, or XML that declares its own encoding)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return (None if name == "utf-8" else name), len(bom)
    if len(head) >= 2 and head[0] == 0 and head[1:2] in _OPENERS:
        return "utf-16-be", 0
    if len(head) >= 2 and head[1] == 0 and head[0:1] in _OPENERS:
        return "utf-16-le", 0
    if charset and charset.strip().strip('"').lower() not in _UTF8:
        return charset.strip().strip('"').lower(), 0
    return None, 0


def to_utf8(data: bytes, charset: str | None = None) -> bytes:
    """`data` as UTF-8 without a byte order mark. Raises UnreadableInput when it does not
    decode in the encoding found or declared."""
    encoding, skip = detect(data[:HEAD_BYTES], charset)
    if encoding is None:
        return data[skip:]
    try:
        text = data[skip:].decode(encoding)
    except LookupError as exc:
        raise UnreadableInput(f"the declared charset {encoding!r} is not known") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableInput(
            f"is not valid {encoding.upper()} text (byte {exc.start + skip}); "
            "send UTF-8 or UTF-16 with a byte order mark"
        ) from exc
    return _DECLARATION.sub(rb"\1\2UTF-8\2", text.encode("utf-8"), count=1)


__all__ = ["HEAD_BYTES", "detect", "to_utf8"]

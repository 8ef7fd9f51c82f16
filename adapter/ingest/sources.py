"""Files, folders and stdin → items. The format is chosen by content (rules.md §1):
`<` starts FHIR XML; a first line that is a whole JSON object followed by more lines is
NDJSON (streamed, one resource per line); anything else that parses is one JSON document.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from adapter.errors import HostileXml, UnreadableInput
from adapter.ingest.decode import HEAD_BYTES, detect, to_utf8
from adapter.ingest.items import Item, Limits, Received, Refused, Unreadable
from adapter.ingest.unpack import unpack
from adapter.model import Issue, Location

# Folder walks read files with these endings; a file named on the command line is read
# whatever its name.
DATA_SUFFIXES = (".json", ".ndjson", ".jsonl", ".xml")
STDIN = "-"
MANIFEST_BYTES = 64 * 1024 * 1024  # a larger manifest.json is read as data, not skipped


def read_paths(paths: Iterable[str | Path], limits: Limits = Limits()) -> Iterator[Item]:  # noqa: B008
    for path in paths:
        if str(path) == STDIN:
            yield from read_stream(sys.stdin.buffer, "<stdin>", limits)
            continue
        path = Path(path)
        if path.is_dir():
            for file in _walk(path):
                yield from read_file(file, limits)
        else:
            yield from read_file(path, limits)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The files `read_paths` reads, in the same order (folders expanded)."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(_walk(path) if path.is_dir() else [path])
    return files


def _walk(folder: Path) -> list[Path]:
    """Data files below `folder`, recursively, in sorted path order; hidden ones skipped."""
    found = []
    for file in folder.rglob("*"):
        relative = file.relative_to(folder).parts
        if any(part.startswith(".") for part in relative):
            continue
        data = file.is_file() and file.name.lower().endswith(DATA_SUFFIXES)
        if data and not is_export_manifest(file):
            found.append(file)
    return sorted(found)


def is_export_manifest(file: Path) -> bool:
    """A Bulk Data completion manifest named manifest.json (an export's, or the one
    `referee pull` writes): a JSON object with `transactionTime` and an `output` list and
    no `resourceType`. It describes the traffic beside it and is not traffic, so a folder
    walk skips it; a file named on the command line is read whatever it is."""
    if file.name != "manifest.json":
        return False
    try:
        if file.stat().st_size > MANIFEST_BYTES:
            return False
        data = orjson.loads(file.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    return (
        isinstance(data, dict)
        and "resourceType" not in data
        and "transactionTime" in data
        and isinstance(data.get("output"), list)
    )


def read_file(path: Path, limits: Limits = Limits()) -> Iterator[Item]:  # noqa: B008
    label = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield _unreadable(label, "not-found", f"cannot be opened: {exc.strerror}")
        return
    with handle:
        yield from read_stream(handle, label, limits)


def read_bytes(data: bytes, label: str, limits: Limits = Limits()) -> Iterator[Item]:  # noqa: B008
    """Items from an in-memory body (the API)."""
    yield from read_stream(io.BytesIO(data), label, limits)


def read_stream(handle: IO[bytes], label: str, limits: Limits) -> Iterator[Item]:
    try:
        handle = _as_utf8(handle, limits)
        yield from _sniff(handle, label, limits)
    except UnreadableInput as exc:
        yield _unreadable(label, "structure", exc.message)
    except _TooBig as exc:
        yield _unreadable(
            label,
            "too-costly",
            f"is larger than the {exc.limit}-byte limit for one "
            "JSON or XML document; split it, or send NDJSON (streamed)",
        )


def _as_utf8(handle: IO[bytes], limits: Limits) -> IO[bytes]:
    """The stream as UTF-8 (adapter.ingest.decode, the front door the service uses too).
    UTF-8 streams are returned as they are, still streamed; UTF-16 or UTF-32 ones are read
    whole, within the document limit, and transcoded."""
    encoding, _ = detect(_peek(handle))
    if encoding is None:
        return handle
    return io.BytesIO(to_utf8(_rest(handle, limits, 0)))


def _peek(handle: IO[bytes]) -> bytes:
    peek = getattr(handle, "peek", None)
    if peek is not None:
        return bytes(peek(HEAD_BYTES)[:HEAD_BYTES])
    head = handle.read(HEAD_BYTES)
    handle.seek(-len(head), io.SEEK_CUR)
    return head


def _sniff(handle: IO[bytes], label: str, limits: Limits) -> Iterator[Item]:
    first = handle.readline(limits.max_line_bytes + 1)
    blank = 0  # leading blank lines, so NDJSON line numbers stay true
    while first and not first.strip():
        blank += 1
        first = handle.readline(limits.max_line_bytes + 1)
    head = first.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        yield Unreadable(
            Issue(
                "warning",
                "informational",
                Location(file=label),
                f"{label}: the file is empty; nothing to read",
            )
        )
        return
    if head[:1] == b"<":
        yield from _xml(first + _rest(handle, limits, len(first)), label, limits)
        return
    if isinstance(_json_line(first), dict):
        yield from _ndjson([first], handle, label, limits, blank)
        return
    ahead = [handle.readline(limits.max_line_bytes + 1) for _ in range(_LOOKAHEAD)]
    if _opens_document(head) or not any(isinstance(_json_line(x), dict) for x in ahead):
        if head[:1] not in (b"{", b"["):
            yield _unreadable(
                label,
                "structure",
                "is not JSON, NDJSON or FHIR XML (it starts with "
                f"{_preview(head)}); send FHIR R4 resources",
            )
            return
        data = first + b"".join(ahead)
        yield from _json(data + _rest(handle, limits, len(data)), label, limits)
        return
    # NDJSON whose first lines are bad: they are rejected resources, the rest is read
    yield from _ndjson([first, *ahead], handle, label, limits, blank)


_LOOKAHEAD = 8  # lines read ahead to tell NDJSON with bad first lines from one JSON document


def _opens_document(head: bytes) -> bool:
    """Does the first line open a multi-line JSON document (`{`, `[`, `"key": [`, ...)?"""
    return head.rstrip()[-1:] in (b"{", b"[", b",", b":")


def _rest(handle: IO[bytes], limits: Limits, already: int) -> bytes:
    data = handle.read(limits.max_document_bytes - already + 1)
    if already + len(data) > limits.max_document_bytes:
        raise _TooBig(limits.max_document_bytes)
    return data


class _TooBig(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


def _json(data: bytes, label: str, limits: Limits) -> Iterator[Item]:
    try:
        value = orjson.loads(_without_bom(data))
    except orjson.JSONDecodeError as exc:
        yield _unreadable(label, "structure", f"is not valid JSON: {exc}")
        return
    where = Location(file=label)
    if isinstance(value, list):  # a bare JSON array of resources: read each element
        for index, element in enumerate(value):
            yield from unpack(element, Location(file=label, entry=f"[{index}]"), limits=limits)
        return
    yield from unpack(value, where, limits=limits)


def _ndjson(
    read: list[bytes], handle: IO[bytes], label: str, limits: Limits, skipped: int = 0
) -> Iterator[Item]:
    """One resource per line, streamed; a bad line is a rejected resource, not a bad file.
    `read` holds the lines already read while sniffing the format, after `skipped` blank
    ones."""
    number = skipped
    pending = list(read)
    while True:
        line = pending.pop(0) if pending else handle.readline(limits.max_line_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > limits.max_line_bytes and not line.endswith(b"\n"):
            _skip_rest_of_line(handle, limits)  # an over-long line is one rejected resource
        if line.strip():
            yield from _ndjson_line(line, number, label, limits)


def read_ndjson(handle: IO[bytes], label: str, limits: Limits = Limits()) -> Iterator[Item]:  # noqa: B008
    """NDJSON from an open binary handle, line by line, as `referee check` reads an NDJSON
    file (the service's `application/fhir+ndjson` loads): a bad line is one rejected item
    located at its line number."""
    yield from _ndjson([], handle, label, limits)


def read_ndjson_range(
    path: Path,
    start: int,
    end: int,
    first_line: int,
    limits: Limits = Limits(),  # noqa: B008
) -> Iterator[Item]:
    """The NDJSON lines that start in bytes [start, end) of `path`, numbered from
    `first_line` (for reading one file in several processes; `start` begins a line)."""
    label = str(path)
    with path.open("rb") as handle:
        handle.seek(start)
        number = first_line - 1
        while handle.tell() < end:
            line = handle.readline(limits.max_line_bytes + 1)
            if not line:
                return
            number += 1
            if len(line) > limits.max_line_bytes and not line.endswith(b"\n"):
                _skip_rest_of_line(handle, limits)
            if line.strip():
                yield from _ndjson_line(line, number, label, limits)


def _skip_rest_of_line(handle: IO[bytes], limits: Limits) -> None:
    while chunk := handle.readline(limits.max_line_bytes + 1):
        if chunk.endswith(b"\n"):
            return


def _ndjson_line(line: bytes, number: int, label: str, limits: Limits) -> Iterator[Item]:
    where = Location(file=label, line=number)
    if len(line) > limits.max_line_bytes:
        message = f"{where.describe()}: line longer than {limits.max_line_bytes} bytes; not read"
        yield Refused(Issue("error", "too-costly", where, message))
        return
    try:
        value = orjson.loads(_without_bom(line) if number == 1 else line)
    except orjson.JSONDecodeError as exc:
        message = (
            f"{where.describe()}: expected one JSON resource on the line, "
            f"found invalid JSON ({exc})"
        )
        yield Refused(Issue("error", "structure", where, message))
        return
    # A value nests no deeper than the line has `{` and `[` (counted in C): most lines are
    # far below the limit, and only the others are walked to find how deep (issue 11).
    shallow = line.count(b"{") + line.count(b"[") <= limits.max_nesting
    yield from unpack(value, where, limits=limits, shallow=shallow)


def _xml(data: bytes, label: str, limits: Limits) -> Iterator[Item]:
    from adapter import xml

    try:
        root = xml.parse_xml_bytes(data, max_bytes=limits.max_document_bytes)
    except UnreadableInput as exc:
        yield _unreadable(
            label, "security" if isinstance(exc, HostileXml) else "structure", exc.message
        )
        return
    try:
        value = xml.fhir_xml_to_json_as_sent(root)
    except UnreadableInput as exc:
        # Well-formed XML that is not a known FHIR resource: one rejected resource.
        where = Location(file=label, field="resourceType")
        yield Refused(Issue("error", "structure", where, f"{label}: {exc.message}"))
        return
    yield from unpack(value, Location(file=label), limits=limits)


def _without_bom(data: bytes) -> bytes:
    """JSON text may start with a UTF-8 byte order mark (RFC 8259 §8.1 lets readers skip it)."""
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _json_line(line: bytes) -> Any:
    try:
        return orjson.loads(_without_bom(line))
    except orjson.JSONDecodeError:
        return None


def _unreadable(label: str, code: str, problem: str) -> Unreadable:
    message = problem if problem.startswith(label) else f"{label}: {problem}"
    return Unreadable(Issue("fatal", code, Location(file=label), message))


def _preview(head: bytes) -> str:
    return repr(head[:16].decode("utf-8", "replace"))


__all__ = ["Received", "read_bytes", "read_file", "read_paths", "read_stream"]

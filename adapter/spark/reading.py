"""What runs on the executors before the shuffle: bytes → items (with the ingest code
`referee check` uses) → facts (with the same `Tally` and translate code), each tagged with
its position in the input so that the driver can put counts and issues back in the single
process's order.

A position is one int made of the file's index, the NDJSON line number (or the start of a
piece; 0 for a file read whole) and the resource's ordinal in that line, piece or file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from adapter.facts import Fact
from adapter.ingest import Item, Limits, Unreadable
from adapter.ingest.sources import read_file, read_ndjson_line, read_stream
from adapter.judging import Tally
from adapter.model import Counts, Issue, Location
from adapter.policy import Policy

Position = int  # the partition API's `seq`: increasing in the single process's order


def position(file: int, line: int, ordinal: int) -> Position:
    """A file's place in the input, then the line (or piece start) in it, then the
    resource's place in that line or piece: one int that sorts in input order."""
    return file << 96 | line << 40 | ordinal


@dataclass(slots=True)
class Part:
    """One executor task's tally: counts per file label, issues with their positions (and
    order within the item), and the fatal files. A file read by several tasks has an STU3
    notice from each: the driver keeps the first."""

    files: dict[str, Counts] = field(default_factory=dict)
    issues: list[tuple[Position, int, Issue]] = field(default_factory=list)
    unreadable: int = 0


def line_items(
    lines: Iterable[bytes], index: int, label: str, first: int, limits: Limits
) -> Iterator[tuple[Position, Item]]:
    """The items of consecutive NDJSON lines of one file, numbered from `first`."""
    for number, line in enumerate(lines, start=first):
        if line.strip():
            for ordinal, item in enumerate(read_ndjson_line(line, number, label, limits)):
                yield position(index, number, ordinal), item


def document_items(
    data: bytes, index: int, label: str, codec: str | None, limits: Limits
) -> Iterator[tuple[Position, Item]]:
    """The items of one file's bytes (read by Hadoop), as `referee check` reads the file."""
    return _decompressed(io.BytesIO(data), index, label, codec, limits)


def opened_items(
    path: Path, index: int, label: str, codec: str, limits: Limits
) -> Iterator[tuple[Position, Item]]:
    """The items of one local compressed file."""
    try:
        raw = path.open("rb")
    except OSError:
        for ordinal, item in enumerate(read_file(path, limits, label)):  # it says why
            yield position(index, 0, ordinal), item
        return
    with raw:
        yield from _decompressed(raw, index, label, codec, limits)


def _decompressed(
    raw: IO[bytes], index: int, label: str, codec: str | None, limits: Limits
) -> Iterator[tuple[Position, Item]]:
    """Read as a stream, decompressed when the name says so. A damaged compressed file is
    a fatal issue after the resources read before the damage (they are counted)."""
    handle: IO[bytes] = raw
    if codec == "gz":
        handle = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    elif codec == "bz2":
        handle = bz2.BZ2File(raw)
    ordinal = 0
    try:
        for item in read_stream(handle, label, limits):
            yield position(index, 0, ordinal), item
            ordinal += 1
    except (OSError, EOFError, zlib.error) as exc:
        where = Location(file=label)
        message = f"{label}: is not a whole {codec} file ({exc}); only what came before was read"
        yield position(index, 0, ordinal), Unreadable(Issue("fatal", "structure", where, message))


def translate_items(
    entries: Iterable[tuple[Position, Item]], policy: Policy, *, full: bool
) -> Iterator[tuple[Position, Fact] | Part]:
    """Each accepted fact with its position, then this task's `Part`."""
    tally = Tally()
    part = Part(files=tally.files)
    facts: list[Fact] = []
    for position, item in entries:
        tally.take(item, facts.append, policy, full=full)
        part.issues.extend((position, n, issue) for n, issue in enumerate(tally.issues))
        tally.issues.clear()
        for fact in facts:
            yield position, fact
        facts.clear()
    part.unreadable = tally.unreadable
    yield part

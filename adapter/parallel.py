"""`--jobs N`: read and translate in N processes; link and judge in this one.

Reading, decoding and translating are most of the cost and independent per resource;
linking needs every fact, so workers send back compact facts (not the source dicts). Work is
cut into pieces: whole files, and large NDJSON files into line-aligned byte ranges (a Bulk
Data export has one big file per resource type). The parent adds the pieces' facts in input
order, so the result is the one a single process gives.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from adapter.collector import paused
from adapter.facts import Fact
from adapter.ingest import Item, Limits
from adapter.ingest.sources import expand_paths, read_file, read_ndjson_range
from adapter.judging import Tally, Validation, finish
from adapter.link import World
from adapter.model import Result
from adapter.policy import Policy, load_policy

PIECE_BYTES = 4 * 1024 * 1024  # NDJSON files larger than this are split into pieces this size


@dataclass(frozen=True, slots=True)
class Piece:
    """A whole file (`end` None), or the NDJSON lines starting in bytes [start, end)."""

    path: Path
    start: int = 0
    end: int | None = None
    first_line: int = 1


def check_parallel(
    paths: Sequence[str | Path],
    *,
    as_of: datetime | None,
    policy: Policy,
    validate: Validation,
    limits: Limits,
    jobs: int,
) -> Result:

    pieces = [piece for file in expand_paths(paths) for piece in plan(file)]
    world = World(policy)
    tally = Tally()
    with ProcessPoolExecutor(max_workers=jobs) as pool, paused():
        done = pool.map(
            _read_piece,
            pieces,
            [policy.source] * len(pieces),
            [validate == "full"] * len(pieces),
            [limits] * len(pieces),
        )
        for facts, part in done:
            for fact in facts:
                world.add(fact)
            tally.merge(part)
    return finish(world, tally, policy, (as_of or datetime.now(UTC)).astimezone(UTC))


def plan(file: Path) -> Iterator[Piece]:
    """The pieces of one file: itself, or line-aligned ranges of a large NDJSON file."""
    try:
        size = file.stat().st_size
    except OSError:
        yield Piece(file)  # read_file reports it
        return
    if size <= PIECE_BYTES or not _is_ndjson(file):
        yield Piece(file)
        return
    with file.open("rb") as handle:
        start, line = 0, 1
        while start < size:
            handle.seek(min(start + PIECE_BYTES, size))
            handle.readline()  # to the end of the line the cut falls in
            end = min(handle.tell(), size)
            yield Piece(file, start, end, line)
            handle.seek(start)
            line += handle.read(end - start).count(b"\n")
            start = end


def _is_ndjson(file: Path) -> bool:
    """Two lines that are each a whole JSON object: what the reader calls NDJSON."""
    with file.open("rb") as handle:
        lines = [handle.readline(PIECE_BYTES), handle.readline(PIECE_BYTES)]
    try:
        return all(isinstance(orjson.loads(line), dict) for line in lines)
    except orjson.JSONDecodeError:
        return False


def _read_piece(
    piece: Piece, policy_source: str | None, full: bool, limits: Limits
) -> tuple[list[Fact], Tally]:

    policy = _policy(policy_source)
    facts: list[Fact] = []
    tally = Tally()
    items: Iterator[Item] = (
        read_file(piece.path, limits)
        if piece.end is None
        else read_ndjson_range(piece.path, piece.start, piece.end, piece.first_line, limits)
    )
    with paused():
        for item in items:
            tally.take(item, facts.append, policy, full=full)
    return facts, tally


_POLICIES: dict[str | None, Policy] = {}


def _policy(source: str | None) -> Policy:
    """Each worker loads the policy once."""
    if source not in _POLICIES:
        _POLICIES[source] = load_policy(source)
    return _POLICIES[source]

"""`--jobs N`: the partitioned engine in N processes; the parent only groups and merges.

1. Read: the input is cut into pieces (whole files; large NDJSON files into line-aligned
   byte ranges, as a Bulk Data export has one big file per resource type). A worker reads,
   counts and translates a piece, spills its facts to a file in a temporary folder and sends
   back only its tally and each fact's route (tokens, a few integers).
2. Group: the parent groups the routes (`Grouping`) into partitions.
3. Judge: a worker reads one partition's facts (and the shared context) from the spill
   files, links and judges them, and sends back obligations and linking issues.

No fact is sent to the parent. The pieces are numbered in input order and a fact's `seq` is
(piece, position in piece), so the answer is the one a single process gives.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import orjson

from adapter.collector import paused
from adapter.facts import Fact
from adapter.ingest import Item, Limits
from adapter.ingest.sources import expand_paths, read_file, read_ndjson_range
from adapter.judging import Tally, Validation, assemble
from adapter.model import Result
from adapter.partition.group import Grouping
from adapter.partition.judge import Judged, Placed, judge_partition, merge
from adapter.partition.local import PARTITION_FACTS, Progress
from adapter.partition.route import route
from adapter.partition.spill import Spill, read_at
from adapter.policy import Policy, load_policy

PIECE_BYTES = 4 * 1024 * 1024  # NDJSON files larger than this are split into pieces this size
PIECE_SHIFT = 32  # seq = piece << PIECE_SHIFT | position in the piece


@dataclass(frozen=True, slots=True)
class Piece:
    """A whole file (`end` None), or the NDJSON lines starting in bytes [start, end)."""

    path: Path
    start: int = 0
    end: int | None = None
    first_line: int = 1


@dataclass(frozen=True, slots=True)
class Read:
    """What a reading worker sends back: its tally, and for each fact (in order) where it
    is in the piece's spill file and its route, flattened into arrays."""

    tally: Tally
    offsets: array[int]  # where each fact's record starts in the spill file, and the end
    shared: array[int]  # 1 for shared context
    tokens: array[int]  # every fact's tokens, one after another
    token_ends: array[int]  # where each fact's tokens end in `tokens`
    weak: array[int]
    weak_ends: array[int]


@dataclass(frozen=True, slots=True)
class Task:
    """One partition to judge: for each piece (in order), its records' byte ranges as
    start, end, start, end..."""

    folder: Path
    own: tuple[tuple[int, array[int]], ...]
    shared: tuple[tuple[int, array[int]], ...]
    policy_source: str | None
    as_of: datetime


def check_jobs(
    paths: Sequence[str | Path],
    *,
    as_of: datetime,
    policy: Policy,
    validate: Validation,
    limits: Limits,
    jobs: int,
    progress: Progress | None = None,
    partitions: int | None = None,
) -> Result:
    pieces = [piece for file in expand_paths(paths) for piece in plan(file)]
    tally = Tally()
    grouping = Grouping()
    where_piece, where_start, where_end = array("q"), array("q"), array("q")  # grouped facts
    shared: dict[int, array[int]] = {}
    with (
        TemporaryDirectory(prefix="referee-") as name,
        ProcessPoolExecutor(max_workers=jobs) as pool,
    ):
        folder = Path(name)
        done = pool.map(
            _read_piece,
            pieces,
            range(len(pieces)),
            [folder] * len(pieces),
            [policy.source] * len(pieces),
            [validate == "full"] * len(pieces),
            [limits] * len(pieces),
        )
        for number, read in enumerate(done):
            tally.merge(read.tally)
            _group(number, read, grouping, (where_piece, where_start, where_end), shared)
            if progress is not None:
                progress(tally.counts.received)
        count = partitions or max(4 * jobs, math.ceil(len(grouping) / PARTITION_FACTS))
        context = tuple(shared.items())
        tasks = [
            Task(
                folder,
                _by_piece(p, where_piece, where_start, where_end),
                context,
                policy.source,
                as_of,
            )
            for p in grouping.partitions(count)
        ] or [Task(folder, (), context, policy.source, as_of)]
        obligations, link_issues, reported = merge(pool.map(_judge, tasks))
    return assemble(tally, obligations, link_issues, policy, as_of, reported)


def _group(
    number: int,
    read: Read,
    grouping: Grouping,
    where: tuple[array[int], array[int], array[int]],
    shared: dict[int, array[int]],
) -> None:
    """Add one piece's facts to the grouping (shared context aside), remembering where each
    one's record is."""
    offsets = read.offsets
    t = w = 0
    for i in range(len(offsets) - 1):
        t_end, w_end = read.token_ends[i], read.weak_ends[i]
        if read.shared[i]:
            shared.setdefault(number, array("q")).extend((offsets[i], offsets[i + 1]))
        else:
            grouping.add_tokens(read.tokens[t:t_end], read.weak[w:w_end])
            for column, value in zip(where, (number, offsets[i], offsets[i + 1]), strict=True):
                column.append(value)
        t, w = t_end, w_end


def _by_piece(
    positions: array[int], where_piece: array[int], where_start: array[int], where_end: array[int]
) -> tuple[tuple[int, array[int]], ...]:
    """A partition's records, piece by piece: ascending positions are ascending seqs."""
    found: dict[int, array[int]] = {}
    for position in positions:
        spans = found.setdefault(where_piece[position], array("q"))
        spans.extend((where_start[position], where_end[position]))
    return tuple(found.items())


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


def _spill_path(folder: Path, number: int) -> Path:
    return folder / f"piece-{number}.spill"


def _read_piece(
    piece: Piece, number: int, folder: Path, policy_source: str | None, full: bool, limits: Limits
) -> Read:
    """Worker: read, count, translate and route one piece; spill its facts."""
    policy = _policy(policy_source)
    tally = Tally()
    read = Read(tally, *(array("q") for _ in range(6)))
    items: Iterator[Item] = (
        read_file(piece.path, limits)
        if piece.end is None
        else read_ndjson_range(piece.path, piece.start, piece.end, piece.first_line, limits)
    )
    spill = Spill(_spill_path(folder, number))

    def sink(fact: Fact) -> None:
        spill.append(number << PIECE_SHIFT | len(spill), fact)
        found = route(fact, policy)
        read.shared.append(found.shared)
        read.tokens.extend(found.tokens)
        read.token_ends.append(len(read.tokens))
        read.weak.extend(found.weak)
        read.weak_ends.append(len(read.weak))

    try:
        with paused():  # no cyclic garbage in the hot loop (adapter/collector.py)
            for item in items:
                tally.take(item, sink, policy, full=full)
    finally:
        spill.close()
    read.offsets.extend(spill.offsets)
    return read


def _judge(task: Task) -> Judged:
    """Worker: link and judge one partition from the spill files."""
    policy = _policy(task.policy_source)
    with paused():
        shared = list(_records(task.folder, task.shared))
        own = _records(task.folder, task.own)
        return judge_partition(own, shared, policy=policy, as_of=task.as_of)


def _records(folder: Path, wanted: tuple[tuple[int, array[int]], ...]) -> Iterator[Placed]:
    for number, spans in wanted:
        pairs = zip(spans[::2], spans[1::2], strict=True)
        yield from read_at(_spill_path(folder, number), pairs)


_POLICIES: dict[str | None, Policy] = {}


def _policy(source: str | None) -> Policy:
    """Each worker loads the policy once."""
    if source not in _POLICIES:
        _POLICIES[source] = load_policy(source)
    return _POLICIES[source]

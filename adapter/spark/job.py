"""The Spark engine: the partitioned engine of `referee check` on a Spark cluster.

1. The driver lists the files (adapter/spark/inputs.py) and plans how the executors read
   them with the reader `referee check` uses (adapter/spark/sources.py): large NDJSON files
   in line-aligned pieces with their true line numbers, others whole.
2. Executors translate each item with the same code (`Tally`, `translate`) and route each
   fact to its patient's partition; shared context goes to one more partition.
3. Spark's shuffle groups the facts by partition key, sorted by input position (spilling to
   disk as it needs). The driver collects the shared context and the tallies from that one
   partition and broadcasts the shared context to every executor.
4. Each patient partition is linked and judged with the single process's code; the
   obligations are merged in their sort order, counts and issues in input order.
"""

from __future__ import annotations

import heapq
import itertools
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapter.errors import UsageError
from adapter.facts import Fact
from adapter.ingest import Limits
from adapter.ingest.sources import read_file
from adapter.judging import Tally, Validation, judge, stu3_notice
from adapter.link import World
from adapter.model import Counts, Issue, Result
from adapter.policy import Policy
from adapter.spark.inputs import Input, expand
from adapter.spark.reading import Part, Position, translate_items
from adapter.spark.sources import read_items

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

META = "\uffffmeta"  # the key of the partition holding tallies and shared context
SHARED = "\uffffshared"
ObligationKey = tuple[str, str, str, int]  # rule, subject, partition key, index in it


@dataclass(slots=True)
class Judged:
    """What the shuffle and the judges gave, before the obligations are merged."""

    judged: RDD[tuple[str, Any, Any]]  # ("o", ObligationKey, Obligation) | ("i", key, Issue)
    tally: Tally
    link_issues: list[Issue] = field(default_factory=list)


def check_spark(
    spark: SparkSession,
    paths: Sequence[str | Path],
    *,
    as_of: datetime,
    policy: Policy,
    validate: Validation = "rules",
    limits: Limits | None = None,
    partitions: int | None = None,
) -> Result:
    """`referee check` on Spark: the same Result, obligations collected to the driver."""
    run = judge_on_spark(spark, paths, policy, as_of, validate, limits or Limits(), partitions)
    rows = run.judged.collect()
    obligations = [o for _, _, o in sorted((r for r in rows if r[0] == "o"), key=_second)]
    links = [i for _, _, i in sorted((r for r in rows if r[0] == "i"), key=_second)]
    return Result(
        as_of=as_of,
        counts=run.tally.counts,
        obligations=obligations,
        issues=run.tally.issues + links,
        files=run.tally.files,
        unreadable_files=run.tally.unreadable,
        policy=policy.describe(),
    )


def _second(row: tuple[Any, ...]) -> Any:
    return row[1]


def judge_on_spark(
    spark: SparkSession,
    paths: Sequence[str | Path],
    policy: Policy,
    as_of: datetime,
    validate: Validation,
    limits: Limits,
    partitions: int | None,
) -> Judged:
    sc = spark.sparkContext
    files, missing = expand(sc, [str(p) for p in paths])
    commas = [f.label for f in files if f.local is None and "," in f.uri]
    if commas:
        raise UsageError(f"{commas[0]}: Hadoop cannot read a URI with a comma in it; rename it")
    count = partitions or max(2, 2 * sc.defaultParallelism)
    bc_policy = sc.broadcast(policy)
    full = validate == "full"
    items = read_items(sc, files, limits)
    records = items.mapPartitions(
        lambda entries: _keyed(translate_items(entries, bc_policy.value, full=full))
    )
    shuffled = records.repartitionAndSortWithinPartitions(
        count + 1, lambda key: _partition(key, count)
    )
    meta = sc.runJob(shuffled, _values, partitions=[count])
    tally = _tally(files, missing, [v for v in meta if isinstance(v, Part)], policy)
    shared = sorted(((p, f) for p, f in (v for v in meta if isinstance(v, tuple))), key=_first)
    bc_shared = sc.broadcast(shared)
    judged = shuffled.mapPartitionsWithIndex(
        lambda index, rows: (
            _judge_partition(rows, bc_shared.value, bc_policy.value, as_of)
            if index < count
            else iter(())
        )
    )
    return Judged(judged, tally)


def _first(pair: tuple[Position, Fact]) -> Position:
    return pair[0]


# -- routing and the shuffle -----------------------------------------------------------------


def route(fact: Fact) -> str:
    """The partition key of a fact: its patient's, or SHARED for context every patient's
    obligations may read. Until the partition API lands, one partition holds every fact."""
    return ""


def _keyed(
    produced: Iterable[tuple[Position, Fact] | Part],
) -> Iterator[tuple[tuple[str, Position], Any]]:
    for index, value in enumerate(produced):
        if isinstance(value, Part):
            yield (META, (-1, -1, index)), value
        else:
            key = route(value[1])
            yield (META if key == SHARED else key, value[0]), value if key == SHARED else value[1]


def _partition(key: tuple[str, Position], count: int) -> int:
    """A stable hash (Python's own is salted per process) of the partition key."""
    name = key[0]
    return count if name == META else zlib.crc32(name.encode()) % count


def _values(rows: Iterable[tuple[Any, Any]]) -> list[Any]:
    return [value for _, value in rows]


# -- judging ---------------------------------------------------------------------------------


def _judge_partition(
    rows: Iterable[tuple[tuple[str, Position], Fact]],
    shared: list[tuple[Position, Fact]],
    policy: Policy,
    as_of: datetime,
) -> Iterator[tuple[str, Any, Any]]:
    """Each patient group of one Spark partition, linked and judged with the shared
    context, in input order."""
    for name, group in itertools.groupby(rows, key=lambda row: row[0][0]):
        mine = ((key[1], fact) for key, fact in group)
        world = World(policy)
        for _, fact in heapq.merge(shared, mine, key=_first):
            world.add(fact)
        world.build()
        for index, obligation in enumerate(judge(world, policy, as_of)):
            yield "o", (obligation.rule, obligation.subject, name, index), obligation
        for index, issue in enumerate(world.issues):
            yield "i", (name, index), issue


# -- counts and issues -----------------------------------------------------------------------


def _tally(files: list[Input], missing: list[Input], parts: list[Part], policy: Policy) -> Tally:
    """The executors' tallies as one, in input order: per-file counts in file order, issues
    by position, one STU3 notice per file (its first)."""
    tally = Tally()
    labels = {f.label: f.index for f in [*files, *missing]}
    issues: list[tuple[Position, int, Issue]] = []
    for gone in missing:  # what `referee check` says of a path that does not exist
        for item in read_file(Path(gone.label)):
            tally.take(item, _nothing, policy, full=False)
        issues += [((gone.index, 0, 0), n, issue) for n, issue in enumerate(tally.issues)]
        tally.issues.clear()
    notices: dict[Issue, tuple[Position, int]] = {}
    for part in parts:
        for label, counts in part.files.items():
            tally.files.setdefault(label, Counts()).merge(counts)
            tally.counts.merge(counts)
        tally.unreadable += part.unreadable
        for position, n, issue in part.issues:
            if _is_notice(issue):
                notices[issue] = min(notices.get(issue, (position, n)), (position, n))
            else:
                issues.append((position, n, issue))
    issues += [(position, n, issue) for issue, (position, n) in notices.items()]
    tally.issues = [issue for _, _, issue in sorted(issues, key=lambda x: (x[0], x[1]))]
    tally.files = dict(sorted(tally.files.items(), key=lambda kv: labels.get(kv[0], 1 << 62)))
    return tally


def _nothing(fact: Fact) -> None:
    """A path that does not exist gives no fact."""


def _is_notice(issue: Issue) -> bool:
    file = issue.location.file
    return issue.code == "informational" and issue == stu3_notice(file or "<input>")

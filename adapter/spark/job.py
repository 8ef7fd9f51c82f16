"""The Spark engine: the partitioned engine of `referee check` on a Spark cluster.

1. The driver lists the files (adapter/spark/inputs.py) and plans how the executors read
   them with the reader `referee check` uses (adapter/spark/sources.py): large NDJSON files
   in line-aligned pieces with their true line numbers, others whole.
2. Executors translate each item with the same code (`Tally`, `translate`) and route each
   fact (`adapter.partition.route`); the facts stay on the executors (memory, then disk).
3. The driver receives only the routes (a few integers per fact), the shared context
   (organisations, practitioners, roles, services...) and the tallies; it groups the facts
   that share a token (`Grouping`) into partitions and broadcasts where each fact goes and
   the shared context.
4. Spark's shuffle brings each partition's facts together, sorted by input position
   (spilling to disk as it needs); each partition is linked and judged with
   `judge_partition`, the single process's code, and the answers merge (`merge`) into
   exactly the single process's: obligations in their sort order, issues in input order.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapter.errors import UsageError
from adapter.facts import Fact
from adapter.ingest import Limits
from adapter.ingest.sources import read_file
from adapter.judging import Tally, Validation, assemble, stu3_notice
from adapter.model import Counts, Issue, Result
from adapter.partition import Grouping, Judged, Placed, judge_partition, merge, route
from adapter.policy import Policy
from adapter.spark.inputs import Input, expand
from adapter.spark.reading import Part, Position, position, translate_items
from adapter.spark.sources import read_items

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession


@dataclass(slots=True)
class SparkRun:
    """The judged partitions (one `partition.Judged` each) and the tally, in input order.
    `release()` frees the facts the executors keep between the two passes."""

    judged: RDD[Judged]
    tally: Tally
    facts: RDD[Any]

    def release(self) -> None:
        self.facts.unpersist()


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
    try:
        obligations, link_issues, reported = merge(run.judged.collect())
    finally:
        run.release()
    return assemble(run.tally, obligations, link_issues, policy, as_of, reported)


def judge_on_spark(
    spark: SparkSession,
    paths: Sequence[str | Path],
    policy: Policy,
    as_of: datetime,
    validate: Validation,
    limits: Limits,
    partitions: int | None,
) -> SparkRun:
    """Read, translate and route on the executors (kept there: memory, then disk); group on
    the driver from the routes alone; shuffle the facts into their partitions and judge."""
    from pyspark import StorageLevel

    sc = spark.sparkContext
    files, missing = expand(sc, [str(p) for p in paths])
    commas = [f.label for f in files if f.local is None and "," in f.uri]
    if commas:
        raise UsageError(f"{commas[0]}: Hadoop cannot read a URI with a comma in it; rename it")
    bc_policy = sc.broadcast(policy)
    full = validate == "full"
    facts = read_items(sc, files, limits).mapPartitions(
        lambda entries: _routed(
            translate_items(entries, bc_policy.value, full=full), bc_policy.value
        )
    )
    facts.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        grouping, seqs, shared, parts = _gather(facts)
        placed = grouping.partitions(partitions or max(2, 2 * sc.defaultParallelism))
    except BaseException:
        facts.unpersist()
        raise
    tally = _tally(files, missing, parts, policy)
    where = {seqs[p]: index for index, part in enumerate(placed) for p in part}
    bc_where = sc.broadcast(where)
    bc_shared = sc.broadcast(sorted(shared, key=_seq))
    judged = (
        facts.filter(lambda record: record[0] == "f")
        .map(lambda record: ((bc_where.value[record[1]], record[1]), record[2]))
        .repartitionAndSortWithinPartitions(max(1, len(placed)), _partition_of)
        .mapPartitions(
            lambda rows: [
                judge_partition(
                    ((key[1], fact) for key, fact in rows),
                    bc_shared.value,
                    policy=bc_policy.value,
                    as_of=as_of,
                )
            ]
        )
    )
    return SparkRun(judged, tally, facts)


def _routed(
    produced: Iterable[tuple[Position, Fact] | Part], policy: Policy
) -> Iterator[tuple[Any, ...]]:
    """("f", seq, fact, tokens, weak) for a fact of a patient's story, ("s", seq, fact)
    for shared context, ("p", part) for a task's tally."""
    for value in produced:
        if isinstance(value, Part):
            yield ("p", value)
            continue
        seq, fact = value
        found = route(fact, policy)
        if found.shared:
            yield ("s", seq, fact)
        else:
            yield ("f", seq, fact, found.tokens, found.weak)


@dataclass(slots=True)
class _Routes:
    """One task's routes, compact (the facts stay on the executor): each fact's seq, its
    tokens and weak tokens flattened, with where each fact's begin; its shared context; its
    tally."""

    seqs: list[Position] = field(default_factory=list)
    tokens: array[int] = field(default_factory=lambda: array("q"))
    weak: array[int] = field(default_factory=lambda: array("q"))
    ends: array[int] = field(default_factory=lambda: array("q"))  # tokens end, weak end
    shared: list[Placed] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)


def _routes(records: Iterable[tuple[Any, ...]]) -> Iterator[_Routes]:
    found = _Routes()
    for record in records:
        if record[0] == "f":
            found.seqs.append(record[1])
            found.tokens.extend(record[3])
            found.weak.extend(record[4])
            found.ends.extend((len(found.tokens), len(found.weak)))
        elif record[0] == "s":
            found.shared.append((record[1], record[2]))
        else:
            found.parts.append(record[1])
    yield found


def _gather(facts: RDD[Any]) -> tuple[Grouping, list[Position], list[Placed], list[Part]]:
    """The routes (not the facts) of the patients' stories, grouped on the driver; the shared
    context; the tallies. One small record per task."""
    grouping = Grouping()
    seqs: list[Position] = []
    shared: list[Placed] = []
    parts: list[Part] = []
    for task in facts.mapPartitions(_routes).collect():
        token_start = weak_start = 0
        for n, seq in enumerate(task.seqs):
            token_end, weak_end = task.ends[2 * n], task.ends[2 * n + 1]
            grouping.add_tokens(task.tokens[token_start:token_end], task.weak[weak_start:weak_end])
            token_start, weak_start = token_end, weak_end
            seqs.append(seq)
        shared += task.shared
        parts += task.parts
    return grouping, seqs, shared, parts


def _partition_of(key: tuple[int, Position]) -> int:
    return key[0]


def _seq(placed: Placed) -> Position:
    return placed[0]


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
        issues += [(position(gone.index, 0, 0), n, issue) for n, issue in enumerate(tally.issues)]
        tally.issues.clear()
    notices: dict[Issue, tuple[Position, int]] = {}
    for part in parts:
        for label, counts in part.files.items():
            tally.files.setdefault(label, Counts()).merge(counts)
            tally.counts.merge(counts)
        tally.unreadable += part.unreadable
        for seq, n, issue in part.issues:
            if _is_notice(issue):
                notices[issue] = min(notices.get(issue, (seq, n)), (seq, n))
            else:
                issues.append((seq, n, issue))
    issues += [(seq, n, issue) for issue, (seq, n) in notices.items()]
    tally.issues = [issue for _, _, issue in sorted(issues, key=lambda x: (x[0], x[1]))]
    tally.files = dict(sorted(tally.files.items(), key=lambda kv: labels.get(kv[0], 1 << 62)))
    return tally


def _nothing(fact: Fact) -> None:
    """A path that does not exist gives no fact."""


def _is_notice(issue: Issue) -> bool:
    file = issue.location.file
    return issue.code == "informational" and issue == stu3_notice(file or "<input>")

"""`referee spark --out DIR`: the obligations written by the executors (NDJSON part files or
a Parquet dataset, in the report's sort order), and the JSON summary the driver prints: the
members of rules.md §7 but `obligations`, which are in DIR."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson

from adapter.errors import UsageError
from adapter.ingest import Limits
from adapter.judging import Validation
from adapter.model import STATUSES, Obligation, Result
from adapter.partition import Judged, merge
from adapter.policy import Policy
from adapter.spark.job import judge_on_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

OutFormat = Literal["ndjson", "parquet"]


@dataclass(slots=True)
class Written(Result):
    """A Result whose obligations are in `out`, not in memory: its summary was counted by
    the executors."""

    statuses: dict[str, int] = field(default_factory=dict)
    out: str = ""
    format: OutFormat = "ndjson"

    def summary(self) -> dict[str, int]:
        tally = {"obligations": sum(self.statuses.values())}
        tally.update({status: self.statuses.get(status, 0) for status in STATUSES})
        return tally

    @property
    def breached(self) -> int:
        return self.statuses.get("breached", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.to_json_head(),
            "obligations_out": {"path": self.out, "format": self.format},
            **self.to_json_tail(),
        }


def write_spark(
    spark: SparkSession,
    paths: Sequence[str | Path],
    out: str,
    *,
    out_format: OutFormat,
    as_of: datetime,
    policy: Policy,
    validate: Validation = "rules",
    limits: Limits | None = None,
    partitions: int | None = None,
) -> Written:
    """Judge on Spark and write the obligations to `out` (a local folder or Hadoop URI that
    must not exist yet) in sort order."""
    from pyspark import StorageLevel

    _refuse_existing(spark, out)
    run = judge_on_spark(spark, paths, policy, as_of, validate, limits or Limits(), partitions)
    judged = run.judged.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        _, links, reported = merge(judged.map(_without_obligations).collect())
        made = judged.mapPartitionsWithIndex(_keyed)
        statuses = made.map(lambda pair: pair[1].status).countByValue()
        ordered = made.sortByKey().values()
        if out_format == "ndjson":
            ordered.map(lambda o: orjson.dumps(o.to_json())).saveAsTextFile(out)
        else:
            spark.createDataFrame(ordered.map(_row), _schema()).write.parquet(out)
    finally:
        judged.unpersist()
        run.release()
    return Written(
        as_of=as_of,
        counts=run.tally.counts,
        obligations=[],
        issues=run.tally.issues + links,
        files=run.tally.files,
        unreadable_files=run.tally.unreadable,
        policy=policy.describe(),
        reported=reported,
        statuses={str(status): count for status, count in statuses.items()},
        out=out,
        format=out_format,
    )


def _without_obligations(judged: Judged) -> Judged:
    return Judged([], judged.issues, judged.reported)


def _keyed(
    index: int, parts: Iterable[Judged]
) -> Iterator[tuple[tuple[str, str, int, int], Obligation]]:
    """Each obligation under its place in the merged order: (rule, subject) never ties
    across partitions, and within one the judge's order is kept."""
    for part in parts:
        for number, obligation in enumerate(part.obligations):
            yield (obligation.rule, obligation.subject, index, number), obligation


def _refuse_existing(spark: SparkSession, out: str) -> None:
    jvm: Any = spark.sparkContext._jvm  # the Hadoop FileSystem API is only on the JVM side
    path = jvm.org.apache.hadoop.fs.Path(out)
    if path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(path):
        raise UsageError(f"--out {out}: already exists; remove it or name a new folder")


INSTANTS = ("due", "fulfilled_at")  # timestamps in Parquet; the rest as the JSON has them
_SHAPE = Obligation("", "met", "", None, None, None, None, None, (), "", None, "").to_json()


def _row(obligation: Obligation) -> tuple[Any, ...]:
    """The obligation's published JSON members, in order, instants as datetimes."""
    found = obligation.to_json()
    found["due"], found["fulfilled_at"] = obligation.due, obligation.fulfilled_at
    return tuple(found.values())


def _schema() -> StructType:
    """The members of an obligation's published JSON (rules.md §7 and the project's
    extensions), in order: instants as timestamps (UTC), evidence as an array, the rest
    text (null where the JSON may be null)."""
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType, TimestampType

    required = {"rule", "status", "subject", "detail", "clause"}
    fields = []
    for name in _SHAPE:
        if name in INSTANTS:
            fields.append(StructField(name, TimestampType(), True))
        elif name == "evidence":
            fields.append(StructField(name, ArrayType(StringType(), False), False))
        else:
            fields.append(StructField(name, StringType(), name not in required))
    return StructType(fields)

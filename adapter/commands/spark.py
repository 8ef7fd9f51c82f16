"""`referee spark`: `referee check` on a Spark cluster for national volumes; the obligations
are written by the executors (NDJSON or Parquet), the JSON summary by the driver."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from adapter.commands import outcome
from adapter.commands.options import (
    add_allow_empty,
    add_as_of,
    check_inputs,
    positive_int,
    say_as_of,
)
from adapter.errors import UsageError

EXIT_BAD_INPUT = 2

DESCRIPTION = """\
Read FHIR NDJSON (plain, .gz or .bz2; Bulk Data layout), JSON, XML or Bundles from local
files or folders or any Hadoop file-system URI (hdfs://, s3a://, abfss://, dbfs:/), judge
them with the same partitioned engine as `referee check` on Spark, write the obligations to
--out (a folder of NDJSON part files, or a Parquet dataset, in the report's sort order) and
print the JSON summary of rules.md §7 (counts, summary, issues) on standard output.

Without --master it runs in local[2] mode, or on the cluster it was submitted to
(spark-submit, Databricks). Needs pyspark (pip install 'interface-referee[spark]') and
Java 17 or later.

exit codes: as `referee check` (0 no breach, 1 a breach, 2 bad input or usage, 3 a bug).
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "spark",
        help="evaluate FHIR files on Spark (national volumes), writing the obligations",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="a file, a folder, or a Hadoop URI (hdfs://…)"
    )
    parser.add_argument(
        "--out",
        "-o",
        required=True,
        metavar="DIR",
        help="folder (or Hadoop URI) for the obligations; must not exist yet",
    )
    parser.add_argument(
        "--out-format",
        choices=["ndjson", "parquet"],
        default="ndjson",
        help="ndjson: one rules.md §7 obligation per line (default); parquet: a dataset",
    )
    add_as_of(parser)
    parser.add_argument(
        "--policy", type=Path, metavar="FILE", help="local policy (TOML), as for referee check"
    )
    parser.add_argument(
        "--validate",
        choices=["rules", "full"],
        default="rules",
        help="as for referee check (default rules)",
    )
    parser.add_argument(
        "--master",
        metavar="URL",
        help="Spark master (local[4], yarn, spark://host:7077); default: the submitted "
        "cluster, else local[2]",
    )
    parser.add_argument(
        "--partitions",
        type=positive_int,
        metavar="N",
        help="patient partitions (default: twice the cluster's cores)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 2 when any resource is rejected"
    )
    add_allow_empty(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from adapter.commands.check import exit_code
    from adapter.policy import load_policy
    from adapter.spark.inputs import is_uri
    from adapter.spark.output import write_spark
    from adapter.spark.session import spark_run

    if "-" in args.paths:
        raise UsageError("referee spark reads files, folders or URIs, not standard input (-)")
    missing = check_inputs([p for p in args.paths if not is_uri(p)])
    policy = load_policy(args.policy)
    say_as_of(args.as_of_text, args.as_of)
    with spark_run(args.master) as spark:
        written = write_spark(
            spark,
            args.paths,
            args.out,
            out_format=args.out_format,
            as_of=args.as_of or datetime.now(UTC),
            policy=policy,
            validate=args.validate,
            partitions=args.partitions,
        )
    outcome.fatal_files(written, said=missing)
    outcome.warn_rejected(written, always=args.strict)
    empty = None if args.allow_empty else outcome.nothing_accepted(written, args.paths)
    code = EXIT_BAD_INPUT if empty else exit_code(written, strict=args.strict)
    sys.stdout.buffer.write(orjson.dumps(written.to_json(), option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()
    if empty:
        raise UsageError(empty)
    return code

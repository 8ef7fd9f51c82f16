"""One SparkSession for a run: the cluster's when the job was submitted (`spark-submit`,
Databricks), else a small local one (`local[N]`).

pyspark is an optional extra (`pip install -e '.[spark]'`); it needs Java 17 or later. Spark 4
opens the JDK modules it needs itself, so no `--add-opens` is set here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from adapter.errors import UsageError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

QUIET = Path(__file__).with_name("log4j2.properties")  # errors only, on stderr
LOCAL_MEMORY = "1g"  # the driver JVM in local mode: executors live in it
SUBMITTED = "PYSPARK_GATEWAY_PORT"  # set when spark-submit (or a notebook) started the JVM


def require_pyspark() -> None:
    """A clear usage error, not a traceback, when the extra is not installed."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise UsageError(
            "the Spark engine needs pyspark: pip install 'interface-referee[spark]' "
            "(and Java 17 or later)"
        ) from None


@contextmanager
def spark_run(master: str | None = None) -> Iterator[SparkSession]:
    """A session for one command: stopped at the end when this call started it, left
    running when a cluster (spark-submit, Databricks) or the caller gave it."""
    require_pyspark()
    from pyspark.sql import SparkSession

    given = SparkSession.getActiveSession() is not None or (
        SUBMITTED in os.environ and master is None
    )
    spark = spark_session(master)
    try:
        yield spark
    finally:
        if not given:
            spark.stop()


def spark_session(master: str | None = None, *, partitions: int = 8) -> SparkSession:
    """The session to run on. `master` (e.g. `local[2]`, `yarn`, `spark://host:7077`) is
    used when given; under spark-submit or on Databricks the submitted one is; otherwise
    `local[2]` with a small JVM, quiet, no web UI, bound to 127.0.0.1."""
    require_pyspark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("interface-referee")
    submitted = SUBMITTED in os.environ and master is None
    if not submitted:
        master = master or "local[2]"
        builder = builder.master(master)
    if master is not None and master.startswith("local"):
        # Workers run this interpreter (the one with adapter installed), not `python3`.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (
            builder.config("spark.driver.memory", LOCAL_MEMORY)
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={QUIET}")
        )
    return builder.getOrCreate()

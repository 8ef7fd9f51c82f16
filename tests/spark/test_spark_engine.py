"""The Spark engine in local[2] mode gives exactly what `referee check` gives: the same
obligations, counts, per-file counts and issues in the same order, on every golden fixture,
on synthetic data (and its truth), on NDJSON read in splits, gzipped, or not NDJSON at all;
and `referee spark` writes the same obligations as NDJSON and Parquet.

One SparkSession serves the worker's whole run (starting one costs seconds); each run is small."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from cases import CASES, inputs

from adapter.cli import main
from adapter.engine import check
from adapter.instants import parse_instant
from adapter.model import Result, format_instant
from adapter.policy import load_policy
from adapter.spark.job import check_spark
from adapter.spark.session import spark_session

pytest.importorskip(
    "pyspark", reason="the spark extra is not installed (pip install -e '.[spark]')"
)


if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# slow; and under pytest-xdist (--dist loadgroup) in one worker, so one JVM serves them all
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]
ROOT = Path(__file__).resolve().parents[2]
AS_OF = parse_instant("2024-03-20T12:00:00Z")
SYNTH_AS_OF = "2026-03-29T01:30:00Z"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# Session scope: under xdist other modules' tests run between these in the same worker, and
# a module-scoped session was stopped and started again (12 s each time).
@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = spark_session("local[2]")
    try:
        yield session
    finally:
        session.stop()


def same(one: Result, two: Result) -> None:
    assert two.to_json() == one.to_json()
    assert {k: v.to_json() for k, v in two.files.items()} == {
        k: v.to_json() for k, v in one.files.items()
    }
    assert list(two.files) == list(one.files)
    assert two.unreadable_files == one.unreadable_files


def test_every_golden_fixture_gives_the_single_process_answer(spark: SparkSession) -> None:
    """Every golden input judged in one run: their ids collide across cases, which the
    partitions must settle as one process does (duplicate keys, versions, shared context)."""
    every = [path for case in CASES for path in inputs(case)]
    policy = load_policy()
    one = check(every, as_of=AS_OF, policy=policy)
    same(one, check_spark(spark, every, as_of=AS_OF, policy=policy))
    assert len(one.obligations) >= 50 and one.issues and one.counts.rejected


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from adapter.synth import generate

    out = tmp_path_factory.mktemp("synth") / "icb"
    generate(
        out,
        patients=150,
        months=6,
        seed=11,
        progress=False,
        as_of=parse_instant(SYNTH_AS_OF),
        stu3=0.2,
        statements=0.2,
        documents=0.2,
    )
    return out


def truth(out: Path) -> set[tuple[str, str, str]]:
    lines = out.with_name(out.name + ".truth.ndjson").read_bytes().splitlines()
    return {(t["rule"], t["subject"], t["status"]) for t in map(orjson.loads, lines)}


def test_synthetic_data_gives_the_single_process_answer_and_the_truth(
    spark: SparkSession, synth: Path
) -> None:
    when = parse_instant(SYNTH_AS_OF)
    assert when is not None
    policy = load_policy()
    one = check([synth], as_of=when, policy=policy)
    two = check_spark(spark, [synth], as_of=when, policy=policy, partitions=3)
    same(one, two)
    assert {(o.rule, o.subject, o.status) for o in two.obligations} == truth(synth)
    assert two.counts.accepted > 1000


def test_pieces_splits_gzip_and_not_ndjson_keep_lines_counts_and_issues(
    spark: SparkSession, synth: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Local files (read by Python) and file: URIs (read by Hadoop): a file in several
    pieces or splits keeps its true line numbers (a bad line is named by its own); gzipped
    files are read; a `.ndjson` holding one pretty JSON document is read whole, as
    `referee check` reads it; a path that does not exist is reported in its place."""
    import adapter.spark.sources

    local, remote, plain = tmp_path / "local", tmp_path / "remote", tmp_path / "plain"
    for folder in (local, remote, plain):
        folder.mkdir()
    big = _with_a_bad_line(synth / "Encounter.ndjson", local / "a-Encounter.ndjson")
    split = _with_a_bad_line(synth / "Composition.ndjson", remote / "d-Composition.ndjson")
    for name, folder in (("Patient", local), ("MedicationRequest", remote)):
        data = (synth / f"{name}.ndjson").read_bytes()
        (folder / f"{name}.ndjson.gz").write_bytes(gzip.compress(data))
        (plain / f"{name}.ndjson").write_bytes(data)
    pretty = remote / "c-Organization.ndjson"
    first = orjson.loads((synth / "Organization.ndjson").read_bytes().splitlines()[0])
    pretty.write_text(json.dumps(first, indent=2))
    gone = str(tmp_path / "gone.ndjson")

    monkeypatch.setattr(adapter.spark.sources, "PIECE_BYTES", big.stat().st_size // 5)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    conf.set("mapreduce.input.fileinputformat.split.maxsize", str(split.stat().st_size // 4))
    try:
        paths = [str(local), remote.as_uri(), gone]
        two = check_spark(spark, paths, as_of=AS_OF, policy=load_policy(), partitions=3)
    finally:
        conf.unset("mapreduce.input.fileinputformat.split.maxsize")

    # what `referee check` reads: the same files in the same order, the gzipped ones plain
    inputs = [plain / "Patient.ndjson", big, plain / "MedicationRequest.ndjson", pretty, split]
    one = check([*map(str, inputs), gone], as_of=AS_OF, policy=load_policy())
    relabel = {
        str(plain / "Patient.ndjson"): str(local / "Patient.ndjson.gz"),
        **{str(p): f"file:{p}" for p in (pretty, split)},
        str(plain / "MedicationRequest.ndjson"): f"file:{remote}/MedicationRequest.ndjson.gz",
    }
    errors = {(i.location.file, i.location.line) for i in one.issues if i.severity == "error"}
    assert errors == {(str(big), _BAD_LINE[big]), (str(split), _BAD_LINE[split])}
    assert _relabelled(one.to_json(), relabel) == two.to_json()
    assert [relabel.get(k, k) for k in one.files] == list(two.files)
    assert two.unreadable_files == one.unreadable_files == 1


_BAD_LINE: dict[Path, int] = {}


def _with_a_bad_line(source: Path, target: Path) -> Path:
    """A copy with one rejected line three quarters in and a blank line before it (line
    numbers count blank lines)."""
    lines = source.read_bytes().splitlines(keepends=True)
    bad = len(lines) * 3 // 4
    lines[bad] = b'{"resourceType": "Encounter", "id": 7}\n'
    lines.insert(len(lines) // 2, b"\n")
    target.write_bytes(b"".join(lines))
    _BAD_LINE[target] = bad + 2
    return target


def _relabelled(found: Any, relabel: dict[str, str]) -> Any:
    text = json.dumps(found)
    for old, new in relabel.items():
        text = text.replace(json.dumps(old), json.dumps(new))
        text = text.replace(json.dumps(old)[1:-1] + ":", json.dumps(new)[1:-1] + ":")
    return json.loads(text)


def test_the_command_line_runs_the_spark_engine_and_writes_ndjson_and_parquet(
    spark: SparkSession, synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`referee check --engine spark` prints what `referee check` prints; `referee spark`
    writes the same obligations (NDJSON in order, Parquet), prints the same summary, and
    refuses to overwrite its output."""
    args = ["check", str(synth), "--as-of", SYNTH_AS_OF, "--format", "json"]
    assert main(args) == 1
    local = capsys.readouterr().out
    assert main([*args, "--engine", "spark", "--jobs", "2"]) == 1
    assert capsys.readouterr().out == local
    expected = json.loads(local)

    ndjson = tmp_path / "ndjson"
    assert main(["spark", str(synth), "--as-of", SYNTH_AS_OF, "--out", str(ndjson)]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary.pop("obligations_out") == {"path": str(ndjson), "format": "ndjson"}
    assert summary == {k: v for k, v in expected.items() if k != "obligations"}
    parts = sorted(ndjson.glob("part-*"))
    found = [orjson.loads(line) for p in parts for line in p.read_bytes().splitlines()]
    assert found == expected["obligations"]

    parquet = tmp_path / "parquet"
    spark_args = ["spark", str(synth), "--as-of", SYNTH_AS_OF, "--out-format", "parquet"]
    assert main([*spark_args, "--out", str(parquet)]) == 1
    capsys.readouterr()
    rows = _parquet(spark, parquet)
    # a Parquet dataset is read back in no particular order
    assert sorted(rows, key=json.dumps) == sorted(expected["obligations"], key=json.dumps)

    assert main(["spark", str(synth), "--out", str(ndjson)]) == 2
    assert "already exists" in capsys.readouterr().err


def _parquet(spark: SparkSession, folder: Path) -> list[dict[str, Any]]:
    """The rows, instants as rules.md §7 writes them (read as microseconds since the epoch:
    a timestamp collected to Python is in the local time zone)."""
    from pyspark.sql import functions

    table = spark.read.parquet(str(folder))
    for name in ("due", "fulfilled_at"):
        table = table.withColumn(name, functions.unix_micros(table[name]))
    rows = [row.asDict() for row in table.collect()]
    for row in rows:
        for name in ("due", "fulfilled_at"):
            micros: int | None = row[name]
            row[name] = (
                None if micros is None else format_instant(EPOCH + timedelta(microseconds=micros))
            )
    return rows

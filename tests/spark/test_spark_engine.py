"""The Spark engine in local[2] mode gives exactly what `referee check` gives: the same
obligations, counts, per-file counts and issues in the same order, on every golden fixture,
on synthetic data (and its truth), on NDJSON read in splits, gzipped, or not NDJSON at all;
and `referee spark` writes the same obligations as NDJSON and Parquet.

One SparkSession serves the module (starting one costs seconds); each run is small."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from cases import CASES, inputs, meta
from cases import as_of as case_as_of
from cases import policy as case_policy

from adapter.cli import main
from adapter.engine import check
from adapter.instants import parse_instant
from adapter.model import Result
from adapter.policy import load_policy
from adapter.spark.job import check_spark
from adapter.spark.output import write_spark
from adapter.spark.session import spark_session

pytest.importorskip(
    "pyspark", reason="the spark extra is not installed (pip install -e '.[spark]')"
)


if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
AS_OF = parse_instant("2024-03-20T12:00:00Z")
SYNTH_AS_OF = "2026-03-29T01:30:00Z"


@pytest.fixture(scope="module")
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
    """All golden inputs judged together (their ids collide across cases, which the engine
    must settle as one process does), and each case with a policy on its own."""
    plain = [path for case in CASES if not meta(case).get("policy") for path in inputs(case)]
    assert len(plain) > 150
    policy = load_policy()
    one = check(plain, as_of=AS_OF, policy=policy)
    same(one, check_spark(spark, plain, as_of=AS_OF, policy=policy))
    assert len(one.obligations) >= 50 and one.issues
    for case in (c for c in CASES if meta(c).get("policy")):
        local = case_policy(case)
        assert local is not None
        one = check(inputs(case), as_of=case_as_of(case), policy=local)
        same(one, check_spark(spark, inputs(case), as_of=case_as_of(case), policy=local))


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from adapter.synth import generate

    out = tmp_path_factory.mktemp("synth") / "icb"
    generate(
        out,
        patients=150,
        months=12,
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
    for partitions in (1, 5):
        two = check_spark(spark, [synth], as_of=when, policy=policy, partitions=partitions)
        same(one, two)
    assert {(o.rule, o.subject, o.status) for o in two.obligations} == truth(synth)
    assert two.counts.accepted > 1000


@pytest.mark.parametrize("by", ["python", "hadoop"])
def test_ndjson_in_pieces_gzipped_or_not_ndjson_keeps_lines_counts_and_issues(
    spark: SparkSession, synth: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by: str
) -> None:
    """Local files (read by Python) and file: URIs (read by Hadoop): a file in several
    pieces keeps its true line numbers (a bad line is named by its own); a gzipped one is
    read; a `.ndjson` holding one pretty JSON document is read whole, as `referee check`
    reads it; a path that does not exist is reported in its place."""
    import adapter.spark.sources

    lines = (synth / "Encounter.ndjson").read_bytes().splitlines(keepends=True)
    bad = len(lines) * 3 // 4
    lines[bad] = b'{"resourceType": "Encounter", "id": 7}\n'
    lines.insert(len(lines) // 2, b"\n")  # a blank line before it: line numbers count it
    big = tmp_path / "in" / "a-Encounter.ndjson"
    big.parent.mkdir()
    big.write_bytes(b"".join(lines))
    zipped = tmp_path / "in" / "b-Patient.ndjson.gz"
    zipped.write_bytes(gzip.compress((synth / "Patient.ndjson").read_bytes()))
    pretty = tmp_path / "in" / "c-Organization.ndjson"
    first = orjson.loads((synth / "Organization.ndjson").read_bytes().splitlines()[0])
    pretty.write_text(json.dumps(first, indent=2))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "b-Patient.ndjson").write_bytes(gzip.decompress(zipped.read_bytes()))
    gone = str(tmp_path / "gone.ndjson")
    folder = str(tmp_path / "in") if by == "python" else (tmp_path / "in").as_uri()
    paths = [folder, gone, str(synth / "Composition.ndjson")]
    piece = big.stat().st_size // 5
    monkeypatch.setattr(adapter.spark.sources, "PIECE_BYTES", piece)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    conf.set("mapreduce.input.fileinputformat.split.maxsize", str(piece))
    try:
        two = check_spark(spark, paths, as_of=AS_OF, policy=load_policy(), partitions=3)
    finally:
        conf.unset("mapreduce.input.fileinputformat.split.maxsize")
    # what `referee check` reads: the same files, the gzipped one uncompressed
    local = [str(big), str(plain / "b-Patient.ndjson"), str(pretty), *paths[1:]]
    one = check(local, as_of=AS_OF, policy=load_policy())
    named = {str(p): str(p) if by == "python" else f"file:{p}" for p in (big, zipped, pretty)}
    relabel = {**named, str(plain / "b-Patient.ndjson"): named[str(zipped)]}
    rejected = [i for i in one.issues if i.location.file == str(big)]
    assert {i.location.line for i in rejected if i.severity == "error"} == {bad + 2}
    assert _relabelled(one.to_json(), relabel) == two.to_json()
    assert [relabel.get(k, k) for k in one.files] == list(two.files)
    assert two.unreadable_files == one.unreadable_files == 1
    assert one.counts.rejected == 1


def _relabelled(found: Any, relabel: dict[str, str]) -> Any:
    text = json.dumps(found)
    for old, new in relabel.items():
        text = text.replace(json.dumps(old), json.dumps(new))
        text = text.replace(json.dumps(old)[1:-1] + ":", json.dumps(new)[1:-1] + ":")
    return json.loads(text)


def test_referee_spark_writes_the_obligations_as_ndjson_and_parquet(
    spark: SparkSession, synth: Path, tmp_path: Path
) -> None:
    when = parse_instant(SYNTH_AS_OF)
    assert when is not None
    one = check([synth], as_of=when, policy=load_policy())
    expected = [o.to_json() for o in one.obligations]
    written = write_spark(
        spark, [synth], str(tmp_path / "ndjson"), out_format="ndjson", as_of=when,
        policy=load_policy(),
    )  # fmt: skip
    parts = sorted((tmp_path / "ndjson").glob("part-*"))
    assert [orjson.loads(line) for p in parts for line in p.read_bytes().splitlines()] == expected
    head = {k: v for k, v in one.to_json().items() if k != "obligations"}
    assert {k: v for k, v in written.to_json().items() if k != "obligations_out"} == head
    write_spark(
        spark, [synth], str(tmp_path / "parquet"), out_format="parquet", as_of=when,
        policy=load_policy(),
    )  # fmt: skip
    rows = spark.read.parquet(str(tmp_path / "parquet")).collect()
    assert [_from_parquet(row.asDict()) for row in rows] == expected


def _from_parquet(row: dict[str, Any]) -> dict[str, Any]:
    from adapter.model import format_instant

    for name in ("due", "fulfilled_at"):
        value: datetime | None = row[name]
        row[name] = format_instant(value.astimezone() if value else None)
    return row


def test_the_command_line_runs_the_spark_engine(
    spark: SparkSession, synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`referee check --engine spark` prints what `referee check` prints; `referee spark`
    prints the summary and refuses to overwrite its output."""
    args = ["check", str(synth), "--as-of", SYNTH_AS_OF, "--format", "json"]
    assert main(args) == 1
    local = capsys.readouterr().out
    assert main([*args, "--engine", "spark", "--jobs", "2"]) == 1
    assert capsys.readouterr().out == local
    out = str(tmp_path / "out")
    assert main(["spark", str(synth), "--as-of", SYNTH_AS_OF, "--out", out]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["summary"] == json.loads(local)["summary"]
    assert main(["spark", str(synth), "--out", out]) == 2
    assert "already exists" in capsys.readouterr().err

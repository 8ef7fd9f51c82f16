"""What a Spark run reads: every PATH (a local file or folder, or any Hadoop file-system URI:
`hdfs://`, `s3a://`, `abfss://`, `dbfs:/`, `file:/`) expanded to files in the order
`referee check` reads them, each with the label issues and per-file counts name it by.

Local paths are walked exactly as `referee check` walks them (sorted, hidden files skipped),
so the labels, the order and therefore the output are the same. Compressed files (`.gz`,
`.bz2`, decompressed by Hadoop's codecs) are read too: a Bulk Data export is often gzipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapter.ingest.sources import DATA_SUFFIXES, is_export_manifest

if TYPE_CHECKING:
    from pyspark import SparkContext

COMPRESSED = (".gz", ".bz2")
NDJSON_NAMES = (".ndjson", ".jsonl")  # read line by line, in splits, when the head agrees
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")
_GLOB = re.compile(r"([\\*?\[\]{}])")  # Hadoop expands these in paths it is given


@dataclass(frozen=True, slots=True)
class Input:
    """One file: its place in the input order, the label `referee check` gives it, the
    qualified Hadoop URI, and for a local file its absolute path (executors read local
    files with Python, as `referee check` does: in local mode, or from a mount every node
    has, such as Databricks' /dbfs)."""

    index: int
    label: str
    uri: str
    local: str | None = None

    @property
    def ndjson_by_name(self) -> bool:
        return _bare(self.label).endswith(NDJSON_NAMES)

    @property
    def codec(self) -> str | None:
        """`gz` or `bz2` when the name says the file is compressed."""
        lower = self.label.lower()
        return next((c[1:] for c in COMPRESSED if lower.endswith(c)), None)


def is_uri(path: str) -> bool:
    """A Hadoop URI (`hdfs://…`, `dbfs:/…`) rather than a local path."""
    return bool(_SCHEME.match(path)) and not Path(path).exists()


def data_file(name: str) -> bool:
    """A name a folder walk reads: a FHIR data suffix, optionally compressed."""
    return _bare(name).endswith(DATA_SUFFIXES)


def _bare(name: str) -> str:
    lower = name.lower()
    for suffix in COMPRESSED:
        if lower.endswith(suffix):
            return lower[: -len(suffix)]
    return lower


def expand(sc: SparkContext, paths: list[str]) -> tuple[list[Input], list[Input]]:
    """(the files to read, in order; the local paths that do not exist, with their place in
    that order). The driver reports a missing path with the local reader, as `referee check`
    does."""
    found: list[Input] = []
    missing: list[Input] = []
    jvm: Any = sc._jvm  # the Hadoop FileSystem API is only on the JVM side
    conf = sc._jsc.hadoopConfiguration()
    for text in paths:
        if is_uri(text):
            for label in _hadoop_walk(jvm, conf, text):
                found.append(Input(len(found) + len(missing), label, label))
            continue
        path = Path(text)
        if not path.exists():
            missing.append(Input(len(found) + len(missing), text, text))
            continue
        for file in _local_walk(path) if path.is_dir() else [path]:
            local = file.resolve()
            found.append(Input(len(found) + len(missing), str(file), local.as_uri(), str(local)))
    return found, missing


def _local_walk(folder: Path) -> list[Path]:
    """As adapter.ingest.sources walks a folder, compressed data files included."""
    files = []
    for file in folder.rglob("*"):
        if any(part.startswith(".") for part in file.relative_to(folder).parts):
            continue
        if file.is_file() and data_file(file.name) and not is_export_manifest(file):
            files.append(file)
    return sorted(files)


def _hadoop_walk(jvm: Any, conf: Any, uri: str) -> list[str]:
    """The data files under a Hadoop URI (or the file itself), sorted, hidden ones skipped."""
    root = jvm.org.apache.hadoop.fs.Path(uri)
    fs = root.getFileSystem(conf)
    root = fs.makeQualified(root)
    if not fs.getFileStatus(root).isDirectory():
        return [root.toString()]
    prefix = root.toString().rstrip("/") + "/"
    files = []
    listing = fs.listFiles(root, True)
    while listing.hasNext():
        name = listing.next().getPath().toString()
        relative = name[len(prefix) :].split("/")
        if not any(part.startswith((".", "_")) for part in relative) and data_file(name):
            files.append(name)
    return sorted(files)


def literal(uri: str) -> str:
    """A URI as Hadoop's input formats read it literally (its glob characters escaped)."""
    return _GLOB.sub(r"\\\1", uri)

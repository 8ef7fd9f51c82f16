"""Streaming Bulk Data layout: one NDJSON file per resource type, one resource a line,
written as generated (nothing is held), plus the truth file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

import orjson

from adapter.synth.stu3 import picked, to_stu3

PROGRESS_EVERY = 100_000


class BulkWriter:
    """Appends resources to `<dir>/<resourceType>.ndjson` and truths to the truth file."""

    def __init__(
        self, out_dir: Path, truth_path: Path, progress: bool = True, stu3_share: float = 0.0
    ) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("*.ndjson"):
            old.unlink()
        self._dir = out_dir
        self._files: dict[str, IO[bytes]] = {}
        self._truth = truth_path.open("wb")
        self.counts: dict[str, int] = {}
        self.truth_counts: dict[str, int] = {}
        self.total = 0
        self._progress = progress
        self._stu3_share = stu3_share  # share of letters, encounters and orders in STU3

    def resource(self, resource: dict[str, Any]) -> None:
        if self._stu3_share and picked(resource, self._stu3_share):
            resource = to_stu3(resource)
        kind = resource["resourceType"]
        handle = self._files.get(kind)
        if handle is None:
            handle = (self._dir / f"{kind}.ndjson").open("wb")
            self._files[kind] = handle
        handle.write(orjson.dumps(resource) + b"\n")
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.total += 1
        if self._progress and self.total % PROGRESS_EVERY == 0:
            print(f"synth: {self.total:,} resources written", file=sys.stderr)  # noqa: T201

    def truth(self, rule: str, subject: str, status: str) -> None:
        self._truth.write(
            orjson.dumps({"rule": rule, "subject": subject, "status": status}) + b"\n"
        )
        self.truth_counts[status] = self.truth_counts.get(status, 0) + 1

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._truth.close()

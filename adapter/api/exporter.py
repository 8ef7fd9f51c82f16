"""The background half of Bulk Data $export: jobs run in a small thread pool of the process
that took the kick-off, never on the event loop, and write one NDJSON file per type under
`<export dir>/<job id>/`.

What survives what (docs/contract.md §12.4): a job's row is in the database and its files
on disk, so a completed export outlives a restart and is served by any worker. A job that
is running when its process stops is not resumed: it stops moving and its poll answers that
it failed (start it again). Files are removed on `DELETE`, and 24 hours after the job ended
(swept at the next kick-off).
"""

from __future__ import annotations

import logging
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from adapter.api.fhir_search import detected_issues
from adapter.model import format_instant
from adapter.store import Filters, Job, Store

log = logging.getLogger("adapter.api")

DETECTED_ISSUE = "DetectedIssue"  # made from the obligations, not stored traffic
KEEP = timedelta(hours=24)
_THREADS = 2


class Exporter:
    def __init__(self, store: Store, root: Path) -> None:
        self.store = store
        self.root = root
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="export")

    def folder(self, ident: str) -> Path:
        return self.root / ident

    def start(self, job: Job) -> None:
        self.pool.submit(self._run_safely, job)

    def remove(self, ident: str) -> None:
        shutil.rmtree(self.folder(ident), ignore_errors=True)

    def sweep(self) -> None:
        """Remove the jobs and files of exports that ended more than 24 hours ago."""
        for ident in self.store.expired_exports(datetime.now(UTC) - KEEP):
            self.store.delete_export(ident)
            self.remove(ident)

    def close(self) -> None:
        """At shutdown: running jobs stop at their next batch and are marked failed."""
        self.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _run_safely(self, job: Job) -> None:
        try:
            output = self._run(job)
        except Exception:  # a bug or the database gone: the job fails, the server goes on
            log.exception("export job failed")
            self.store.finish_export(job.id, None, "the export failed (a bug or the database)")
            self.remove(job.id)
            return
        if output is None:
            return
        if not self.store.finish_export(job.id, output):
            self.remove(job.id)  # deleted while it ran

    def _run(self, job: Job) -> list[dict[str, Any]] | None:
        """The manifest's output entries, or None when the job was cancelled or stopped."""
        folder = self.folder(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        plan = self.store.export_plan(job.since)
        wanted = list(job.types) if job.types else [*sorted(plan), DETECTED_ISSUE]
        visible = self.store.visible_to(job.reader) if job.reader else None
        total = sum(plan.get(kind, 0) for kind in wanted)
        done = 0
        output: list[dict[str, Any]] = []
        for kind in wanted:
            if not self._alive(job, f"{kind}: {done} of {total} stored resources read"):
                return None
            path = folder / f"{kind}.ndjson"
            part = path.with_suffix(".part")
            with part.open("wb") as out:
                if kind == DETECTED_ISSUE:
                    count = self._detected_issues(job, out)
                else:
                    read = self._traffic(job, kind, visible, out, done, total)
                    if read is None:
                        return None
                    count, seen = read
                    done += seen
            if count:
                part.replace(path)
                output.append({"type": kind, "file": path.name, "count": count})
            else:
                part.unlink()
        return output

    def _traffic(
        self, job: Job, kind: str, visible: set[int] | None, out: Any, done: int, total: int
    ) -> tuple[int, int] | None:
        count = seen = after = 0
        while True:
            rows = self.store.export_batch(kind, job.since, after)
            if not rows:
                return count, seen
            for pk, body in rows:
                after = pk
                if visible is None or pk in visible:
                    out.write(orjson.dumps(orjson.loads(body)) + b"\n")
                    count += 1
            seen += len(rows)
            if not self._alive(job, f"{kind}: {done + seen} of {total} stored resources read"):
                return None

    def _detected_issues(self, job: Job, out: Any) -> int:
        when = job.transaction_time
        filters = Filters(status="breached", org=job.reader, changed_since=job.since)
        obligations = self.store.obligations(filters, when)
        for resource in detected_issues(obligations, format_instant(when) or ""):
            out.write(orjson.dumps(resource) + b"\n")
        return len(obligations)

    def _alive(self, job: Job, progress: str) -> bool:
        """Record progress; False (the job stops) when it was deleted or the server stops."""
        if self.stopping.is_set():
            self.store.finish_export(job.id, None, "the server stopped while the export ran")
            self.remove(job.id)
            return False
        if not self.store.export_progress(job.id, progress):
            self.remove(job.id)
            return False
        return True

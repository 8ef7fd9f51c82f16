"""NDJSON loading: `POST /fhir` with `Content-Type: application/fhir+ndjson` (a Bulk Data
export, say), one resource per line.

The body is streamed to a spooled temporary file (memory up to 1 MB, then disk; never
whole in memory), up to `max_load_bytes`, then read line by line by the NDJSON reader of
`referee check` (`adapter.ingest.read_ndjson`) and stored in batches of 1,000 resources, one
transaction each. So the counts are `referee check`'s: every line is one received resource
(a Bundle on a line is opened), accepted or rejected, and a bad line is rejected with its
line number. The answer is an OperationOutcome: the counts first, then each rejected line's
issues (the first 1,000; all of them are kept in the rejected table).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from typing import IO, Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from adapter.api.body import action
from adapter.api.deps import settings_of, store_of
from adapter.api.outcomes import fhir, outcome, problem
from adapter.ingest import Item, read_ndjson
from adapter.model import Issue, Location
from adapter.store import KeyInfo, Store

NDJSON_TYPES = frozenset({"application/fhir+ndjson", "application/ndjson", "application/x-ndjson"})
BATCH = 1000
MAX_LISTED = 1000
_SPOOL = 1024 * 1024
_COUNTED = ("received", "accepted", "created", "updated", "unchanged", "stale", "rejected")


def is_ndjson(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind in NDJSON_TYPES


async def load(request: Request, key: KeyInfo) -> Response:
    limit = settings_of(request).max_load_bytes
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL) as spool:
        await _receive(request, spool, limit)
        spool.seek(0)
        counts, issues = await run_in_threadpool(
            _store, store_of(request), spool, key, f"submit {action(request)} (NDJSON)"
        )
    summary = (
        f"Resources: {counts['received']} received, {counts['accepted']} accepted, "
        f"{counts['rejected']} rejected ({counts['created']} created, {counts['updated']} "
        f"updated, {counts['unchanged']} unchanged, {counts['stale']} stale)"
    )
    listed = issues[:MAX_LISTED]
    if counts["issues"] > MAX_LISTED:
        more = (
            f"{counts['issues'] - MAX_LISTED} more issues not listed; the rejected table has them"
        )
        listed.append(Issue("warning", "too-costly", Location(file="request"), more))
    head = Issue("information", "informational", Location(file="request"), summary)
    return fhir(request, outcome([head, *listed]))


async def _receive(request: Request, spool: IO[bytes], limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            spool.write(chunk)
    except ClientDisconnect:
        raise problem(400, "incomplete", "the client disconnected before the body ended") from None
    if size == 0:
        raise problem(400, "structure", "the body is empty; send one FHIR resource per line")


def _too_large(limit: int) -> Exception:
    return problem(
        413,
        "too-costly",
        f"the NDJSON body is larger than the limit of {limit} bytes; split it, or raise "
        "REFEREE_MAX_LOAD_BYTES",
    )


def _store(
    store: Store, handle: IO[bytes], key: KeyInfo, what: str
) -> tuple[Counter[str], list[Issue]]:
    counts: Counter[str] = Counter({name: 0 for name in _COUNTED})
    issues: list[Issue] = []
    batch: list[Item] = []
    for item in read_ndjson(handle, "request"):
        batch.append(item)
        if len(batch) >= BATCH:
            _submit(store, batch, key, what, counts, issues)
            batch = []
    if batch:
        _submit(store, batch, key, what, counts, issues)
    return counts, issues


def _submit(
    store: Store,
    batch: list[Item],
    key: KeyInfo,
    what: str,
    counts: Counter[str],
    issues: list[Issue],
) -> None:
    report = store.submit(batch, key_name=key.name, action=what, org=key.org)
    done: dict[str, Any] = report.counts()
    counts.update({name: int(done[name]) for name in _COUNTED})
    for entry, _ in report.entries:
        counts["issues"] += len(entry.issues)
        if len(issues) < MAX_LISTED:
            issues.extend(entry.issues)

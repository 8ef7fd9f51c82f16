"""Structured access logs: one JSON line per request on the `adapter.access` logger.

Each line names the method, the route *template* (`/fhir/{resource_type}/{resource_id}`,
never the raw path: an id in a URL may be an NHS number), the status, the duration, and the
key's name and organisation. Never the query string, a header value or a body: a search
value (`?patient=`) can be a patient identifier, so none is written.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import orjson
from fastapi import Request, Response

LOGGER = "adapter.access"
log = logging.getLogger(LOGGER)


def configure() -> None:
    """Access lines go to stderr as bare JSON (no prefix), whatever `--log-level` says of
    the application log; called once per process (`referee serve` and each worker)."""
    if any(getattr(h, "referee_access", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.referee_access = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def line(request: Request, status: int, elapsed_ms: float) -> dict[str, object]:
    """What one request's line holds."""
    route = getattr(request.scope.get("route"), "path", None)
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": request.method[:16],
        "route": route or "(no route)",
        "status": status,
        "ms": round(elapsed_ms, 1),
        "key": getattr(request.state, "key_name", None),
        "org": getattr(request.state, "key_org", None),
    }


async def access_log(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    started = time.perf_counter()
    status = 500  # a bug escapes to the outermost handler, which answers 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        entry = line(request, status, (time.perf_counter() - started) * 1000)
        log.info("%s", orjson.dumps(entry).decode())

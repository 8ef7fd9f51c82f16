"""`GET /healthz` (the process answers) and `GET /readyz` (and its database answers), for
load balancers and orchestrators. Neither needs a key nor says anything about the data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from adapter.api.outcomes import JsonResponse, problem
from adapter.store import ping

router = APIRouter(tags=["Operations"])


@router.get("/healthz", response_class=JsonResponse)
async def healthz() -> JsonResponse:
    """Liveness: 200 while the process serves requests."""
    return JsonResponse({"status": "ok"})


@router.get(
    "/readyz",
    response_class=JsonResponse,
    responses={503: {"description": "the database does not answer (OperationOutcome)"}},
)
async def readyz(request: Request) -> JsonResponse:
    """Readiness: 200 when the database answers a query, else 503 with an OperationOutcome
    giving the driver's reason (no credentials: the URL is not repeated)."""
    reason = await run_in_threadpool(ping, request.app.state.store.engine)
    if reason is not None:
        raise problem(503, "transient", f"the database does not answer: {reason}")
    return JsonResponse({"status": "ready"})

"""`Authorization: Bearer <key>` → the key, or a 401/403 OperationOutcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from adapter.api.body import action
from adapter.api.deps import StoreDep
from adapter.api.outcomes import problem
from adapter.store import KeyInfo, Store

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="referee"'}


def requires(scope: str | None) -> Callable[[Request, Store], Awaitable[KeyInfo]]:
    """A dependency: the caller's key, which must allow `scope` (None: any live key)."""

    async def dependency(request: Request, store: StoreDep) -> KeyInfo:
        header = request.headers.get("authorization", "")
        method, _, token = header.partition(" ")
        key = None
        if method.lower() == "bearer" and token.strip():
            key = await run_in_threadpool(store.authenticate, token.strip())
        if key is None:
            await run_in_threadpool(
                store.audit, None, action(request), 401, {"reason": "no valid key"}
            )
            error = problem(
                401,
                "login",
                "send a valid API key as `Authorization: Bearer <key>` "
                "(make one with `referee keys create`)",
            )
            error.headers = _CHALLENGE
            raise error
        if scope is not None and not key.allows(scope):
            await run_in_threadpool(
                store.audit, key.name, action(request), 403, {"reason": "scope"}
            )
            raise problem(
                403,
                "forbidden",
                f"the key {key.name!r} has scope {key.scope!r}; this needs {scope!r} or 'admin'",
            )
        request.state.key_name = key.name
        request.state.key_org = key.org
        return key

    return dependency

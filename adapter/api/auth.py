"""`Authorization: Bearer <key>` → the key, or a 401/403 OperationOutcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from adapter.api.body import action
from adapter.api.outcomes import problem
from adapter.store.access import KeyInfo
from adapter.store.service import Store

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="referee"'}


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def requires(scope: str | None) -> Callable[[Request], Awaitable[KeyInfo]]:
    """A dependency: the caller's key, which must allow `scope` (None: any live key)."""

    async def dependency(request: Request) -> KeyInfo:
        header = request.headers.get("authorization", "")
        method, _, token = header.partition(" ")
        store = store_of(request)
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
        return key

    return dependency

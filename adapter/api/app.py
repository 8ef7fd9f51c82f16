"""The ASGI app: settings and store on `app.state`, the routers, and every error answered
as a FHIR OperationOutcome. OpenAPI at /openapi.json, docs at /docs and /redoc (bundled,
no CDN), probes at /healthz and /readyz."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from adapter.api import (
    bulk,
    fhir_in,
    fhir_out,
    fhir_read,
    fhir_search,
    fhir_traffic,
    health,
    reads,
    smart,
)
from adapter.api.access_log import access_log, configure
from adapter.api.body import action
from adapter.api.docs import add_docs
from adapter.api.exporter import Exporter
from adapter.api.openapi import conformant
from adapter.api.outcomes import FhirError, fhir, outcome
from adapter.api.paging import new_secret
from adapter.api.settings import Settings, resolve
from adapter.model import Issue, Location
from adapter.policy import load_policy
from adapter.store import Store

log = logging.getLogger("adapter.api")

_DESCRIPTION = """\
Post FHIR R4 traffic between GP practices and trusts; read the interface obligations
(NHS Standard Contract, Delivery Plan 2023) as met, breached, pending or not assessable.
Every call except `GET /fhir/metadata`, `/healthz`, `/readyz`,
`/.well-known/smart-configuration` and `POST /token` needs `Authorization: Bearer <API key>`
(or a SMART Backend Services access token from `POST /token`).
"""


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The app. `store` defaults to one opened (and migrated) on `settings.database_url`,
    evaluating with the policy of `settings.policy` (national defaults when None)."""
    owned = store is None
    the_store = store or Store(settings.database_url, policy=load_policy(settings.policy))
    exporter = Exporter(the_store, Path(settings.export_dir))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(exporter.close)  # running exports stop, marked failed
        if owned:
            the_store.close()

    app = FastAPI(
        title="Interface Referee",
        description=_DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # add_docs serves them from bundled files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.page_secret = settings.page_secret or new_secret()
    app.state.store = the_store
    app.state.policy = the_store.policy
    app.state.exporter = exporter
    for router in (
        bulk.router,  # first: /fhir/$export before any /fhir/{type} route
        smart.router,
        fhir_in.router,
        fhir_out.router,
        fhir_search.router,
        reads.router,
        health.router,
    ):
        app.include_router(router)
    # last: GET /fhir/{type}/{id} must not shadow a literal route added above (or by a
    # router included after this line: put new FHIR routers above it)
    app.include_router(fhir_read.router)
    app.include_router(fhir_traffic.router)
    add_docs(app)
    _handlers(app)
    app.middleware("http")(access_log)
    app.middleware("http")(_refuse_control_characters)
    app.openapi = conformant(app)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app from REFEREE_* variables: for `uvicorn --factory adapter.api.app:app_from_env`
    and for the worker processes of `referee serve --workers N`."""
    configure()
    return create_app(resolve())


async def _refuse_control_characters(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """A path or query value holding a control character (NUL above all: PostgreSQL text
    cannot hold it, SQLite can) is a 400 here, before any route or database sees it, so
    both databases answer alike (issue 15, finding 3)."""
    values = [request.url.path, *(v for _, v in request.query_params.multi_items())]
    values += [k for k, _ in request.query_params.multi_items()]
    if any(_CONTROL.search(value) for value in values):
        message = "the URL holds a control character; send printable text only"
        return _answer(request, 400, [Issue("error", "value", Location(file="request"), message)])
    return await call_next(request)


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _answer(
    request: Request, status: int, issues: list[Issue], headers: dict[str, str] | None = None
) -> Response:
    return fhir(request, outcome(issues), status, headers)


def _allowed(request: Request) -> str:
    """The methods the OpenAPI document lists for this path. Starlette names those of the
    first route whose path matches (`/fhir/{resource_type}`: POST for `/fhir/metadata`)."""
    path = request.scope.get("path", "")
    matching = [
        route
        for route in _routes(request.app.router.routes)
        if getattr(route, "path_regex", None) is not None and route.path_regex.match(path)
    ]
    # a literal path (/fhir/metadata) is documented alone, not as /fhir/{resource_type}
    literal = [route for route in matching if "{" not in route.path]
    methods = {method for route in literal or matching for method in route.methods or ()}
    return ", ".join(sorted(methods))


def _routes(routes: Any) -> Iterator[Any]:
    """Routes, with those of included routers (this FastAPI nests them) opened."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(FhirError)
    async def fhir_error(request: Request, exc: FhirError) -> Response:
        key_name = getattr(request.state, "key_name", None)
        if key_name is not None and exc.status != 422 and not exc.audited:
            store: Store = request.app.state.store
            codes = sorted({issue.code for issue in exc.issues})
            detail = {"refused": codes}
            await run_in_threadpool(store.audit, key_name, action(request), exc.status, detail)
        return _answer(request, exc.status, list(exc.issues), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        issues = [
            Issue(
                "error",
                "value",
                Location(file="request", field=".".join(str(p) for p in e.get("loc", ()))),
                f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}",
            )
            for e in exc.errors()
        ]
        return _answer(request, 400, issues)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = {404: "not-found", 405: "not-supported"}.get(exc.status_code, "processing")
        message = f"{request.method} {request.url.path}: {exc.detail}"
        issue = Issue("error", code, Location(file="request"), message)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed(request)
        return _answer(request, exc.status_code, [issue], headers)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Response:
        log.exception("internal error in %s", action(request))  # the template: no ids
        message = "internal error (a bug); the server log has the traceback"
        return _answer(
            request, 500, [Issue("fatal", "exception", Location(file="request"), message)]
        )

"""SMART Backend Services on the server: `GET /.well-known/smart-configuration` and
`POST /token` (client_credentials with a JWT client assertion, RS384 or ES384). The checks
are in `adapter.store` (`Store.issue_token`); this module speaks OAuth 2.0 (RFC 6749 §5):
a token, or 400 with `{"error": ..., "error_description": ...}`, never cached."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from adapter.api.body import read_limited
from adapter.api.deps import StoreDep
from adapter.api.outcomes import JsonResponse
from adapter.store import ASSERTION_TYPE, SMART_SCOPES, Grant, TokenRefused

router = APIRouter(tags=["SMART Backend Services"])

_FORM_LIMIT = 64 * 1024  # an assertion is a few kB; a form larger than this is not one
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def token_url(request: Request) -> str:
    """The token endpoint's absolute URL: what `aud` of an assertion must be."""
    return f"{str(request.base_url).rstrip('/')}/token"


def secured(statement: dict[str, Any], token: str) -> dict[str, Any]:
    """The CapabilityStatement with SMART Backend Services declared beside API keys: the
    SMART-on-FHIR security service and the token endpoint (oauth-uris extension)."""
    for rest in statement.get("rest", []):
        security = rest.setdefault("security", {})
        security["service"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "SMART-on-FHIR",
                    }
                ]
            }
        ]
        security["extension"] = [
            {
                "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                "extension": [{"url": "token", "valueUri": token}],
            }
        ]
        security["description"] = (
            "API keys (referee keys create), sent as a Bearer token; or SMART Backend "
            "Services: a client registered with referee keys create --jwks gets a "
            "five-minute Bearer token at the token endpoint (private_key_jwt, RS384/ES384)."
        )
    return statement


@router.get("/.well-known/smart-configuration", response_class=JsonResponse)
async def smart_configuration(request: Request) -> JsonResponse:
    """How to get an access token (no key needed)."""
    scopes = sorted({scope for granted in SMART_SCOPES.values() for scope in granted})
    return JsonResponse(
        {
            "token_endpoint": token_url(request),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
            "scopes_supported": scopes,
            "capabilities": ["client-confidential-asymmetric"],
        }
    )


_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type", "client_assertion_type", "client_assertion"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {"type": "string"},
                        "client_assertion_type": {"type": "string"},
                        "client_assertion": {"type": "string"},
                    },
                }
            }
        },
    }
}


def _refused(error: str, description: str) -> JsonResponse:
    body = {"error": error, "error_description": description}
    return JsonResponse(body, status_code=400, headers=_NO_STORE)


_OAUTH_ERROR: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "refused: an OAuth 2.0 error (RFC 6749 §5.2)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.post("/token", response_class=JsonResponse, openapi_extra=_FORM, responses=_OAUTH_ERROR)
async def token(request: Request, store: StoreDep) -> Response:
    """An access token for a registered client's signed JWT assertion (five minutes)."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return _refused("invalid_request", "send application/x-www-form-urlencoded")
    form = _form(await read_limited(request, _FORM_LIMIT))
    if form is None:
        return _refused("invalid_request", "the form is not URL-encoded UTF-8 text")
    if form.get("grant_type") != "client_credentials":
        return _refused("unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        return _refused("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
    assertion = form.get("client_assertion")
    if not assertion:
        return _refused("invalid_request", "client_assertion is missing")
    try:
        grant: Grant = await run_in_threadpool(
            store.issue_token, assertion, form.get("scope", ""), token_url(request)
        )
    except TokenRefused as refused:
        await run_in_threadpool(
            store.audit, None, "token POST /token", 400, {"refused": refused.error}
        )
        return _refused(refused.error, refused.description)
    await run_in_threadpool(store.audit, grant.client, "token POST /token", 200, {})
    body: dict[str, Any] = {
        "access_token": grant.access_token,
        "token_type": "bearer",
        "expires_in": grant.expires_in,
        "scope": grant.scope,
    }
    return JsonResponse(body, headers=_NO_STORE)


def _form(data: bytes) -> dict[str, str] | None:
    """The form's fields (the first value of each), or None when it is not text."""
    try:
        text = data.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in fields.items()}

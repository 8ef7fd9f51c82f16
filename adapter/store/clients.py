"""SMART Backend Services clients: registration with public keys, and access tokens earned
with a signed JWT client assertion (hl7.org/fhir/smart-app-launch/backend-services.html).

A client is a row of `api_keys` (same scopes, same organisation limit, same audit) whose
`jwks` holds its public keys; its `token_hash` is the hash of a random secret never shown,
so the row cannot be used as an API key. An assertion is checked with PyJWT (signature,
RS384 or ES384 only, `kid` naming a registered key, `iss` = `sub` = client id, `aud` = the
token URL, `exp` at most five minutes ahead, `jti` never seen before); it earns an opaque
bearer token (`at_` + 32 random bytes, only its SHA-256 stored) that lives five minutes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
import orjson
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapter.errors import UsageError
from adapter.store.access import KeyInfo, create_key
from adapter.store.schema import AccessToken, ApiKey, ClientAssertion

ALGORITHMS = ("RS384", "ES384")
TOKEN_SECONDS = 300
MAX_ASSERTION_SECONDS = 300
LEEWAY_SECONDS = 30  # clock skew allowed between the client and us
TOKEN_PREFIX = "at_"  # noqa: S105 - a prefix, not a secret
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# SMART v1 and v2 system scopes each referee scope may be granted
READ_SCOPES = ("system/*.read", "system/*.rs")
WRITE_SCOPES = ("system/*.write", "system/*.cud")
ALL_SCOPES = ("system/*.*", "system/*.cruds")
SMART_SCOPES: dict[str, tuple[str, ...]] = {
    "read": READ_SCOPES,
    "submit": WRITE_SCOPES,
    "admin": READ_SCOPES + WRITE_SCOPES + ALL_SCOPES,
}
_KEY_TYPES = {"RSA": "RS384", "EC": "ES384"}


class TokenRefused(Exception):
    """An OAuth error (RFC 6749 §5.2): `error` is its code, the message its description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True, slots=True)
class Grant:
    client: str
    access_token: str
    scope: str
    expires_in: int


def read_jwks(text: str, source: str) -> dict[str, Any]:
    """A JWKS of public keys a client may sign with, or a UsageError saying what is wrong:
    every key needs a `kid` (unique), an RSA (RS384) or EC P-384 (ES384) key type, and no
    private part."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{source}: not JSON: {exc}") from exc
    keys = value.get("keys") if isinstance(value, dict) else None
    if not isinstance(keys, list) or not keys:
        raise UsageError(f'{source}: a JWKS needs a non-empty "keys" list')
    seen: set[str] = set()
    for number, key in enumerate(keys, 1):
        where = f"{source}: key {number}"
        if not isinstance(key, dict):
            raise UsageError(f"{where} is not a JSON object")
        if any(part in key for part in ("d", "p", "q", "dp", "dq", "qi")):
            raise UsageError(f"{where} holds a PRIVATE key; register the public key only")
        kid = key.get("kid")
        if not isinstance(kid, str) or not kid:
            raise UsageError(f'{where} has no "kid"; clients name their key in the JWT header')
        if kid in seen:
            raise UsageError(f"{where}: kid {kid!r} is used twice")
        seen.add(kid)
        if key.get("kty") not in _KEY_TYPES:
            raise UsageError(f"{where}: kty must be RSA (RS384) or EC (ES384)")
        if key.get("kty") == "EC" and key.get("crv") != "P-384":
            raise UsageError(f"{where}: an EC key must be on curve P-384 for ES384")
        if key.get("alg") not in (None, _KEY_TYPES[key["kty"]]):
            raise UsageError(f"{where}: alg {key.get('alg')!r} does not fit kty {key['kty']}")
        try:
            jwt.PyJWK(key, _KEY_TYPES[key["kty"]])
        except jwt.PyJWTError as exc:
            raise UsageError(f"{where} is not a usable public key: {exc}") from exc
    return {"keys": keys}


def create_client(
    session: Session, name: str, scope: str, org: str | None, jwks: dict[str, Any], now: datetime
) -> None:
    """Register a client; its id is `name`."""
    create_key(session, name, scope, org, now)  # the token it returns is dropped: never shown
    row = session.scalars(select(ApiKey).where(ApiKey.name == name)).one()
    row.jwks = orjson.dumps(jwks).decode()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, assertion: str, requested: str, token_url: str, now: datetime
) -> Grant:
    """Check a client assertion and the scopes asked for; a new access token, or
    TokenRefused."""
    client = _verify(session, assertion, token_url, now)
    granted = _grant(client, requested)
    session.execute(delete(ClientAssertion).where(ClientAssertion.expires_at < now))
    session.execute(delete(AccessToken).where(AccessToken.expires_at < now))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        AccessToken(
            token_hash=_digest(token),
            key_name=client.name,
            scope=_effective(client.scope, granted),
            granted=" ".join(granted),
            expires_at=now + timedelta(seconds=TOKEN_SECONDS),
        )
    )
    return Grant(client.name, token, " ".join(granted), TOKEN_SECONDS)


def _verify(session: Session, assertion: str, token_url: str, now: datetime) -> ApiKey:
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenRefused("invalid_client", f"the client_assertion is not a JWT: {exc}") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        raise TokenRefused("invalid_client", f"alg must be RS384 or ES384 (got {alg!r})")
    client_id = claims.get("iss")
    if not isinstance(client_id, str) or claims.get("sub") != client_id:
        raise TokenRefused("invalid_client", "iss and sub must both be the client_id")
    row = session.scalars(select(ApiKey).where(ApiKey.name == client_id)).first()
    if row is None or row.jwks is None or row.revoked_at is not None:
        raise TokenRefused("invalid_client", f"no registered client {client_id!r}")
    key = _key(row, kid, alg)
    try:
        checked = jwt.decode(
            assertion,
            key,
            algorithms=[alg],
            audience=token_url,
            issuer=client_id,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except jwt.InvalidAudienceError:
        raise TokenRefused("invalid_client", f"aud must be the token URL {token_url}") from None
    except jwt.ExpiredSignatureError:
        raise TokenRefused("invalid_client", "the client_assertion has expired") from None
    except jwt.PyJWTError as exc:
        raise TokenRefused("invalid_client", f"the client_assertion is refused: {exc}") from exc
    expires = checked["exp"]
    if not isinstance(expires, int | float) or expires > now.timestamp() + MAX_ASSERTION_SECONDS:
        raise TokenRefused("invalid_client", "exp may be at most 5 minutes in the future")
    jti = checked["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > 256:
        raise TokenRefused("invalid_client", "jti must be a string of at most 256 characters")
    _use_once(session, client_id, jti, datetime.fromtimestamp(expires, now.tzinfo))
    return row


def _key(row: ApiKey, kid: Any, alg: str) -> Any:
    jwks = orjson.loads(row.jwks or "{}")
    for key in jwks.get("keys", []):
        if key.get("kid") == kid and _KEY_TYPES.get(key.get("kty")) == alg:
            return jwt.PyJWK(key, alg).key
    raise TokenRefused("invalid_client", f"no registered {alg} key of this client has kid {kid!r}")


def _use_once(session: Session, client_id: str, jti: str, expires_at: datetime) -> None:
    """Record the jti; one seen before (and not yet expired) is a replay."""
    try:
        with session.begin_nested():
            session.add(ClientAssertion(key_name=client_id, jti=jti, expires_at=expires_at))
    except IntegrityError:
        raise TokenRefused(
            "invalid_client", "this client_assertion (jti) was used before"
        ) from None


def _grant(client: ApiKey, requested: str) -> list[str]:
    asked = requested.split()
    if not asked:
        raise TokenRefused("invalid_scope", "ask for a scope, such as system/*.read")
    allowed = SMART_SCOPES[client.scope]
    granted = [scope for scope in asked if scope in allowed]
    if not granted:
        raise TokenRefused(
            "invalid_scope",
            f"this client (scope {client.scope}) may be granted {' '.join(allowed)}",
        )
    return granted


def _effective(scope: str, granted: list[str]) -> str:
    """The referee scope of a token: an admin client's token is admin only when it was
    granted reading and writing, else read or submit as granted."""
    reads = any(s in READ_SCOPES + ALL_SCOPES for s in granted)
    writes = any(s in WRITE_SCOPES + ALL_SCOPES for s in granted)
    if scope == "admin" and reads and writes:
        return "admin"
    return "read" if reads else "submit"


def authenticate_token(session: Session, token: str, now: datetime) -> KeyInfo | None:
    """The client an access token was issued to, with the token's scope, while the token
    lives and the client is not revoked; else None."""
    row = session.get(AccessToken, _digest(token))
    if row is None or row.expires_at <= now:
        return None
    client = session.scalars(select(ApiKey).where(ApiKey.name == row.key_name)).first()
    if client is None or client.revoked_at is not None:
        return None
    return KeyInfo(client.name, row.scope, client.org, client.created_at)

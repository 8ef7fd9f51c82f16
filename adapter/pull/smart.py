"""SMART Backend Services (HL7 SMART App Launch 2.x, "Backend Services"): the client signs a
short JWT with its private key (RS384 for an RSA key, ES384 for an EC P-384 key), posts it
to the token endpoint as a `client_credentials` grant, and gets a bearer access token. The
token is kept and reused until a minute before it expires (or the server refuses it once),
then a new one is asked for. PyJWT and cryptography do the signing."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from adapter.errors import UsageError
from adapter.pull.session import PullError, check_url, read_body, where

if TYPE_CHECKING:
    from adapter.pull.session import Session

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300  # seconds; the most the specification allows
REFRESH_MARGIN = 60  # seconds before expiry at which a token is replaced
DEFAULT_SCOPE = "system/*.rs"
# What a server says for a .well-known path it does not serve (405: a FHIR route caught it).
NOT_THERE = (200, 404, 405)
SMALL = 1024 * 1024  # a smart-configuration or token answer is a few hundred bytes


def load_key(path: Path) -> tuple[Any, str]:
    """The private key in a PEM file and the algorithm it signs with."""
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise UsageError(f"--private-key {path}: cannot be read: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"--private-key {path}: not an unencrypted PEM private key ({exc}); export it "
            "with `openssl pkey -in KEY -out key.pem`"
        ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise UsageError(f"--private-key {path}: an RSA key needs at least 2048 bits")
        return key, "RS384"
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP384R1):
        return key, "ES384"
    raise UsageError(
        f"--private-key {path}: SMART Backend Services signs with RS384 (an RSA key) or "
        "ES384 (an EC P-384 key); this key is neither"
    )


class SmartClient:
    """Access tokens for one registered client, cached until shortly before expiry."""

    def __init__(
        self,
        client_id: str,
        key_file: Path,
        *,
        fhir_base: str,
        token_url: str | None = None,
        scope: str = DEFAULT_SCOPE,
        key_id: str | None = None,
    ) -> None:
        self.client_id = client_id
        self.key, self.algorithm = load_key(key_file)
        self.fhir_base = fhir_base.rstrip("/")
        self.token_url = check_url(token_url, "--token-url") if token_url else None
        self.scope = scope
        self.key_id = key_id
        self._token: str | None = None
        self._expires = 0.0
        self.issued = 0  # tokens obtained (for tests and the closing line)

    def forget(self) -> None:
        self._token = None

    def token(self, session: Session) -> str:
        if self._token is None or time.time() >= self._expires - REFRESH_MARGIN:
            self._token, lifetime = self._fetch(session)
            self._expires = time.time() + lifetime
            self.issued += 1
        return self._token

    def assertion(self, audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": uuid.uuid4().hex,
        }
        headers = {"typ": "JWT", **({"kid": self.key_id} if self.key_id else {})}
        return jwt.encode(claims, self.key, algorithm=self.algorithm, headers=headers)

    def discover(self, session: Session) -> str:
        """The token endpoint from `.well-known/smart-configuration`: under the FHIR base as
        the specification says, else at the server's root (where some servers put it)."""
        if self.token_url:
            return self.token_url
        parts = urlsplit(self.fhir_base)
        places = [self.fhir_base, f"{parts.scheme}://{parts.netloc}"]
        for place in dict.fromkeys(places):
            url = f"{place}/.well-known/smart-configuration"
            response = session.get(
                url,
                authorise=False,
                headers={"Accept": "application/json"},
                ok=NOT_THERE,
                stream=True,
            )
            body = read_body(response, SMALL)
            if response.status_code != 200:
                continue
            try:
                endpoint = orjson.loads(body).get("token_endpoint")
            except (orjson.JSONDecodeError, AttributeError):
                endpoint = None
            if not isinstance(endpoint, str):
                raise PullError(f"{where(url)}: names no token_endpoint; give --token-url")
            self.token_url = check_url(endpoint, "token_endpoint")
            return self.token_url
        raise PullError(
            f"{where(self.fhir_base)}: no .well-known/smart-configuration; give --token-url"
        )

    def _fetch(self, session: Session) -> tuple[str, float]:
        url = self.discover(session)
        form = {
            "grant_type": "client_credentials",
            "scope": self.scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(url),
        }
        response = session.request(
            "POST",
            url,
            data=form,
            authorise=False,
            headers={"Accept": "application/json"},
            stream=True,
        )
        try:
            body = orjson.loads(read_body(response, SMALL))
        except orjson.JSONDecodeError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise PullError(f"{where(url)}: the token endpoint answered no access_token")
        expires = body.get("expires_in") if isinstance(body, dict) else None
        lifetime = float(expires) if isinstance(expires, int | float) and expires > 0 else 300.0
        return token, lifetime

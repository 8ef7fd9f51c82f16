"""Real key pairs and signed client assertions for the SMART Backend Services tests
(cryptography makes the keys, PyJWT signs: what a client such as `referee pull` does)."""

from __future__ import annotations

import json
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@cache
def private_key(alg: str) -> Any:
    """One key per algorithm for the whole run (RSA key generation is the slow part)."""
    if alg == "RS384":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP384R1())


def public_jwk(alg: str, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(
        jwt.algorithms.get_default_algorithms()[alg].to_jwk(private_key(alg).public_key())
    )
    return {**jwk, "kid": kid, "alg": alg}


def write_jwks(path: Path, *algs: str) -> Path:
    path.write_text(json.dumps({"keys": [public_jwk(alg, f"{alg.lower()}-1") for alg in algs]}))
    return path


def assertion(
    client_id: str,
    aud: str,
    alg: str = "RS384",
    *,
    kid: str | None = None,
    lifetime: float = 240,
    jti: str | None = None,
    key: Any = None,
    **claims: Any,
) -> str:
    now = time.time()
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "exp": int(now + lifetime),
        "jti": jti or uuid.uuid4().hex,
        **claims,
    }
    headers = {"kid": kid or f"{alg.lower()}-1", "typ": "JWT"}
    return jwt.encode(body, key or private_key(alg), algorithm=alg, headers=headers)


def token_form(signed: str, scope: str = "system/*.read") -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
    }

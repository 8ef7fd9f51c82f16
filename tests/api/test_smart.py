"""SMART Backend Services on the server (issue 12, part 2): a client registered with
`referee keys create --jwks FILE` earns short-lived bearer tokens at POST /token with a JWT
signed by its private key (RS384 or ES384), and the API takes them like an API key with the
client's scope and organisation. Refused: expired, replayed, wrong alg, wrong aud, wrong
kid, unknown or revoked client, a key not registered, a scope beyond the client's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from adapter.cli import main
from adapter.errors import UsageError
from adapter.store import read_jwks
from api.conftest import Service, make_service
from api.smart_keys import assertion, private_key, public_jwk, token_form, write_jwks

TOKEN_URL = "http://testserver/token"


@pytest.fixture
def smart(db_url: str, tmp_path: Path) -> Iterator[Service]:
    """The service with two clients: `bulk-k81001` (read, K81001; RS384 and ES384 keys) and
    `feed-rxq` (submit, RXQ; RS384), registered with the real `referee keys` command."""
    jwks = write_jwks(tmp_path / "client.jwks.json", "RS384", "ES384")
    for name, scope, org in (("bulk-k81001", "read", "K81001"), ("feed-rxq", "submit", "RXQ")):
        code = main(
            [
                "keys",
                "create",
                "--name",
                name,
                "--scope",
                scope,
                "--org",
                org,
                "--jwks",
                str(jwks),
                "--database-url",
                db_url,
            ]
        )
        assert code == 0
    yield from make_service(db_url)


def token(service: Service, signed: str, scope: str = "system/*.read"):
    return service.client.post("/token", data=token_form(signed, scope))


def refused(service: Service, signed: str, error: str, scope: str = "system/*.read") -> str:
    response = token(service, signed, scope)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error, body
    assert response.headers["cache-control"] == "no-store"
    return str(body["error_description"])


def test_smart_configuration_advertises_the_token_endpoint(smart: Service) -> None:
    answer = smart.client.get("/.well-known/smart-configuration")
    assert answer.status_code == 200
    config = answer.json()
    assert config["token_endpoint"] == TOKEN_URL
    assert config["grant_types_supported"] == ["client_credentials"]
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert config["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]
    assert "system/*.read" in config["scopes_supported"]


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_a_signed_assertion_earns_a_token_the_api_takes_with_the_clients_limits(
    smart: Service, alg: str
) -> None:
    answer = token(smart, assertion("bulk-k81001", TOKEN_URL, alg))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300
    assert body["scope"] == "system/*.read"
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert smart.client.get("/obligations", headers=bearer).status_code == 200
    # a read client's token cannot submit
    posted = smart.client.post(
        "/fhir/Patient",
        content=b'{"resourceType":"Patient","id":"p9"}',
        headers={**bearer, "Content-Type": "application/fhir+json"},
    )
    assert posted.status_code == 403
    # and the organisation limit holds: the audit names the client
    key = smart.store.authenticate(body["access_token"])
    assert key is not None and (key.name, key.scope, key.org) == ("bulk-k81001", "read", "K81001")


def test_an_assertion_is_used_once(smart: Service) -> None:
    signed = assertion("bulk-k81001", TOKEN_URL)
    assert token(smart, signed).status_code == 200
    assert "used before" in refused(smart, signed, "invalid_client")


def test_expired_and_too_long_lived_assertions_are_refused(smart: Service) -> None:
    assert "expired" in refused(
        smart, assertion("bulk-k81001", TOKEN_URL, lifetime=-120), "invalid_client"
    )
    too_long = assertion("bulk-k81001", TOKEN_URL, lifetime=3600)
    assert "5 minutes" in refused(smart, too_long, "invalid_client")


def test_wrong_aud_alg_kid_issuer_and_signature_are_refused(smart: Service) -> None:
    assert "aud" in refused(
        smart, assertion("bulk-k81001", "http://elsewhere/token"), "invalid_client"
    )
    # RS256 with the registered RSA key: not an algorithm the server takes
    rs384 = assertion("bulk-k81001", TOKEN_URL, "RS384", kid="rs384-1")
    wrong_alg = jwt.encode(
        jwt.decode(rs384, options={"verify_signature": False}),
        private_key("RS384"),
        algorithm="RS256",
        headers={"kid": "rs384-1"},
    )
    assert "RS384 or ES384" in refused(smart, wrong_alg, "invalid_client")
    # HS384 with the public key as the secret (the classic confusion attack): refused
    forged = jwt.encode(
        {
            "iss": "bulk-k81001",
            "sub": "bulk-k81001",
            "aud": TOKEN_URL,
            "exp": int(time.time()) + 60,
            "jti": "x",
        },
        "s" * 64,
        algorithm="HS384",
        headers={"kid": "rs384-1"},
    )
    assert "RS384 or ES384" in refused(smart, forged, "invalid_client")
    assert "kid" in refused(
        smart, assertion("bulk-k81001", TOKEN_URL, kid="nope"), "invalid_client"
    )
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert "refused" in refused(
        smart, assertion("bulk-k81001", TOKEN_URL, key=stranger), "invalid_client"
    )
    assert "no registered client" in refused(
        smart, assertion("nobody", TOKEN_URL), "invalid_client"
    )
    mixed = assertion("bulk-k81001", TOKEN_URL, sub="feed-rxq")
    assert "iss and sub" in refused(smart, mixed, "invalid_client")


def test_scopes_beyond_the_clients_and_bad_forms_are_refused(smart: Service) -> None:
    refused(smart, assertion("bulk-k81001", TOKEN_URL), "invalid_scope", scope="system/*.write")
    refused(smart, assertion("bulk-k81001", TOKEN_URL), "invalid_scope", scope="")
    form = token_form(assertion("bulk-k81001", TOKEN_URL)) | {"grant_type": "password"}
    answer = smart.client.post("/token", data=form)
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"
    answer = smart.client.post("/token", json=token_form("x"))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    refused(smart, "not-a-jwt", "invalid_client")


def test_a_submit_clients_token_writes_within_its_organisation(smart: Service) -> None:
    answer = token(smart, assertion("feed-rxq", TOKEN_URL), scope="system/*.write")
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert smart.client.get("/obligations", headers=bearer).status_code == 403
    posted = smart.client.post(
        "/fhir/Patient",
        content=b'{"resourceType":"Patient","id":"p9"}',
        headers={**bearer, "Content-Type": "application/fhir+json"},
    )
    assert posted.status_code == 201, posted.text


def test_revoking_a_client_ends_its_tokens_and_expired_tokens_are_refused(
    smart: Service, db_url: str
) -> None:
    access = token(smart, assertion("bulk-k81001", TOKEN_URL)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert smart.client.get("/obligations", headers=bearer).status_code == 200
    assert main(["keys", "revoke", "bulk-k81001", "--database-url", db_url]) == 0
    assert smart.client.get("/obligations", headers=bearer).status_code == 401
    refused(smart, assertion("bulk-k81001", TOKEN_URL), "invalid_client")
    # a token past its expiry: made to expire by moving its expiry into the past
    access = token(smart, assertion("feed-rxq", TOKEN_URL), "system/*.write").json()["access_token"]
    from sqlalchemy import text

    with smart.store.engine.begin() as conn:
        conn.execute(text("UPDATE access_tokens SET expires_at = '2000-01-01 00:00:00'"))
    headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/fhir+json"}
    answer = smart.client.post(
        "/fhir/Patient", content=b'{"resourceType":"Patient"}', headers=headers
    )
    assert answer.status_code == 401


def test_a_client_cannot_be_used_as_an_api_key_and_is_listed_as_a_client(
    smart: Service, capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    capsys.readouterr()
    assert main(["keys", "list", "--database-url", db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("bulk-k81001\tread\tK81001\tactive\tclient") for line in lines)
    assert (
        smart.client.get(
            "/obligations", headers={"Authorization": "Bearer bulk-k81001"}
        ).status_code
        == 401
    )


def test_registration_prints_the_client_id_last(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jwks = write_jwks(tmp_path / "k.json", "ES384")
    code = main(
        [
            "keys",
            "create",
            "--name",
            "c1",
            "--scope",
            "read",
            "--jwks",
            str(jwks),
            "--database-url",
            db_url,
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.splitlines()[-1] == "c1"


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        ({"keys": []}, "non-empty"),
        ({"keys": [{**public_jwk("RS384", "a"), "d": "x"}]}, "PRIVATE"),
        ({"keys": [{k: v for k, v in public_jwk("RS384", "a").items() if k != "kid"}]}, "kid"),
        ({"keys": [public_jwk("RS384", "a"), public_jwk("ES384", "a")]}, "twice"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "a"}]}, "kty"),
        ({"keys": [{**public_jwk("RS384", "a"), "alg": "ES384"}]}, "does not fit"),
    ],
)
def test_a_jwks_that_is_not_public_usable_keys_is_refused(keys: dict, said: str) -> None:
    with pytest.raises(UsageError, match=said):
        read_jwks(json.dumps(keys), "k.json")


def test_keys_create_with_an_unreadable_jwks_is_one_line_exit_2(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "keys",
            "create",
            "--name",
            "c",
            "--scope",
            "read",
            "--jwks",
            str(tmp_path / "none.json"),
            "--database-url",
            db_url,
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "none.json" in err and "Traceback" not in err

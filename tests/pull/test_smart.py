"""SMART Backend Services from the client side: the JWT client assertion, signed RS384 with an
RSA key or ES384 with an EC P-384 key, is verified by the test server with PyJWT and the
public key; the access token is reused until shortly before it expires, replaced then, and
replaced once when the server stops accepting it; a refused assertion is one clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapter.errors import UsageError
from adapter.pull import PullOptions, pull
from adapter.pull.session import PullError
from adapter.pull.smart import load_key
from pull.conftest import write_private_key
from pull.fhir_server import Behaviour, serving


def smart_pull(url: str, out: Path, key_file: Path, **options: Any) -> Any:
    opts = PullOptions(
        url=url, out=out, client_id="puller", private_key=key_file, backoff=0.01, **options
    )
    return pull(opts, lambda _line: None)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_a_signed_assertion_earns_a_token_used_for_every_request(
    kind: str,
    tmp_path: Path,
    demo_files: dict[str, bytes],
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    key = rsa_key if kind == "rsa" else ec_key
    key_file = write_private_key(key, tmp_path / "key.pem")
    behaviour = Behaviour(smart_key=key.public_key())
    with serving(demo_files, behaviour) as server:
        done = smart_pull(server.fhir, tmp_path / "out", key_file, types=("Patient", "Task"))
    assert done.tokens == 1
    (grant,) = server.fetched("/auth/token")
    assert grant.status == 200
    protected = [h for h in server.hits if h.path.startswith(("/fhir/$", "/jobs", "/files"))]
    assert protected and {h.authorization for h in protected} == {"Bearer tok-1"}
    assert server.fetched("/fhir/.well-known/smart-configuration")[0].authorization is None


def test_the_assertion_claims_are_those_backend_services_requires(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    from adapter.pull.smart import SmartClient

    key_file = write_private_key(rsa_key, tmp_path / "key.pem")
    client = SmartClient("c1", key_file, fhir_base="https://x.test/fhir", key_id="k-1")
    token = client.assertion("https://x.test/token")
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS384", "typ": "JWT", "kid": "k-1"}
    claims = jwt.decode(
        token, rsa_key.public_key(), algorithms=["RS384"], audience="https://x.test/token"
    )
    assert claims["iss"] == claims["sub"] == "c1"
    assert claims["exp"] - claims["iat"] == 300
    assert client.assertion("https://x.test/token") != token  # a fresh jti every time


def test_a_token_about_to_expire_is_replaced_before_use(
    tmp_path: Path, demo_files: dict[str, bytes], ec_key: ec.EllipticCurvePrivateKey
) -> None:
    key_file = write_private_key(ec_key, tmp_path / "key.pem")
    # 30 s of life is inside the 60 s margin: every request asks for a fresh token
    behaviour = Behaviour(smart_key=ec_key.public_key(), token_lifetime=30)
    with serving(demo_files, behaviour) as server:
        done = smart_pull(server.fhir, tmp_path / "out", key_file, types=("Task",))
    protected = [h for h in server.hits if h.authorization]
    assert done.tokens == len(protected) == len(server.fetched("/auth/token")) > 3
    assert len({h.authorization for h in protected}) == len(protected)


def test_a_token_the_server_stops_accepting_is_replaced_once(
    tmp_path: Path, demo_files: dict[str, bytes], ec_key: ec.EllipticCurvePrivateKey
) -> None:
    key_file = write_private_key(ec_key, tmp_path / "key.pem")
    behaviour = Behaviour(smart_key=ec_key.public_key(), polls=1)
    with serving(demo_files, behaviour) as server:
        server.behaviour.faults["/jobs/1"] = []
        original = server.tokens

        class Forgetful(dict[str, float]):
            """The server forgets every token once the job has been polled (a restart)."""

            def get(self, key: str, default: Any = None) -> Any:
                if server.fetched("/jobs/1") and not getattr(self, "forgot", False):
                    self.forgot = True
                    self.clear()
                return super().get(key, default)

        server.tokens = Forgetful(original)
        done = smart_pull(server.fhir, tmp_path / "out", key_file, types=("Task",))
    assert done.tokens == 2
    statuses = [h.status for h in server.fetched("/jobs/1") if h.method == "GET"]
    assert statuses[0] == 401 and 200 in statuses


def test_a_refused_assertion_is_one_clear_error(
    tmp_path: Path,
    demo_files: dict[str, bytes],
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    key_file = write_private_key(ec_key, tmp_path / "key.pem")  # not the registered key
    with (
        serving(demo_files, Behaviour(smart_key=rsa_key.public_key())) as server,
        pytest.raises(PullError) as err,
    ):
        smart_pull(server.fhir, tmp_path / "out", key_file, types=("Task",))
    assert err.value.message.startswith(
        f"POST {server.token_url}: 400 Bad Request: invalid_client "
    )


def test_keys_that_cannot_sign_rs384_or_es384_are_refused(tmp_path: Path) -> None:
    weak = write_private_key(ec.generate_private_key(ec.SECP256R1()), tmp_path / "p256.pem")
    with pytest.raises(UsageError, match="neither"):
        load_key(weak)
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(UsageError, match="not an unencrypted PEM private key"):
        load_key(tmp_path / "junk.pem")


def test_tokens_are_never_sent_in_clear_to_another_machine(tmp_path: Path) -> None:
    from adapter.pull.session import Credentials, Session

    with Session(Credentials(bearer="secret")) as session, pytest.raises(PullError) as err:
        session.get("http://fhir.example.invalid/R4/metadata")
    assert "refusing to send a token over plain http" in err.value.message

"""Mutual TLS, as NHS endpoints ask for it: the test server on 127.0.0.1 speaks https with a
certificate from a private CA and requires a client certificate from that CA. `referee
pull` with `--cert`, `--key` and `--ca-cert` fetches; without the client certificate, or
without trusting the CA, the pull stops with one line saying TLS failed."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapter.cli import main
from pull.conftest import write_private_key
from pull.fhir_server import Behaviour, serving


def _certificate(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, signer = issuer or (subject, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(signer, hashes.SHA256())


def _pem(cert: x509.Certificate, path: Path) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test CA", ca_key, None, ca=True)
    issuer = (ca.subject, ca_key)
    server_key = ec.generate_private_key(ec.SECP256R1())
    client_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "ca": _pem(ca, folder / "ca.pem"),
        "server": _pem(
            _certificate("127.0.0.1", server_key, issuer, server=True), folder / "s.pem"
        ),
        "server_key": write_private_key(server_key, folder / "s.key"),
        "client": _pem(_certificate("referee", client_key, issuer), folder / "c.pem"),
        "client_key": write_private_key(client_key, folder / "c.key"),
    }


def _context(pki: dict[str, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["server"], pki["server_key"])
    context.load_verify_locations(pki["ca"])
    context.verify_mode = ssl.CERT_REQUIRED  # no client certificate, no connection
    return context


def test_a_client_certificate_opens_an_endpoint_that_requires_one(
    tmp_path: Path,
    demo_files: dict[str, bytes],
    pki: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    with serving(demo_files, Behaviour(), tls=_context(pki)) as server:
        assert server.fhir.startswith("https://127.0.0.1:")
        argv = ["pull", server.fhir, "-o", str(out), "--type", "Task", "-q"]
        code = main([*argv, "--cert", str(pki["client"]), "--key", str(pki["client_key"]),
                     "--ca-cert", str(pki["ca"])])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert (out / "Task.001.ndjson").read_bytes() == demo_files["Task"]


def test_without_the_client_certificate_or_the_ca_tls_fails_in_one_line(
    tmp_path: Path,
    demo_files: dict[str, bytes],
    pki: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serving(demo_files, Behaviour(), tls=_context(pki)) as server:
        base = ["pull", server.fhir, "-o", str(tmp_path / "out"), "--type", "Task", "-q"]
        no_cert = main([*base, "--ca-cert", str(pki["ca"]), "--retries", "0"])
        no_cert_err = capsys.readouterr().err
        untrusted = main([*base, "--cert", str(pki["client"]), "--key", str(pki["client_key"])])
        untrusted_err = capsys.readouterr().err
    assert no_cert == untrusted == 2
    for err in (no_cert_err, untrusted_err):
        assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert untrusted_err.startswith(f"referee: {server.fhir}/metadata: TLS failed: ")
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted_err
    # A server that refuses the handshake may surface as a TLS error or a dropped connection.
    assert no_cert_err.startswith(f"referee: {server.fhir}/metadata: TLS failed: ") or (
        "cannot connect" in no_cert_err
    ), no_cert_err

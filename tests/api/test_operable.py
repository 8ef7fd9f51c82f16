"""Operating the service (issue 12, point 4): docs pages that work offline, probes,
configuration mistakes said in one line with exit 2, and a shutdown that lets a request
in flight finish. One real `referee serve` on a SQLite file for the whole module."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import create_engine

from adapter.store import ping
from api.server import ROOT, Server, free_port, make_key, referee
from api.synthetic import patient_resources

pytestmark = pytest.mark.slow  # starts `referee serve`


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("operable")
    with Server(f"sqlite:///{folder / 'referee.sqlite'}", folder / "server.log") as running:
        yield running


def _local_assets(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", page) + re.findall(
        r"""url: ?["']([^"']+)["']""", page
    )


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_every_asset_from_the_service_itself(server: Server, page: str) -> None:
    answer = httpx.get(server.base + page, timeout=10)
    assert answer.status_code == 200
    assert "cdn" not in answer.text.lower() and "fonts.googleapis" not in answer.text
    assets = _local_assets(answer.text)
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        fetched = httpx.get(server.base + asset, timeout=10)
        assert fetched.status_code == 200, asset
        if asset.endswith(".js"):
            assert len(fetched.content) > 100_000  # the real bundle, not a placeholder


def test_healthz_and_readyz_answer_without_a_key(server: Server) -> None:
    assert httpx.get(server.base + "/healthz", timeout=10).json() == {"status": "ok"}
    assert httpx.get(server.base + "/readyz", timeout=10).json() == {"status": "ready"}


def test_readyz_is_503_with_the_reason_when_the_database_does_not_answer() -> None:
    from fastapi.testclient import TestClient

    from adapter.api.app import create_app
    from adapter.api.settings import Settings
    from adapter.store.service import Store

    store = Store("sqlite://")
    app = create_app(Settings(database_url="sqlite://"), store=store)
    unreachable = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        store.engine = unreachable  # the database goes away under a running service
        answer = client.get("/readyz")
    store.close()
    assert answer.status_code == 503
    issue = answer.json()["issue"][0]
    assert issue["code"] == "transient"
    assert issue["details"]["text"].startswith("the database does not answer: ")
    assert "Connection refused" in issue["details"]["text"]


def test_ping_names_the_reason() -> None:
    assert ping(create_engine("sqlite://")) is None
    reason = ping(create_engine(f"postgresql+psycopg://x:secret@127.0.0.1:{free_port()}/x"))
    assert reason is not None and "Connection refused" in reason and "secret" not in reason


_CLOSED = free_port()
CONFIG_MISTAKES = {
    "not a URL": (
        ["--database-url", "nonsense"],
        "referee: database URL 'nonsense' is not a database URL; use sqlite:///FILE or "
        "postgresql+psycopg://user@host/db",
    ),
    "unsupported scheme": (
        ["--database-url", "mysql://u@h/db"],
        "referee: database URL mysql://u@h/db: mysql is not supported; use sqlite:///FILE or "
        "postgresql+psycopg://user@host/db",
    ),
    "driver not installed": (
        ["--database-url", "postgresql+asyncpg://u@127.0.0.1/db"],
        "referee: database URL postgresql+asyncpg://u@127.0.0.1/db: its driver is not "
        "installed (No module named 'asyncpg')",
    ),
    "SQLite folder missing": (
        ["--database-url", "sqlite:////no/such/folder/referee.sqlite"],
        "referee: database URL sqlite:////no/such/folder/referee.sqlite: /no/such/folder is "
        "not an existing folder; create it or give another path",
    ),
    "unreachable PostgreSQL": (
        ["--database-url", f"postgresql+psycopg://u:hunter2@127.0.0.1:{_CLOSED}/db"],
        f"referee: database URL postgresql+psycopg://u:***@127.0.0.1:{_CLOSED}/db: cannot "
        f'open it: connection failed: connection to server at "127.0.0.1", port {_CLOSED} '
        "failed: Connection refused",
    ),
    "wrong PostgreSQL database": (
        ["--database-url", "postgresql+psycopg://127.0.0.1:5432/no_such_database_h9"],
        "referee: database URL postgresql+psycopg://127.0.0.1:5432/no_such_database_h9: "
        'cannot open it: connection failed: connection to server at "127.0.0.1", port 5432 '
        'failed: FATAL:  database "no_such_database_h9" does not exist',
    ),
}


@pytest.mark.parametrize("command", ["serve", "keys", "report"])
@pytest.mark.parametrize("mistake", sorted(CONFIG_MISTAKES))
def test_a_configuration_mistake_is_one_line_and_exit_2(command: str, mistake: str) -> None:
    flags, line = CONFIG_MISTAKES[mistake]
    if command == "report" and "SQLite" in mistake:
        pytest.skip("report refuses any missing SQLite file first (tests/test_cli_errors.py)")
    argv = {
        "serve": ["serve", "--port", str(free_port()), *flags],
        "keys": ["keys", "list", *flags],
        "report": ["report", *flags, "--from", "2026-01-01", "--to", "2026-03-31", "-o", "-"],
    }[command]
    done = referee(*argv)
    if command == "report" and mistake in ("not a URL", "unsupported scheme"):
        # report words these two its own way (first-hour's check_database_url): one line too
        line = done.stderr.rstrip("\n")
        assert line.startswith("referee: --database-url ") and "\n" not in line
    assert (done.returncode, done.stderr, done.stdout) == (2, line + "\n", "")


def test_a_missing_policy_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "icb.toml"
    done = referee("serve", "--port", str(free_port()), "--policy", str(missing))
    assert done.returncode == 2
    assert done.stderr == f"referee: {missing}: cannot be read: No such file or directory\n"


def test_sigterm_lets_a_request_in_flight_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'referee.sqlite'}"
    token = make_key(url, "feed", "submit")
    body = orjson.dumps(
        {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [
                {
                    "resource": r,
                    "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
                }
                for r in patient_resources(1, letter=True)
            ],
        }
    )
    with (
        Server(url, tmp_path / "server.log") as running,
        socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock,
    ):
        head = (
            f"POST /fhir HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/fhir+json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[:10])
        time.sleep(0.5)  # the request is in flight: headers read, body not yet complete
        assert running.process is not None
        os.killpg(running.process.pid, signal.SIGTERM)
        time.sleep(0.5)
        assert running.process.poll() is None  # still waiting for the request to finish
        sock.sendall(body[10:])
        answer = _read_response(sock)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        created = answer.count(b'"status":"201 Created"')
        assert created == len(patient_resources(1, letter=True))  # the whole request was done
        # uvicorn re-raises the signal once shut down, as a process killed by it exits
        assert running.process.wait(timeout=20) in (0, -signal.SIGTERM)


def _read_response(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_serve_help_names_the_probes_and_docs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "adapter", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert "/healthz" in done.stdout and "/redoc" in done.stdout

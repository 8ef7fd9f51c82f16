"""`referee serve` as a real process on a free 127.0.0.1 port, and keys made with the real
`referee keys create` command."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def referee(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapter", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def make_key(url: str, name: str, scope: str = "admin", org: str | None = None) -> str:
    extra = ["--org", org] if org else []
    done = referee(
        "keys", "create", "--name", name, "--scope", scope, "--database-url", url, *extra
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


class Server:
    """One `referee serve` process group. Every process started is stopped on every path:
    `start` stops it when it does not come up, `stop` and `kill` end the whole group (the
    workers too), and `stop_all` (run at the end of the session) ends any a test left."""

    live: ClassVar[set[Server]] = set()

    def __init__(
        self, database_url: str, log: Path, workers: int = 1, env: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.env = env or {}
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Server:
        env = {**os.environ, "REFEREE_DATABASE_URL": self.database_url, **self.env}
        command = [sys.executable, "-m", "adapter", "serve", "--port", str(self.port)]
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [*command, "--workers", str(self.workers), "--log-level", "warning"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: workers end with it
            )
        Server.live.add(self)
        try:
            self._wait_until_up(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_up(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"referee serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/fhir/metadata", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"referee serve did not start within {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean shutdown, as in a power cut of the process."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM to the group, then SIGKILL if it is not gone within 10 s."""
        self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # any worker that outlived its parent
        Server.live.discard(self)

    @classmethod
    def stop_all(cls) -> None:
        for server in list(cls.live):
            server.stop()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

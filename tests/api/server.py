"""`referee serve` as a real process on a free 127.0.0.1 port, and keys made with the real
`referee keys create` command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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
    def __init__(self, database_url: str, log: Path, workers: int = 1) -> None:
        self.database_url = database_url
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        env = {**os.environ, "REFEREE_DATABASE_URL": self.database_url}
        command = [sys.executable, "-m", "adapter", "serve", "--port", str(self.port)]
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [*command, "--workers", str(self.workers), "--log-level", "warning"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"referee serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/fhir/metadata", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("referee serve did not start within 30 s")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as in a power cut of the process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

"""The README's service section runs as printed (issue 13): `referee keys ...`, `referee serve`
and the `curl` calls against it, on 127.0.0.1 with a free port in place of 8000, and the
`report --database-url` example on the store they fill. Printed output is compared with
`...` standing for what varies (times, keys, elided fields); every server started is stopped
on every path."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api.server import free_port
from store.backends import database_url
from test_docs import BIN, README, ROOT

KEY_SHOWN = re.compile(r"rk_\w+\.\.\.")  # a key as the README shows it: rk_4mS0...
ASSIGNMENT = re.compile(r"(?:export )?([A-Z_]+)=(\S+)(?:\s+#.*)?")
COMMENT = re.compile(r"\s{2,}# .*$")


def console_steps(marker: str) -> list[tuple[str, list[str]]]:
    """The `$ command` lines (`\\` continuations joined) of the console block after
    `marker`, each with the output lines printed under it; an indented block is dedented."""
    start = README.index(marker)
    opening = README.index("```console", start)
    indent = opening - README.rindex("\n", 0, opening) - 1
    body = README.index("\n", opening) + 1
    block = README[body : README.index("\n" + " " * indent + "```", body)]
    steps: list[tuple[str, list[str]]] = []
    lines = iter(line[indent:] for line in block.splitlines())
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            while command.rstrip().endswith("\\"):
                command = command.rstrip()[:-1] + " " + next(lines).strip()
            steps.append((command, []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def shown_pattern(line: str) -> str:
    """A printed line as a regular expression: a key shown as `rk_4mS0...` is any key, and
    `...` (with a comma before it) is anything."""
    parts = re.split(r"(rk_\w+\.\.\.|(?:, )?\.\.\.)", COMMENT.sub("", line))
    return "".join(
        r"rk_\S+"
        if KEY_SHOWN.fullmatch(part)
        else ".*"
        if part.endswith("...")
        else re.escape(part)
        for part in parts
    )


def assert_output(command: str, shown: list[str], printed: str) -> None:
    """One line of JSON is printed over several lines in the README (joined here); other
    output is compared line by line."""
    lines = printed.splitlines()
    if len(lines) == 1 and len(shown) > 1:
        shown = ["".join(line.strip() for line in shown)]
    assert len(lines) == len(shown), (command, printed)
    for want, got in zip(shown, lines, strict=True):
        assert re.fullmatch(shown_pattern(want), got), (command, want, got)


class Shell:
    """Runs README command lines in one folder with the installed `referee` first on PATH,
    keeping the variables they set (KEY=..., export ...) and the keys they print."""

    def __init__(self, cwd: Path, port: int) -> None:
        self.cwd = cwd
        self.port = port
        path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
        self.env = {**os.environ, "PATH": path, "REFEREE_PORT": str(port)}
        self.env.pop("REFEREE_DATABASE_URL", None)  # the examples' own defaults
        self.keys: dict[str, str] = {}  # as shown (rk_4mS0...) -> the real key
        self.servers: list[subprocess.Popen[bytes]] = []
        self.last = 0

    def line(self, command: str) -> str:
        command = command.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")
        return KEY_SHOWN.sub(lambda m: self.keys.get(m.group(0), m.group(0)), command)

    def step(self, command: str, shown: list[str]) -> None:
        command = self.line(command)
        assigned = ASSIGNMENT.fullmatch(command)
        if assigned:
            self.env[assigned.group(1)] = assigned.group(2)
            return
        if command == "echo $?":
            assert shown == [str(self.last)]
            return
        if command.startswith("referee serve") and not shown:
            self.serve(command)
            return
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.last = done.returncode
        expected_code = 2 if shown and shown[0].startswith("referee: ") else 0
        assert done.returncode == expected_code, (command, done.stderr)
        assert_output(command, shown, done.stdout + done.stderr)
        if shown and KEY_SHOWN.fullmatch(COMMENT.sub("", shown[-1])):
            self.keys[COMMENT.sub("", shown[-1])] = done.stdout.splitlines()[-1]

    def serve(self, command: str) -> None:
        """`referee serve` in the background (its own process group), until it answers."""
        server = subprocess.Popen(
            ["bash", "-c", "exec " + command],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.servers.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, f"{command} exited with {server.returncode}"
            with contextlib.suppress(httpx.TransportError):
                ready = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1)
                if ready.status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"{command} did not answer within 60 s")

    def stop(self) -> None:
        for server in self.servers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)


@contextlib.contextmanager
def shell(cwd: Path) -> Iterator[Shell]:
    runner = Shell(cwd, free_port())
    try:
        yield runner
    finally:
        runner.stop()


def repository_copy(tmp_path: Path) -> Path:
    """The README's paths (docs/examples/...) relative to a folder of its own."""
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    return tmp_path


def report_from_store_example() -> str:
    """The inline `referee report --database-url ...` example of the board-pack section."""
    found = re.search(r"`(referee report --database-url[^`]*)`", README)
    assert found is not None
    return " ".join(found.group(1).split())


@pytest.mark.slow
def test_the_sqlite_service_examples_run_as_printed(tmp_path: Path) -> None:
    """With SQLite, Posting FHIR and Reading, in order, then the board pack from the store."""
    folder = repository_copy(tmp_path)
    with shell(folder) as runner:
        for marker in ("### With SQLite", "### Posting FHIR", "### Reading"):
            steps = console_steps(marker)
            assert steps, marker
            for command, shown in steps:
                runner.step(command, shown)
        assert len(runner.keys) == 2 and runner.servers
        wrote = "referee report: wrote board.html (2 trust obligations, 1 trusts, 0 practices)"
        runner.step(report_from_store_example(), [wrote])
    assert (folder / "board.html").stat().st_size > 10_000
    assert all(server.returncode is not None for server in runner.servers)


@pytest.mark.slow
@pytest.mark.postgres
def test_the_postgresql_example_runs_on_the_local_server(tmp_path: Path) -> None:
    """The README's lines with the URL, host and port substituted as it says: the local
    PostgreSQL in a fresh schema, 127.0.0.1 and a free port."""
    steps = console_steps("### With PostgreSQL")
    schema = database_url("postgres", tmp_path)
    url = next(schema)
    try:
        with shell(tmp_path) as runner:
            for command, shown in steps:
                command = command.replace(
                    "postgresql+psycopg://referee@db.example.nhs.uk/referee", url
                ).replace("--host 0.0.0.0 --port 8080", f"--host 127.0.0.1 --port {runner.port}")
                runner.step(command, shown)
            assert len(runner.servers) == 1 and runner.env["REFEREE_DATABASE_URL"] == url
            metadata = httpx.get(f"http://127.0.0.1:{runner.port}/fhir/metadata", timeout=10)
            assert metadata.status_code == 200
    finally:
        schema.close()  # drops the schema, after the server has stopped


def test_the_configuration_error_example_is_the_real_message(tmp_path: Path) -> None:
    """`referee serve` with an unreachable PostgreSQL: the one line and `echo $?` as printed."""
    steps = console_steps("A configuration mistake stops")
    assert [command for command, _ in steps] == [
        "referee serve --database-url postgresql+psycopg://referee:pw@127.0.0.1:5999/referee",
        "echo $?",
    ]
    with shell(tmp_path) as runner:
        for command, shown in steps:
            runner.step(command, shown)
        assert runner.last == 2 and not runner.servers


@pytest.mark.slow
def test_the_uvicorn_line_builds_the_app_from_the_variables(tmp_path: Path) -> None:
    """`uvicorn --factory adapter.api.app:app_from_env`, as printed, with a free port added
    (uvicorn's own flag: it does not read REFEREE_PORT), serves from REFEREE_DATABASE_URL."""
    found = re.search(r"`(uvicorn --factory [^`]*)`", README)
    assert found is not None
    with shell(tmp_path) as runner:
        runner.env["REFEREE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'from-env.sqlite'}"
        runner.serve(f"{found.group(1)} --host 127.0.0.1 --port {runner.port}")
        metadata = httpx.get(f"http://127.0.0.1:{runner.port}/fhir/metadata", timeout=10)
        assert metadata.status_code == 200
    assert (tmp_path / "from-env.sqlite").stat().st_size > 0

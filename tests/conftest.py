"""Session-wide safety net: no `referee serve` a test started outlives the test run, even
when the test failed before stopping it (each test stops its own on every path too)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _no_server_left_running() -> Iterator[None]:
    yield
    from api.server import Server

    Server.stop_all()

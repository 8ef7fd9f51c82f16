"""Session-wide settings: every property and fuzz test draws the same examples on every run
(a flaky test is a failing test; REFEREE_FUZZ_EXAMPLES asks for a longer random campaign), and
no `referee serve` a test started outlives the test run, even when the test failed before
stopping it (each test stops its own on every path too)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("campaign", derandomize=False)
settings.load_profile("campaign" if "REFEREE_FUZZ_EXAMPLES" in os.environ else "repeatable")


@pytest.fixture(scope="session", autouse=True)
def _no_server_left_running() -> Iterator[None]:
    yield
    from api.server import Server

    Server.stop_all()

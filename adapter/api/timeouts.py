"""Deadlines for slow clients (issue 15, finding 8): uvicorn's HTTP/1.1 protocol with a
deadline for a request's headers and another for its body.

uvicorn re-arms its keep-alive timer on every byte received, so a client trickling one
header byte every few seconds (slowloris) or a body one byte at a time holds its connection
for ever. Here the headers must be complete within HEADER_TIMEOUT of the connection (or of
the previous answer), and the body within BODY_TIMEOUT of the headers, whatever arrives
meanwhile; then the connection is closed and one line is logged at info. The application
sees a disconnect, as for a client that went away.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from adapter.limits import BODY_TIMEOUT_SECONDS, HEADER_TIMEOUT_SECONDS

log = logging.getLogger("adapter.api")


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


class DeadlineH11Protocol(H11Protocol):
    """H11Protocol with header and body deadlines that incoming bytes do not extend."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _seconds("REFEREE_HEADER_TIMEOUT", HEADER_TIMEOUT_SECONDS)
        self.body_timeout = _seconds("REFEREE_BODY_TIMEOUT", BODY_TIMEOUT_SECONDS)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for = ""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, "headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        cycle = self.cycle
        if cycle is not None and cycle is not before:  # a request's headers are complete
            if cycle.more_body:
                self._arm(self.body_timeout, "body")
            else:
                self._disarm()
        elif cycle is not None and not cycle.more_body and self._waiting_for == "body":
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm(self.header_timeout, "headers")  # the next request on this connection

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._waiting_for = what
        self._deadline = self.loop.call_later(seconds, self._expired, what, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._waiting_for = ""

    def _expired(self, what: str, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        log.info("closed a connection whose request %s took longer than %g s", what, seconds)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()


__all__ = ["DeadlineH11Protocol"]

"""The one HTTP session `referee pull` uses (requests): every request has a timeout, is
retried with backoff on a dropped connection, 429 and 5xx (waiting what `Retry-After`
says when the server says it), and carries the credentials configured: a bearer token, a
SMART Backend Services access token (refreshed before it expires, and once on a 401), and a
client certificate for mutual TLS.

Credentials are never sent in clear: a token goes over https, or over http only to this
machine (127.0.0.1, ::1, localhost). Nothing here logs a URL's query or a body, so no
patient identifier reaches stderr.
"""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson
import requests

from adapter.errors import AdapterError
from adapter.limits import MAX_DOCUMENT_BYTES

Say = Callable[[str], None]
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_WAIT = 120.0  # the longest Retry-After honoured; longer is an error to rerun later
USER_AGENT = "interface-referee-pull"
CHUNK = 64 * 1024
ERROR_BYTES = 64 * 1024  # what is read of an error answer to quote its OperationOutcome


class PullError(AdapterError):
    """The server could not be used: unreachable, refused, or answered what FHIR does not."""


class TokenSource(Protocol):
    """Something that gives an access token (SMART Backend Services)."""

    def token(self, session: Session) -> str: ...

    def forget(self) -> None: ...


@dataclass(frozen=True)
class Credentials:
    bearer: str | None = None  # a static token (a `referee serve` API key, an NHS token)
    smart: TokenSource | None = None
    cert: tuple[str, str] | None = None  # client certificate and key files (mutual TLS)
    verify: str | bool = True  # a CA bundle to trust, or the system's
    # The server's own origin (scheme, host, port): a token goes there and nowhere else,
    # unless a Bulk manifest from that server says its files need it.
    home: str | None = None


def counted(n: int, word: str) -> str:
    """`1 resource`, `2 resources`."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def where(url: str) -> str:
    """A URL as shown on stderr: scheme, host and path, never the query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def origin(url: str) -> str:
    """`https://host:port` of a URL, the port made explicit."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def check_url(url: str, what: str = "URL") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PullError(
            f"{what} {url!r}: not an http(s) URL; give the server's FHIR base, such as "
            "https://fhir.example.nhs.uk/R4"
        )
    return url


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


class Session:
    """GET and POST with the configured credentials, timeouts and retries."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        retries: int = 5,
        say: Say = lambda _line: None,
        backoff: float = 1.0,
    ) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self.retries = retries
        self.say = say
        self.backoff = backoff
        self._http = requests.Session()
        self._http.headers["User-Agent"] = USER_AGENT
        self._http.cert = credentials.cert
        self._http.verify = credentials.verify
        self._http.trust_env = False  # no ~/.netrc credentials sent to a server unasked

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        authorise: bool | None = None,
        stream: bool = False,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> requests.Response:
        """The response when its status is in `ok`; else a `PullError` naming the URL (no
        query) and what the server said. 429 and 5xx, a refused or dropped connection and a
        timeout are retried `retries` times. Credentials go with it when `authorise` is True,
        never when False, and by default only to the server's own origin: a `next` link or
        a polling URL on another host gets none."""
        check_url(url)
        refreshed = False
        attempt = 0
        while True:
            sent = dict(headers or {})
            with_token = bool(authorise or (authorise is None and self._at_home(url)))
            if with_token:
                sent.update(self._authorisation(url))
            try:
                response = self._http.request(
                    method,
                    url,
                    headers=sent,
                    params=params,
                    data=data,
                    stream=stream,
                    timeout=(min(10.0, self.timeout), self.timeout),
                )
            except requests.exceptions.SSLError as exc:
                raise PullError(f"{where(url)}: TLS failed: {_first_line(exc)}") from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt >= self.retries:
                    tries = f"{attempt + 1} {'try' if attempt == 0 else 'tries'}"
                    raise PullError(
                        f"{method} {where(url)}: {self._failure(exc)} ({tries}); check the URL "
                        "and that the server is up, or raise --retries/--timeout"
                    ) from None
                attempt += 1
                self._wait(None, attempt, f"{where(url)}: {_kind(exc)}")
                continue
            if (
                response.status_code == 401
                and with_token
                and self.credentials.smart
                and not refreshed
            ):
                response.close()
                self.credentials.smart.forget()  # expired or revoked early: one fresh token
                refreshed = True
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                wait = retry_after(response.headers.get("Retry-After"))
                response.close()
                attempt += 1
                self._wait(wait, attempt, f"{where(url)} answered {response.status_code}")
                continue
            if response.status_code not in ok:
                raise PullError(f"{method} {where(url)}: {describe(response)}")
            return response

    def _failure(self, exc: BaseException) -> str:
        if isinstance(exc, requests.Timeout):
            return f"no answer within {self.timeout:g} s"
        return f"cannot connect: {_reason(exc)}"

    def _at_home(self, url: str) -> bool:
        home = self.credentials.home
        return home is None or origin(url) == origin(home)

    def _authorisation(self, url: str) -> dict[str, str]:
        credentials = self.credentials
        if not credentials.bearer and not credentials.smart:
            return {}
        parts = urlsplit(url)
        if parts.scheme != "https" and parts.hostname not in LOOPBACK:
            raise PullError(
                f"{where(url)}: refusing to send a token over plain http to another machine; "
                "use the server's https URL"
            )
        token = credentials.smart.token(self) if credentials.smart else credentials.bearer
        return {"Authorization": f"Bearer {token}"}

    def _wait(self, asked: float | None, attempt: int, why: str) -> None:
        if asked is not None and asked > MAX_WAIT:
            raise PullError(f"{why} and asks to retry after {asked:.0f} s; run again later")
        # Exponential backoff with jitter when the server names no time.
        wait = asked if asked is not None else min(30.0, self.backoff * 2 ** (attempt - 1))
        if asked is None:
            wait *= 0.5 + random.random() / 2  # noqa: S311 (jitter, not a secret)
        self.say(f"{why}; retry {attempt} of {self.retries} in {wait:.1f} s")
        time.sleep(wait)


def read_body(response: requests.Response, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The body of a (streamed) response, refused past `limit` bytes: a server cannot make
    the client hold more than one document's worth in memory (docs/contract.md §9)."""
    parts, size = [], 0
    with response:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > limit:
                raise PullError(
                    f"{response.request.method} {where(response.url)}: the answer is larger "
                    f"than {limit:,} bytes; refused"
                )
            parts.append(chunk)
    return b"".join(parts)


def describe(response: requests.Response) -> str:
    """`404 Not Found: <the OperationOutcome's first diagnostics or text>`."""
    head = f"{response.status_code} {response.reason or ''}".strip()
    detail = ""
    try:
        body = orjson.loads(read_body(response, ERROR_BYTES))
    except (orjson.JSONDecodeError, PullError):
        body = None
    if isinstance(body, dict):
        if body.get("resourceType") == "OperationOutcome":
            for issue in body.get("issue") or []:
                if isinstance(issue, dict):
                    text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
                    if text:
                        detail = str(text)
                        break
        elif body.get("error"):  # an OAuth error from a token endpoint
            detail = " ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
    return f"{head}: {detail[:300]}" if detail else head


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _reason(exc: BaseException) -> str:
    """What went wrong in a few words ("Connection refused"), not urllib3's whole chain."""
    found = _ERRNO.search(str(exc))
    return found.group(1).strip() if found else _kind(exc)


def _kind(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return "connection failed"

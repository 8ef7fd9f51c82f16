"""Searchset paging as FHIR clients expect it (R4 http.html#paging, search.html): `_count`,
`Bundle.total`, `Bundle.link` self/next/previous, and page tokens that a client cannot
forge or bend.

A page token is `<payload>.<HMAC-SHA256>` over the search's parameters, the instant it is
judged at, the offset and the reading key's organisation. A token altered in any byte, or
shown by a key of another organisation, is refused (400): it can never widen a search to
data the key may not read. The instant is frozen in the first page's token, so every page
of one search sees the same statuses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import orjson

from adapter.api.outcomes import FhirError, problem

PAGE_PARAMETER = "_page"
DEFAULT_COUNT = 100
MAX_COUNT = 1000


def new_secret() -> str:
    """A random signing secret, for a service given none (tokens then end with it)."""
    return secrets.token_hex(32)


@dataclass(frozen=True, slots=True)
class Page:
    """Where one page of a search starts and how long it is, and the search it belongs to."""

    query: tuple[tuple[str, str], ...]
    as_of: str
    offset: int
    count: int
    org: str | None


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def encode(secret: str, page: Page) -> str:
    body = {"q": page.query, "a": page.as_of, "n": page.offset, "c": page.count, "o": page.org}
    payload = base64.urlsafe_b64encode(orjson.dumps(body)).rstrip(b"=")
    return f"{payload.decode()}.{_sign(secret, payload)}"


def decode(secret: str, token: str, org: str | None) -> Page:
    """The page `token` names; 400 when it was not made by this service for this key's
    organisation (altered, truncated, from another organisation's key)."""
    payload, _, signature = token.partition(".")
    if not hmac.compare_digest(signature, _sign(secret, payload.encode())):
        raise _refused()
    try:
        body: Any = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        page = Page(
            tuple((str(k), str(v)) for k, v in body["q"]),
            str(body["a"]),
            int(body["n"]),
            int(body["c"]),
            body["o"],
        )
    except (ValueError, KeyError, TypeError):  # pragma: no cover - signed by us
        raise _refused() from None
    if page.org != org:
        raise _refused()
    return page


def _refused() -> FhirError:
    return problem(
        400,
        "value",
        f"{PAGE_PARAMETER} must be a token from a `next`, `previous` or `self` link this "
        "service gave to this key",
        PAGE_PARAMETER,
    )


def count_of(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_COUNT
    if not raw.isdigit() or not 0 <= int(raw) <= MAX_COUNT:
        raise problem(
            400,
            "value",
            f"_count must be a whole number 0–{MAX_COUNT}, 0 for the total alone (got {raw!r})",
            "_count",
        )
    return int(raw)


def links(base: str, secret: str, page: Page, total: int) -> list[dict[str, str]]:
    """self, and next / previous when there is such a page, as absolute URLs."""

    def url(offset: int) -> str:
        moved = Page(page.query, page.as_of, offset, page.count, page.org)
        return f"{base}?{PAGE_PARAMETER}={encode(secret, moved)}"

    found = [{"relation": "self", "url": url(page.offset)}]
    if page.count == 0:  # the total alone: no pages to walk
        return found
    if page.offset + page.count < total:
        found.append({"relation": "next", "url": url(page.offset + page.count)})
    if page.offset > 0:
        found.append({"relation": "previous", "url": url(max(0, page.offset - page.count))})
    return found

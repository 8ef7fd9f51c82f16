"""Settings of the service: flags first, then `REFEREE_*` environment variables, then
defaults that work with no set-up (a SQLite file in the working folder)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from adapter.errors import UsageError
from adapter.store import DEFAULT_URL

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_EXPORT_DIR = "referee-exports"
DEFAULT_MAX_LOAD_BYTES = 1024 * 1024 * 1024  # an NDJSON load (streamed to disk, not memory)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_URL
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_entries: int = DEFAULT_MAX_ENTRIES
    policy: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    page_secret: str | None = None  # signs searchset page tokens; random when not given
    export_dir: str = DEFAULT_EXPORT_DIR  # Bulk $export files, one folder per job
    max_load_bytes: int = DEFAULT_MAX_LOAD_BYTES


def _int(name: str, flag: int | None, default: int) -> int:
    if flag is not None:
        return flag
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{name} must be a whole number (got {raw!r})") from None
    if value <= 0:
        raise UsageError(f"{name} must be positive (got {value})")
    return value


def resolve(
    *,
    database_url: str | None = None,
    max_body_bytes: int | None = None,
    max_entries: int | None = None,
    policy: str | None = None,
    export_dir: str | None = None,
    host: str | None = None,
    port: int | None = None,
) -> Settings:
    """Settings from flags (None = not given), else the environment, else the defaults."""
    return Settings(
        database_url=database_url or os.environ.get("REFEREE_DATABASE_URL") or DEFAULT_URL,
        max_body_bytes=_int("REFEREE_MAX_BODY_BYTES", max_body_bytes, DEFAULT_MAX_BODY_BYTES),
        max_entries=_int("REFEREE_MAX_ENTRIES", max_entries, DEFAULT_MAX_ENTRIES),
        policy=policy or os.environ.get("REFEREE_POLICY"),
        host=host or os.environ.get("REFEREE_HOST") or "127.0.0.1",
        port=_int("REFEREE_PORT", port, 8000),
        page_secret=os.environ.get("REFEREE_PAGE_SECRET") or None,
        export_dir=export_dir or os.environ.get("REFEREE_EXPORT_DIR") or DEFAULT_EXPORT_DIR,
        max_load_bytes=_int("REFEREE_MAX_LOAD_BYTES", None, DEFAULT_MAX_LOAD_BYTES),
    )

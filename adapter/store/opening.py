"""Opening the store for a command, with configuration mistakes said as one line (issue 12,
point 4): a URL that is not a database URL or names an unsupported backend, a SQLite file
whose folder is missing or read-only, a PostgreSQL server that cannot be reached or refuses
the user or database. Each is a `UsageError` (exit 2, no traceback) naming the URL with
its password hidden, what went wrong and what to do.

    checked_url(url)          the URL parsed, refused when it cannot be right
    open_store(url, policy)   a migrated `Store`, or a UsageError saying why not
    said_plainly(url)         a block whose database errors become that one line
    ping(engine)              None when the database answers, else why not (for /readyz)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from adapter.errors import UsageError

if TYPE_CHECKING:
    from adapter.policy import Policy
    from adapter.store.service import Store

_EXAMPLES = "use sqlite:///FILE or postgresql+psycopg://user@host/db"


def checked_url(url: str) -> URL:
    """`url` parsed; a UsageError when it is not a SQLite or PostgreSQL URL, or names a
    SQLite file that cannot be created or written."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(f"database URL {url!r} is not a database URL; {_EXAMPLES}") from None
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise UsageError(f"database URL {shown}: {backend} is not supported; {_EXAMPLES}")
    if backend == "sqlite":
        _check_sqlite_file(shown, parsed.database)
    return parsed


def _check_sqlite_file(shown: str, database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK) or path.is_dir():
            raise UsageError(f"database URL {shown}: {database} is not a writable file")
        return
    if not folder.is_dir():
        raise UsageError(
            f"database URL {shown}: {folder} is not an existing folder; create it or "
            "give another path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"database URL {shown}: cannot create {database}: the folder {folder} is not writable"
        )


def open_store(url: str, policy: Policy | None = None) -> Store:
    """A migrated store on `url`, or a UsageError that says what is wrong with it."""
    from adapter.store.service import Store

    with said_plainly(url):
        return Store(url, policy=policy)


@contextmanager
def said_plainly(url: str) -> Iterator[None]:
    """Checks `url`, then runs the block with a database that cannot be opened (no driver,
    unreachable, wrong user or database) turned into one UsageError line."""
    parsed = checked_url(url)
    shown = parsed.render_as_string(hide_password=True)
    try:
        yield
    except NoSuchModuleError as exc:
        raise UsageError(f"database URL {shown}: no driver for it ({exc}); {_EXAMPLES}") from None
    except ModuleNotFoundError as exc:
        raise UsageError(f"database URL {shown}: its driver is not installed ({exc})") from None
    except DBAPIError as exc:
        raise UsageError(f"database URL {shown}: cannot open it: {_first_line(exc)}") from None


def _first_line(exc: DBAPIError) -> str:
    """The driver's own reason, first line only (psycopg adds hints on further lines)."""
    reason = str(exc.orig).strip() or type(exc.orig).__name__
    return reason.splitlines()[0]


def ping(engine: Engine) -> str | None:
    """None when the database answers a trivial query; otherwise the driver's reason."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        return _first_line(exc)
    return None

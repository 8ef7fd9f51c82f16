"""Opening the database: one engine per URL, migrated at start-up, and write transactions
that are serialised so that re-evaluation always sees every committed resource.

    DEFAULT_URL          ./referee.sqlite, so `referee serve` works with no set-up
    database_url(arg)    the flag, else $REFEREE_DATABASE_URL, else the default
    open_engine(url)     an engine with SQLite made durable and concurrent-safe
    migrate(engine)      alembic upgrade to head, programmatically
    writing(engine)      a Session in one write transaction, holding the write lock
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

DEFAULT_URL = "sqlite:///referee.sqlite"
ENV_URL = "REFEREE_DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# Any constant: the key of the PostgreSQL advisory lock that serialises writers.
_WRITE_LOCK = 0x5EFEEE


def database_url(arg: str | None = None) -> str:
    """The database URL: the flag, else the environment, else the SQLite default."""
    return arg or os.environ.get(ENV_URL) or DEFAULT_URL


def open_engine(url: str) -> Engine:
    """An engine for `url`. SQLite gets WAL, full sync, foreign keys, a busy timeout, and
    transactions that start with BEGIN IMMEDIATE (writers queue instead of failing)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
        _make_sqlite_safe(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _make_sqlite_safe(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (alembic, never create_all)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITE_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def writing(engine: Engine, *, serialise: bool = True) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back on any error.
    Writers are serialised (SQLite BEGIN IMMEDIATE; PostgreSQL an advisory lock), so each
    sees everything committed before it and re-evaluation never misses a resource.
    `serialise=False` is for rows that depend on nothing (audit entries): on PostgreSQL
    they then do not wait for a long submission."""
    bound = engine.execution_options(sqlite_begin="IMMEDIATE")
    with Session(bound, expire_on_commit=False) as session, session.begin():
        if serialise and engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITE_LOCK})
        yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """One read-only transaction."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session

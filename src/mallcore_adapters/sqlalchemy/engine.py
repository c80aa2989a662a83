"""Engines with the transaction handling each database needs.

SQLite (the embedded default): WAL so readers never block the writer, a busy
timeout so writers queue instead of failing, foreign keys on, and every unit of
work opened with ``BEGIN IMMEDIATE``: it takes the write lock up front, so two
units of work never both read, then both try to write (SQLite would fail the
second with "database is locked" in the middle of its work).

PostgreSQL through psycopg 3: ``postgresql://`` URLs are read as
``postgresql+psycopg://``; READ COMMITTED with optimistic versions and
conditional updates, so no unit of work holds locks while it thinks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["DEFAULT_URL", "make_engine", "normalise_url", "short_transaction"]

DEFAULT_URL = "sqlite:///mallcore.db"
SQLITE_BUSY_MS = 60_000


def normalise_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str = DEFAULT_URL, **options: Any) -> Engine:
    """An engine for ``url``; ``options`` go to ``create_engine`` (pool sizes …)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, **options)
        _sqlite_transactions(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def _sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_open = threading.local()  # per thread: engine → the connection of its open unit of work


@contextmanager
def unit_of_work_connection(engine: Engine, conn: Connection) -> Iterator[None]:
    """Mark ``conn`` as this thread's open unit of work on ``engine``."""
    opened: dict[int, Connection] = _open.__dict__.setdefault("by_engine", {})
    opened[id(engine)] = conn
    try:
        yield
    finally:
        opened.pop(id(engine), None)


@contextmanager
def short_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction of its own for a counter or a flash-stock move.

    On PostgreSQL it is always separate and short, so a hot row is locked only
    for one statement's commit.  SQLite has one writer at a time: while this
    thread has a unit of work open, it holds the write lock, and a second
    transaction would wait for it for ever; so there the move joins the open
    unit of work (and commits or rolls back with it).
    """
    if engine.dialect.name == "sqlite":
        joined = _open.__dict__.get("by_engine", {}).get(id(engine))
        if joined is not None:
            yield joined
            return
    with engine.begin() as conn:
        yield conn

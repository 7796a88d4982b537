"""Engines for the store: SQLite tuned for one daemon with many threads, or any SQLAlchemy URL.

`store.repository.Store` and `store.migrate` get their engine here. For SQLite every
connection runs in WAL mode with a busy timeout, and write transactions start with
`BEGIN IMMEDIATE`: a deferred transaction that later wants to write can fail at once with
"database is locked" when another writer got there first, whatever the busy timeout says.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import StaticPool

# Execution option a Connection carries when its transaction will write (see Store).
WRITE_OPTION = "dockform_write"
BUSY_TIMEOUT_MS = 5000


def default_url(home: str) -> str:
    return f"sqlite:///{os.path.join(home, 'dockform.db')}"


def is_memory_sqlite(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or parsed.query.get("mode") == "memory"


def create_engine_for(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout, foreign keys and a thread pool."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if is_memory_sqlite(url):
        # Every connection to ":memory:" is a new empty database: share one connection.
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            pool_size=8,
            max_overflow=16,
        )
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" below issue BEGIN itself instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def sqlite_files(url: str) -> list[Path]:
    """The files of a SQLite store (database, WAL, shared memory); none for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return []
    if parsed.database == ":memory:":
        return []
    database = Path(parsed.database)
    return [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))]

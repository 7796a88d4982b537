"""Engines for the store: SQLite tuned for one daemon with many threads, or any SQLAlchemy URL.

`store.repository.Store` and `store.migrate` get their engine here. For SQLite every
connection runs in WAL mode with a busy timeout, and write transactions start with
`BEGIN IMMEDIATE`: a deferred transaction that later wants to write can fail at once with
"database is locked" when another writer got there first, whatever the busy timeout says.

PostgreSQL (psycopg 3) gets the same semantics: a write transaction first takes one
transaction-scoped advisory lock, so writers queue one at a time as they do on SQLite, and a
read-check-write (optimistic concurrency on resourceVersion, "create once") can never
interleave with another; readers never wait (READ COMMITTED, MVCC).

`is_disk_full` tells a full disk from other database failures by the driver's error code
(SQLite's SQLITE_FULL, PostgreSQL's SQLSTATE 53100, errno ENOSPC), never by message text.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import StaticPool

# Execution option a Connection carries when its transaction will write (see Store).
WRITE_OPTION = "dockform_write"
BUSY_TIMEOUT_MS = 5000
# The advisory lock every PostgreSQL write transaction holds: one writer at a time, as SQLite.
POSTGRES_WRITE_LOCK = 0x646F636B666F726D  # "dockform"
# A server that stops answering (a partition) fails a call within seconds instead of hanging it
# until the kernel gives up (libpq: connect timeout, TCP user timeout and keepalives).
POSTGRES_CONNECT_ARGS = {
    "connect_timeout": 5,
    "tcp_user_timeout": 8000,
    "keepalives": 1,
    "keepalives_idle": 4,
    "keepalives_interval": 2,
    "keepalives_count": 2,
}
# A writer that waits longer than this for the lock fails (and the caller retries), as SQLite's
# busy timeout.
POSTGRES_LOCK_TIMEOUT_MS = 5000

# Primary result codes (the low byte of an extended code such as SQLITE_IOERR_WRITE).
SQLITE_FULL = 13
SQLITE_IOERR = 10
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
POSTGRES_DISK_FULL = "53100"
# An I/O error (rather than SQLITE_FULL) on a filesystem with less than this left is taken
# for a full disk: SQLite reports ENOSPC while growing its shared-memory file as an I/O error.
NEARLY_FULL_BYTES = 1 << 20


def default_url(home: str) -> str:
    return f"sqlite:///{os.path.join(home, 'dockform.db')}"


def is_shared_url(url: str) -> bool:
    """Whether a store at `url` may be shared by several daemons (a database server)."""
    return make_url(url).get_backend_name() != "sqlite"


def is_memory_sqlite(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or parsed.query.get("mode") == "memory"


def create_engine_for(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout, foreign keys and a thread pool."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        try:
            engine = create_engine(
                url,
                pool_pre_ping=True,
                pool_size=8,
                max_overflow=16,
                connect_args=POSTGRES_CONNECT_ARGS,
            )
        except ModuleNotFoundError as error:
            raise ValueError(
                f"store {parsed.render_as_string(hide_password=True)}: its driver "
                f"({error.name}) is not installed: pip install 'dockform[postgresql]' "
                "(psycopg 3; use a postgresql+psycopg:// URL)"
            ) from error
        _serialise_postgres_writers(engine)
        return engine
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


def read_engine_for(engine: Engine) -> Engine:
    """The engine reads run on: PostgreSQL's own in autocommit, so a read is its statements
    alone, without a BEGIN and a ROLLBACK round trip around them (a store read is one
    statement, or several that need no common snapshot); other stores read on `engine`."""
    if engine.dialect.name != "postgresql":
        return engine
    return create_engine(
        engine.url,
        pool_pre_ping=True,
        pool_size=4,
        max_overflow=8,
        connect_args=POSTGRES_CONNECT_ARGS,
        isolation_level="AUTOCOMMIT",
    )


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


def _serialise_postgres_writers(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {POSTGRES_LOCK_TIMEOUT_MS}")
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({POSTGRES_WRITE_LOCK})")


@dataclass(frozen=True)
class StoreLocation:
    """Where a store keeps its data, for messages and for asking the filesystem about space."""

    # The SQLite file, or the URL without its password.
    description: str
    # The directory of a SQLite file; None for a database server.
    directory: Path | None

    @classmethod
    def from_url(cls, url: str) -> StoreLocation:
        files = sqlite_files(url)
        if files:
            database = files[0].absolute()
            return cls(str(database), database.parent)
        parsed = make_url(url)
        if is_memory_sqlite(url):
            return cls("in memory", None)
        return cls(parsed.render_as_string(hide_password=True), None)


def is_disk_full(error: BaseException, location: StoreLocation) -> bool:
    """True when `error` (a driver error or OSError, or what caused it) says the disk is full."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _says_disk_full(current, location):
            return True
        current = current.__cause__ or current.__context__
    return False


def _says_disk_full(error: BaseException, location: StoreLocation) -> bool:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        return code == SQLITE_FULL or (code == SQLITE_IOERR and _nearly_full(location))
    if isinstance(error, OSError):
        return error.errno in DISK_FULL_ERRNOS
    # psycopg exposes `sqlstate`, psycopg2 `pgcode`: no import of either needed.
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return state == POSTGRES_DISK_FULL


def _nearly_full(location: StoreLocation) -> bool:
    if location.directory is None:
        return False
    try:
        space = os.statvfs(location.directory)
    except OSError:
        return False
    return space.f_bavail * space.f_frsize < NEARLY_FULL_BYTES


def sqlite_files(url: str) -> list[Path]:
    """The files of a SQLite store (database, WAL, shared memory); none for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return []
    if parsed.database == ":memory:":
        return []
    database = Path(parsed.database)
    return [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))]

"""A store whose disk is full, deterministically: SQLite's `max_page_count` pinned to the
database's size on every connection, so the next write that needs a page fails with
SQLITE_FULL exactly as a full filesystem does. Used by the store and the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from dockform.store.repository import Store


@contextmanager
def disk_full(store: Store) -> Iterator[None]:
    """While inside, every write that grows the database fails; space comes back after."""
    engine = store.engine
    # The database as it is, plus the WAL frames not yet checkpointed into it: no room left.
    with engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()

    def pin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(engine, "connect", pin)
    engine.dispose()  # pooled connections were opened without the limit
    try:
        yield
    finally:
        event.remove(engine, "connect", pin)
        engine.dispose()

"""A full disk under the store: writes fail with StoreFull naming the store's file and change
nothing, reads keep working, and writes succeed again once there is space."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from dockform.manifests.loader import LoadedManifest
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.db import StoreLocation, is_disk_full
from dockform.store.errors import StoreFull, StoreUnavailable
from dockform.store.repository import Store, translated_errors
from dockform.store.types import ResourceStatus
from tests.unit.store.full_disk import disk_full

MakeManifest = Callable[..., LoadedManifest]
BIG = {"image": "busybox:test", "env": {f"PAD{index}": "x" * 10_000 for index in range(4)}}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the disk is filled through SQLite's page limit (`full_disk.disk_full`).
    PostgreSQL's full disk is told by its SQLSTATE 53100, checked below without a server."""
    return f"sqlite:///{tmp_path / 'dockform.db'}"


def sqlite_error(code: int, name: str, message: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    error.sqlite_errorname = name
    return error


def test_an_apply_on_a_full_disk_is_store_full_and_writes_nothing(
    applier: Applier, store: Store, manifest: MakeManifest, tmp_path: Path
) -> None:
    applier.apply(ApplyRequest([manifest("Container", "kept")]))
    with disk_full(store), pytest.raises(StoreFull) as raised:
        applier.apply(ApplyRequest([manifest("Container", "big", BIG)]))
    assert isinstance(raised.value, StoreUnavailable)  # retried by whoever retries those
    assert raised.value.location == str(tmp_path / "dockform.db")
    assert str(raised.value).startswith(f"the store's disk is full ({tmp_path / 'dockform.db'})")
    assert "database or disk is full" in str(raised.value)
    assert [resource.name for resource in store.list()] == ["kept"]


def test_reads_and_dry_runs_work_while_the_disk_is_full(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([manifest("Container", "kept")]))
    store.record_event("Container", "kept", "Normal", "Created", "made")
    with disk_full(store):
        assert store.get("Container", "kept") is not None
        assert [event.reason for event in store.list_events()] == ["Created"]
        results = applier.apply(ApplyRequest([manifest("Container", "new", BIG)], dry_run=True))
        assert [result.action for result in results] == ["created"]
        assert store.ping()


def test_status_events_and_sources_on_a_full_disk_are_store_full(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([manifest("Container", "kept")]))
    with disk_full(store):
        with pytest.raises(StoreFull):
            store.write_status("Container", "kept", ResourceStatus(message="x" * 20_000))
        with pytest.raises(StoreFull):
            for index in range(50):  # the first few may fit in a page that has room
                store.record_event("Container", "kept", "Normal", "Made", f"{index} " * 2000)
        with pytest.raises(StoreFull):
            store.upsert_source("git:big", last_error="x" * 20_000)


def test_writes_succeed_again_once_there_is_space(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    with disk_full(store), pytest.raises(StoreFull):
        applier.apply(ApplyRequest([manifest("Container", "big", BIG)]))
    applier.apply(ApplyRequest([manifest("Container", "big", BIG)]))
    assert store.get("Container", "big") is not None


@pytest.mark.parametrize(
    ("error", "full"),
    [
        (sqlite_error(13, "SQLITE_FULL", "database or disk is full"), True),
        (sqlite_error(5, "SQLITE_BUSY", "database is locked"), False),
        # Classified by code, not by text.
        (sqlite_error(5, "SQLITE_BUSY", "database or disk is full"), False),
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
        (OSError(errno.EACCES, "Permission denied"), False),
    ],
)
def test_a_full_disk_is_told_by_the_error_code(error: BaseException, full: bool) -> None:
    assert is_disk_full(error, StoreLocation("test.db", None)) is full


def test_an_io_error_counts_as_full_only_on_a_filesystem_without_space(tmp_path: Path) -> None:
    io_error = sqlite_error(10 | (3 << 8), "SQLITE_IOERR_WRITE", "disk I/O error")
    assert not is_disk_full(io_error, StoreLocation("test.db", tmp_path))
    assert not is_disk_full(io_error, StoreLocation("test.db", None))


def test_a_postgres_disk_full_sqlstate_is_full() -> None:
    class DiskFull(Exception):
        sqlstate = "53100"

    assert is_disk_full(DiskFull("could not extend file"), StoreLocation("postgresql://h/db", None))


def test_the_boundary_translates_a_wrapped_sqlite_full_and_an_enospc(tmp_path: Path) -> None:
    location = StoreLocation(str(tmp_path / "dockform.db"), tmp_path)
    cause = sqlite_error(13, "SQLITE_FULL", "database or disk is full")
    with pytest.raises(StoreFull) as raised, translated_errors(location):
        raise OperationalError("COMMIT", {}, cause)
    assert raised.value.detail == "database or disk is full"
    with pytest.raises(StoreFull), translated_errors(location):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "dockform.db-wal"))
    with pytest.raises(StoreUnavailable) as busy, translated_errors(location):
        raise OperationalError("COMMIT", {}, sqlite_error(5, "SQLITE_BUSY", "database is locked"))
    assert not isinstance(busy.value, StoreFull)
    with pytest.raises(PermissionError), translated_errors(location):
        raise PermissionError(errno.EACCES, "Permission denied")


def test_the_location_of_a_server_database_hides_its_password() -> None:
    location = StoreLocation.from_url("postgresql://user:secret@db.example/dockform")
    assert "secret" not in location.description
    assert location.directory is None

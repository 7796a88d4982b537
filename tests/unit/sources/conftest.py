"""Fixtures for source tests: a migrated SQLite store in tmp_path with its Applier (recording
what it tells the controller in `changes`), manifest text, local git repositories (git init in
tmp_path, real commits), and a poll-until helper for the watcher."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import event

from dockform.store.apply import Applier
from dockform.store.db import create_engine_for
from dockform.store.repository import Store
from tests.changes import Changes
from tests.gitrepo import GitRepo

T = TypeVar("T")


def container_doc(name: str, image: str = "busybox", env: str = "") -> str:
    text = f"apiVersion: dockform/v1\nkind: Container\nmetadata: {{name: {name}}}\nspec:\n"
    text += f"  image: {image}\n"
    if env:
        text += f"  env: {{GREETING: {env}}}\n"
    return text


def wait_until(what: str, probe: Callable[[], T | None], timeout_s: float = 20.0) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'dockform.db'}")
    yield opened
    opened.close()


@dataclass
class LockedStore:
    """The test's database while another connection holds its write lock: `applier` writes
    through a store that waits 50 ms for the lock, then fails as SQLite does when busy."""

    applier: Applier
    holder: sqlite3.Connection

    def release(self) -> None:
        self.holder.rollback()


@pytest.fixture
def locked(store: Store, tmp_path: Path, changes: Changes) -> Iterator[LockedStore]:
    engine = create_engine_for(str(store.engine.url))

    @event.listens_for(engine, "connect")
    def impatient(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")  # after the store's own 5 s

    holder = sqlite3.connect(tmp_path / "dockform.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    impatient_store = Store(engine)
    yield LockedStore(Applier(impatient_store, on_change=changes), holder)
    holder.close()
    impatient_store.close()


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


@pytest.fixture
def doc() -> Callable[..., str]:
    """`doc("web", env="hi")`: the text of a Container manifest."""
    return container_doc


@pytest.fixture
def wait() -> Callable[..., object]:
    """`wait("what", probe)`: poll until `probe()` is truthy, fail after a timeout."""
    return wait_until

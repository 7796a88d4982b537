"""Shared by the controller tests that run the manager: a migrated SQLite store in tmp_path,
and waiting for what the manager's threads do."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dockform.store.repository import Store


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'dockform.db'}")
    yield opened
    opened.close()


def wait(predicate: Callable[[], object], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def phase(store: Store, kind: str, name: str) -> str:
    resource = store.get(kind, name)
    return resource.status.phase if resource else "<gone>"

"""Fixtures for API tests: the real app on a migrated SQLite store in tmp_path, with a Manager
over FakeRuntime as its controller (not started: nothing reconciles unless a test says so) and
the Applier that tells it what changed, wired as the daemon wires them."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.runtime.fake import FakeRuntime
from dockform.store.apply import Applier
from dockform.store.repository import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient


MakeDoc = Callable[..., str]


def container_yaml(
    name: str, extra: str = "", *, labels: str = "{}", image: str = "busybox"
) -> str:
    """A Container manifest; `extra` is more of its spec, indented by two spaces."""
    return (
        "apiVersion: dockform/v1\n"
        "kind: Container\n"
        f"metadata: {{name: {name}, labels: {labels}}}\n"
        "spec:\n"
        f"  image: {image}\n"
        f"{extra}"
    )


def volume_yaml(name: str) -> str:
    return f"apiVersion: dockform/v1\nkind: Volume\nmetadata: {{name: {name}}}\n"


@pytest.fixture
def container_doc() -> MakeDoc:
    return container_yaml


@pytest.fixture
def volume_doc() -> MakeDoc:
    return volume_yaml


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database at the latest schema, copied per test: migrating each time is slow."""
    path = tmp_path_factory.mktemp("template") / "dockform.db"
    Store.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def store(tmp_path: Path, migrated_db: Path) -> Iterator[Store]:
    path = tmp_path / "dockform.db"
    shutil.copyfile(migrated_db, path)
    opened = Store.open(f"sqlite:///{path}", migrate=False)
    yield opened
    opened.close()


@pytest.fixture
def runtime() -> FakeRuntime:
    return FakeRuntime()


@pytest.fixture
def manager(store: Store, runtime: FakeRuntime) -> Manager:
    return Manager(ReconcileContext(store=store, runtime=runtime))  # never started


@pytest.fixture
def applier(store: Store, manager: Manager) -> Applier:
    return Applier(store, on_change=manager.desired_changed)


@pytest.fixture
def state(store: Store, applier: Applier, manager: Manager) -> AppState:
    return AppState(
        store=store,
        applier=applier,
        controller=manager,
        version="9.9.9",
        stream_limit_s=0.5,
        events_poll_s=0.02,
        heartbeat_s=0.1,
    )


@pytest.fixture
def client(state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(state)) as test_client:
        yield test_client

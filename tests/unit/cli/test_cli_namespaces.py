"""The CLI with namespaces, against the real API app on a fake runtime: -n, -A (a NAMESPACE
column), get namespaces with counts by phase, delete namespace, and apply naming the
manifests' own namespaces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dockform.api.app import create_app
from dockform.api.client import DockformClient
from dockform.api.deps import AppState
from dockform.cli import main
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.runtime.fake import FakeRuntime
from dockform.store.apply import Applier
from dockform.store.repository import Store

APP = """\
apiVersion: dockform/v1
kind: Volume
metadata: {name: data, namespace: shop}
---
apiVersion: dockform/v1
kind: Container
metadata: {name: db, namespace: shop}
spec: {image: busybox:test}
---
apiVersion: dockform/v1
kind: Volume
metadata: {name: data}
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'dockform.db'}")
    yield opened
    opened.close()


@pytest.fixture
def runner(store: Store, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    manager = Manager(ReconcileContext(store=store, runtime=FakeRuntime()))  # never started
    state = AppState(
        store=store,
        applier=Applier(store, on_change=manager.desired_changed),
        controller=manager,
        version="9.9.9",
    )
    app = create_app(state)

    class AppClient(DockformClient):
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.host = "http://testserver"
            self._http = TestClient(app)

    monkeypatch.setattr(main, "DockformClient", AppClient)
    # The trusted roots of an apply are for the unix socket, which this client is not.
    monkeypatch.setattr(main, "apply_roots", lambda paths: [])
    return CliRunner()


def _run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main.app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_apply_get_describe_and_delete_by_namespace(
    runner: CliRunner, store: Store, tmp_path: Path
) -> None:
    (tmp_path / "app.yaml").write_text(APP)

    applied = _run(runner, "apply", "-f", str(tmp_path / "app.yaml"))
    assert "volume/data -n shop created" in applied
    assert "container/db -n shop created" in applied
    assert "network/default -n shop created" in applied
    assert "volume/data created" in applied

    default = _run(runner, "get", "volumes")
    assert "NAMESPACE" not in default and default.count("data") == 1
    shop = _run(runner, "get", "containers", "-n", "shop")
    assert "db" in shop
    every = _run(runner, "get", "volumes", "-A")
    assert every.splitlines()[0].split()[0] == "NAMESPACE"
    assert {line.split()[0] for line in every.splitlines()[1:]} == {"default", "shop"}
    assert "Namespace:    shop" in _run(runner, "describe", "container/db", "-n", "shop")

    _run(runner, "delete", "volume/data", "-n", "shop")
    shop_data = store.get("Volume", "data", "shop")
    assert shop_data is not None and shop_data.deleting
    default_data = store.get("Volume", "data")
    assert default_data is not None and not default_data.deleting


def test_get_namespaces_counts_by_phase_and_delete_namespace_takes_all(
    runner: CliRunner, store: Store, tmp_path: Path
) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    _run(runner, "apply", "-f", str(tmp_path / "app.yaml"))

    listed = _run(runner, "get", "namespaces")
    header, *rows = listed.splitlines()
    assert header.split()[:3] == ["NAME", "OBJECTS", "PENDING"]
    assert [row.split()[:3] for row in rows] == [["default", "1", "1"], ["shop", "3", "3"]]

    deleted = _run(runner, "delete", "namespace", "shop")

    assert "namespace/shop deleting (3 objects)" in deleted
    assert all(resource.deleting for resource in store.list(namespace="shop"))
    missing = runner.invoke(main.app, ["delete", "namespace", "nothing"])
    assert missing.exit_code == 1


def test_delete_by_file_uses_each_manifests_namespace(
    runner: CliRunner, store: Store, tmp_path: Path
) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    _run(runner, "apply", "-f", str(tmp_path / "app.yaml"))

    output = _run(runner, "delete", "-f", str(tmp_path / "app.yaml"))

    assert "container/db -n shop deleted" in output
    assert "volume/data deleted" in output

"""api.routes.sources on the real app over a SQLite store: the sources list, and the sync route
that nudges the controller (a Manager over the fake runtime, not started)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.manifests.loader import load_text
from dockform.manifests.namespaces import key
from dockform.runtime.fake import FakeRuntime
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from tests.changes import Changes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient

GIT_SOURCE = "apiVersion: dockform/v1\nkind: GitSource\nmetadata: {{name: {name}}}\nspec: {spec}\n"
CONTAINER = (
    "apiVersion: dockform/v1\nkind: Container\nmetadata: {{name: {name}}}\n"
    "spec: {{image: busybox}}\n"
)


@pytest.fixture
def manager(store: Store) -> Manager:
    return Manager(ReconcileContext(store=store, runtime=FakeRuntime()))


@pytest.fixture
def client(store: Store, applier: Applier, manager: Manager) -> Iterator[TestClient]:
    state = AppState(store=store, applier=applier, controller=manager)
    with TestClient(create_app(state)) as test_client:
        yield test_client


def test_sources_list_every_source_with_its_objects(
    applier: Applier, client: TestClient, store: Store
) -> None:
    applier.apply(ApplyRequest(manifests=load_text(CONTAINER.format(name="web"))))
    applier.apply(
        ApplyRequest(
            manifests=load_text(CONTAINER.format(name="db")),
            source="dir:apps/db.yaml",
            revision="abc",
        )
    )
    store.upsert_source("dir:apps/db.yaml", "dir", path="/srv/apps/db.yaml")

    response = client.get("/v1/sources")

    assert response.status_code == 200
    items = {item["name"]: item for item in response.json()["items"]}
    assert items["cli"]["objects"] == ["Container/web"]
    watched = items["dir:apps/db.yaml"]
    assert (watched["type"], watched["path"], watched["revision"]) == (
        "dir",
        "/srv/apps/db.yaml",
        "abc",
    )
    assert watched["objects"] == ["Container/db"]
    assert watched["lastAppliedAt"] is not None and watched["lastError"] is None

    one = client.get("/v1/sources/dir:apps/db.yaml")
    assert one.status_code == 200 and one.json()["name"] == "dir:apps/db.yaml"
    missing = client.get("/v1/sources/dir:nothing.yaml")
    assert missing.status_code == 404 and "not found" in missing.json()["error"]


def test_sync_asks_the_controller_and_answers_202(
    changes: Changes, applier: Applier, client: TestClient, store: Store, manager: Manager
) -> None:
    applier.apply(
        ApplyRequest(manifests=load_text(GIT_SOURCE.format(name="prod", spec="{url: /r}")))
    )
    changes.clear()

    response = client.post("/v1/gitsources/prod/sync")

    assert response.status_code == 202
    assert response.json() == {
        "kind": "GitSource",
        "name": "prod",
        "status": "sync requested",
        "commit": None,
    }
    assert manager.queues["GitSource"].pending() == 1  # queued at once
    assert manager.context.nudges.take(key("GitSource", "prod"))
    assert not manager.context.nudges.take(key("GitSource", "prod"))  # a nudge is taken once
    # Desired state is not written: a nudge is no change.
    assert changes == []
    assert store.get("GitSource", "prod").resource_version == 1  # type: ignore[union-attr]


def test_sync_without_a_controller_is_503(applier: Applier, store: Store) -> None:
    applier.apply(
        ApplyRequest(manifests=load_text(GIT_SOURCE.format(name="prod", spec="{url: /r}")))
    )
    with TestClient(create_app(AppState(store=store, applier=applier))) as client:
        response = client.post("/v1/gitsources/prod/sync")
    assert response.status_code == 503
    assert "controller is not running" in response.json()["error"]


def test_sync_of_an_unknown_or_suspended_gitsource_is_refused(
    applier: Applier, client: TestClient, store: Store
) -> None:
    missing = client.post("/v1/gitsources/nope/sync")
    assert missing.status_code == 404
    assert missing.json()["error"] == "GitSource/nope not found"

    spec = "{url: /r, suspend: true}"
    applier.apply(ApplyRequest(manifests=load_text(GIT_SOURCE.format(name="held", spec=spec))))
    suspended = client.post("/v1/gitsources/held/sync")
    assert suspended.status_code == 409
    assert "suspended" in suspended.json()["error"]

    assert client.post("/v1/gitsources/Not_A_Name/sync").status_code == 422

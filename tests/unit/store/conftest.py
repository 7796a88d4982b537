"""Fixtures for store tests: a migrated SQLite store in tmp_path, its Applier (recording what it
tells the controller), and manifest factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dockform.manifests.loader import LoadedManifest
from dockform.manifests.models import KIND_MODELS
from dockform.store.db import create_engine_for
from dockform.store.migrate import upgrade_to_head
from dockform.store.repository import Store
from tests.postgres import Cluster

MakeManifest = Callable[..., LoadedManifest]


def make_manifest(
    kind: str,
    name: str,
    spec: dict[str, Any] | None = None,
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    resource_version: int | None = None,
    line: int = 1,
    namespace: str | None = None,
) -> LoadedManifest:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    if resource_version is not None:
        metadata["resourceVersion"] = resource_version
    document = {"apiVersion": "dockform/v1", "kind": kind, "metadata": metadata}
    if spec is not None or kind in ("Container", "Image", "GitSource"):
        document["spec"] = spec if spec is not None else _default_spec(kind)
    return LoadedManifest(
        manifest=KIND_MODELS[kind].model_validate(document),
        file="test.yaml",
        document=1,
        line=line,
    )


def _default_spec(kind: str) -> dict[str, Any]:
    defaults: dict[str, dict[str, Any]] = {
        "Container": {"image": "busybox:test"},
        "Image": {"ref": "busybox:test", "pull": {}},
        "GitSource": {"url": "https://127.0.0.1/repo.git"},
    }
    return defaults[kind]


@pytest.fixture
def manifest() -> MakeManifest:
    return make_manifest


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs on both stores: a SQLite file, and a new database of the run's
    own PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dockform.db'}"
    cluster: Cluster = request.getfixturevalue("postgres")
    return cluster.create_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    upgrade_to_head(db_url)
    opened = Store(create_engine_for(db_url))
    yield opened
    opened.close()

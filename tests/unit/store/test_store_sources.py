"""Source records: upsert semantics, objects filled on read, deletion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete

from dockform.manifests.loader import LoadedManifest
from dockform.manifests.namespaces import key
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.orm import SourceRow
from dockform.store.repository import Store
from tests.changes import Changes

MakeManifest = Callable[..., LoadedManifest]


def test_upsert_creates_then_updates_keeping_what_is_not_given(store: Store) -> None:
    applied = datetime(2024, 3, 1, 8, 30, tzinfo=UTC)

    created = store.upsert_source(
        "dir:apps/web.yaml",
        "dir",
        path="/srv/apps/web.yaml",
        revision="h1",
        last_applied_at=applied,
    )
    failed = store.upsert_source("dir:apps/web.yaml", "dir", last_error="line 3: bad indent")

    assert (created.type, created.path, created.revision) == ("dir", "/srv/apps/web.yaml", "h1")
    assert created.last_applied_at == applied
    # An error keeps the record of the last good apply.
    assert (failed.path, failed.revision, failed.last_applied_at) == (
        "/srv/apps/web.yaml",
        "h1",
        applied,
    )
    assert failed.last_error == "line 3: bad indent"
    assert failed.updated_at is not None and created.updated_at is not None
    assert failed.updated_at >= created.updated_at

    fixed = store.upsert_source("dir:apps/web.yaml", "dir", revision="h2")
    assert (fixed.revision, fixed.last_error) == ("h2", None)
    assert store.get_source("dir:apps/web.yaml") == fixed


def test_type_defaults_to_the_prefix_of_the_name(store: Store) -> None:
    assert store.upsert_source("git:prod").type == "git"
    assert store.upsert_source("cli").type == "cli"


def test_list_sources_fills_objects_and_includes_owners_without_a_record(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(
        ApplyRequest([manifest("Volume", "data"), manifest("Network", "net")], source="git:prod"),
    )
    store.upsert_source("dir:empty.yaml")
    applier.apply(ApplyRequest([manifest("Volume", "scratch")]))
    with store.write_session(resources=False) as session:  # only the record goes
        session.execute(delete(SourceRow).where(SourceRow.name == "cli"))

    sources = {record.name: record for record in store.list_sources()}

    assert sorted(sources) == ["cli", "dir:empty.yaml", "git:prod"]
    assert sources["git:prod"].objects == ["Network/net", "Volume/data"]
    assert sources["dir:empty.yaml"].objects == []
    assert (sources["cli"].type, sources["cli"].objects) == ("cli", ["Volume/scratch"])
    assert sources["cli"].last_applied_at is None


def test_forget_source_deletes_its_objects_and_record_in_one_write(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(
        ApplyRequest(
            [manifest("Volume", "data"), manifest("Network", "net")],
            source="git:prod",
            source_path="https://example.test/repo.git",
        )
    )
    applier.apply(ApplyRequest([manifest("Volume", "other")], source="git:other"))
    changes.clear()
    version = store.data_version

    results = applier.forget_source("git:prod")

    assert [(r.kind, r.name, r.action) for r in results] == [
        ("Network", "net", "pruned"),
        ("Volume", "data", "pruned"),
    ]
    assert changes.calls == [[key("Network", "net"), key("Volume", "data")]]
    assert store.data_version == version + 1  # one write transaction
    assert store.get("Volume", "data").deleting  # type: ignore[union-attr]
    assert not store.get("Volume", "other").deleting  # type: ignore[union-attr]
    # The record is gone; the source is only implied by its objects until they are removed.
    implied = store.get_source("git:prod")
    assert implied is not None and implied.path is None and implied.last_applied_at is None
    assert applier.forget_source("git:prod") == []
    assert changes.calls == [[key("Network", "net"), key("Volume", "data")]]  # nothing new changed
    assert store.get_source("git:nothing") is None

"""store.apply.Applier: created / configured / unchanged / pruned, ownership, versions, all or
nothing, and what it tells on_change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dockform.manifests.hashing import manifest_spec, spec_hash
from dockform.manifests.loader import LoadedManifest
from dockform.manifests.namespaces import key
from dockform.store.apply import Applier, ApplyRequest, ObjectResult
from dockform.store.db import create_engine_for
from dockform.store.errors import (
    Conflict,
    DependencyCycle,
    DuplicateObject,
    OwnershipConflict,
    PruneRefused,
    StaleResourceVersion,
    StoreUnavailable,
)
from dockform.store.orm import ResourceRow, utcnow
from dockform.store.repository import Store
from tests.changes import Changes

MakeManifest = Callable[..., LoadedManifest]


def _actions(results: list[ObjectResult]) -> list[tuple[str, str, str]]:
    return [(result.kind, result.name, result.action) for result in results]


def _container(
    manifest: MakeManifest, name: str, image: str = "busybox:test", **kw: object
) -> LoadedManifest:
    return manifest("Container", name, {"image": image}, **kw)


def test_create_stores_spec_hash_generation_version_and_a_revision(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    web = _container(manifest, "web", labels={"app": "shop"}, annotations={"note": "x"})

    results = applier.apply(ApplyRequest([web], source="git:prod"))

    spec = manifest_spec(web.manifest)
    assert results == [
        ObjectResult("Container", "web", "created", 1, None, spec, resource_version=1)
    ]
    stored = store.get("Container", "web")
    assert stored is not None
    assert stored.spec == spec
    assert stored.spec_hash == spec_hash("Container", spec)
    assert (stored.generation, stored.resource_version) == (1, 1)
    assert stored.source == "git:prod"
    assert stored.labels == {"app": "shop"}
    assert stored.annotations == {"note": "x"}
    assert stored.created_at.tzinfo is not None
    assert [(r.generation, r.spec, r.source) for r in store.list_revisions("Container", "web")] == [
        (1, spec, "git:prod")
    ]
    assert changes == [key("Container", "web")]


def test_reapplying_the_same_manifest_is_unchanged_and_writes_nothing(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(ApplyRequest([_container(manifest, "web", labels={"a": "b"})]))
    before = store.get("Container", "web")
    changes.clear()

    results = applier.apply(ApplyRequest([_container(manifest, "web", labels={"a": "b"})]))

    after = store.get("Container", "web")
    assert _actions(results) == [("Container", "web", "unchanged")]
    assert results[0].old_spec == results[0].new_spec
    assert before is not None and after is not None
    assert after.resource_version == before.resource_version == 1
    assert after.updated_at == before.updated_at
    assert len(store.list_revisions("Container", "web")) == 1
    assert changes == []


def test_a_default_written_out_is_the_same_spec(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_container(manifest, "web")]))

    explicit = manifest("Container", "web", {"image": "busybox:test", "restartPolicy": "Always"})
    results = applier.apply(ApplyRequest([explicit]))

    assert _actions(results) == [("Container", "web", "unchanged")]


def test_spec_change_bumps_generation_and_version_and_adds_a_revision(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(ApplyRequest([_container(manifest, "web", image="busybox:1")]))
    changes.clear()

    results = applier.apply(ApplyRequest([_container(manifest, "web", image="busybox:2")]))

    assert _actions(results) == [("Container", "web", "configured")]
    assert results[0].old_spec is not None and results[0].old_spec["image"] == "busybox:1"
    assert results[0].new_spec is not None and results[0].new_spec["image"] == "busybox:2"
    stored = store.get("Container", "web")
    assert stored is not None
    assert (stored.generation, stored.resource_version) == (2, 2)
    assert stored.spec["image"] == "busybox:2"
    revisions = store.list_revisions("Container", "web")
    assert [(r.generation, r.spec["image"]) for r in revisions] == [
        (1, "busybox:1"),
        (2, "busybox:2"),
    ]
    assert changes == [key("Container", "web")]


@pytest.mark.parametrize(
    "change",
    [{"labels": {"tier": "front"}}, {"annotations": {"owner": "ops"}}],
)
def test_metadata_change_bumps_only_the_version(
    applier: Applier,
    store: Store,
    manifest: MakeManifest,
    changes: Changes,
    change: dict[str, dict[str, str]],
) -> None:
    applier.apply(ApplyRequest([_container(manifest, "web")]))
    changes.clear()

    results = applier.apply(
        ApplyRequest([manifest("Container", "web", {"image": "busybox:test"}, **change)])
    )

    stored = store.get("Container", "web")
    assert stored is not None
    assert _actions(results) == [("Container", "web", "configured")]
    assert (stored.generation, stored.resource_version) == (1, 2)
    assert len(store.list_revisions("Container", "web")) == 1
    assert changes == [key("Container", "web")]


def test_object_owned_by_another_source_is_a_conflict_unless_forced(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_container(manifest, "web")], source="git:prod"))

    # Exactly what the owner applied: unchanged, no conflict, and the owner stays.
    same = applier.apply(ApplyRequest([_container(manifest, "web")], source="cli"))
    assert _actions(same) == [("Container", "web", "unchanged")]
    assert store.get("Container", "web").source == "git:prod"  # type: ignore[union-attr]

    changed = _container(manifest, "web", image="busybox:2")
    with pytest.raises(OwnershipConflict) as refused:
        applier.apply(ApplyRequest([changed], source="cli"))
    assert isinstance(refused.value, Conflict)
    assert "git:prod" in str(refused.value) and "--force" in str(refused.value)

    results = applier.apply(ApplyRequest([changed], source="cli", force=True))

    stored = store.get("Container", "web")
    assert stored is not None
    assert _actions(results) == [("Container", "web", "configured")]
    assert stored.source == "cli"
    assert (stored.generation, stored.resource_version) == (2, 2)


def test_stale_resource_version_is_refused(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_container(manifest, "web", image="busybox:1")]))
    applier.apply(ApplyRequest([_container(manifest, "web", image="busybox:2")]))

    with pytest.raises(StaleResourceVersion) as refused:
        applier.apply(ApplyRequest([_container(manifest, "web", image="x:3", resource_version=1)]))
    assert (refused.value.expected, refused.value.actual) == (1, 2)

    results = applier.apply(
        ApplyRequest([_container(manifest, "web", image="x:3", resource_version=2)])
    )
    assert _actions(results) == [("Container", "web", "configured")]


def test_resource_version_zero_means_create_only(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    created = applier.apply(ApplyRequest([_container(manifest, "web", resource_version=0)]))
    assert _actions(created) == [("Container", "web", "created")]

    with pytest.raises(StaleResourceVersion):
        applier.apply(ApplyRequest([_container(manifest, "web", resource_version=0)]))
    with pytest.raises(StaleResourceVersion):
        applier.apply(ApplyRequest([_container(manifest, "db", resource_version=3)]))


def test_a_conflict_in_the_middle_of_a_batch_writes_nothing(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(ApplyRequest([manifest("Network", "taken")], source="git:other"))
    changes.clear()
    batch = [
        manifest("Network", "first"),
        manifest("Network", "taken", labels={"changed": "yes"}),
        manifest("Volume", "last"),
    ]

    with pytest.raises(OwnershipConflict):
        applier.apply(ApplyRequest(batch, source="cli"))

    assert store.keys() == [key("Network", "taken")]
    assert store.list_revisions("Network", "first") == []
    assert store.get_source("cli") is None
    assert changes == []


def test_prune_deletes_the_sources_objects_missing_from_the_new_set(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(
        ApplyRequest(
            [manifest("Network", "net"), manifest("Volume", "data"), _container(manifest, "web")],
            source="git:prod",
        ),
    )
    applier.apply(ApplyRequest([manifest("Volume", "mine")], source="cli"))
    changes.clear()

    results = applier.apply(
        ApplyRequest([_container(manifest, "web")], source="git:prod", prune=True)
    )

    assert _actions(results) == [
        ("Container", "web", "unchanged"),
        ("Network", "net", "pruned"),
        ("Volume", "data", "pruned"),
    ]
    assert results[1].new_spec is None
    assert results[1].old_spec == manifest_spec(manifest("Network", "net").manifest)
    net = store.get("Network", "net")
    assert net is not None and net.deleting and net.resource_version == 2
    mine = store.get("Volume", "mine")
    assert mine is not None and not mine.deleting
    assert sorted(changes) == [key("Network", "net"), key("Volume", "data")]

    again = applier.apply(
        ApplyRequest([_container(manifest, "web")], source="git:prod", prune=True)
    )
    assert _actions(again) == [("Container", "web", "unchanged")]


def test_prune_to_an_empty_set_needs_allow_empty(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([manifest("Network", "net")], source="dir:app.yaml"))

    with pytest.raises(PruneRefused) as refused:
        applier.apply(ApplyRequest([], source="dir:app.yaml", prune=True))
    assert "--allow-empty" in str(refused.value)
    stored = store.get("Network", "net")
    assert stored is not None and not stored.deleting

    results = applier.apply(ApplyRequest([], source="dir:app.yaml", prune=True, allow_empty=True))
    assert _actions(results) == [("Network", "net", "pruned")]


def test_empty_prune_of_a_source_with_nothing_is_fine(applier: Applier, store: Store) -> None:
    assert applier.apply(ApplyRequest([], source="git:new", prune=True)) == []


def test_reapplying_a_pruned_object_cancels_its_deletion(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([manifest("Network", "net"), manifest("Network", "keep")]))
    applier.apply(ApplyRequest([manifest("Network", "keep")], prune=True))

    results = applier.apply(ApplyRequest([manifest("Network", "net")]))

    stored = store.get("Network", "net")
    assert _actions(results) == [("Network", "net", "configured")]
    assert stored is not None and not stored.deleting
    assert (stored.generation, stored.resource_version) == (1, 3)


def test_dry_run_reports_the_same_results_and_writes_nothing(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(ApplyRequest([manifest("Network", "old"), _container(manifest, "web")]))
    changes.clear()
    request = ApplyRequest(
        [_container(manifest, "web", image="busybox:2"), manifest("Volume", "data")],
        prune=True,
        dry_run=True,
    )

    dry = applier.apply(request)

    assert _actions(dry) == [
        ("Container", "web", "configured"),
        ("Volume", "data", "created"),
        ("Network", "old", "pruned"),
    ]
    assert store.keys() == [key("Container", "web"), key("Network", "old")]
    web = store.get("Container", "web")
    assert web is not None and web.spec["image"] == "busybox:test" and web.resource_version == 1
    old = store.get("Network", "old")
    assert old is not None and not old.deleting
    assert len(store.list_revisions("Container", "web")) == 1
    assert changes == []

    request.dry_run = False
    assert applier.apply(request) == dry


def test_dry_run_raises_the_same_conflicts(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([manifest("Network", "net")], source="git:a"))

    with pytest.raises(OwnershipConflict):
        applier.apply(
            ApplyRequest(
                [manifest("Network", "net", {"internal": True})], source="git:b", dry_run=True
            ),
        )


def test_results_follow_input_order_then_pruned(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([manifest("Volume", "gone")]))
    batch = [manifest("Volume", "z"), _container(manifest, "a"), manifest("Network", "m")]

    results = applier.apply(ApplyRequest(batch, prune=True))

    assert [result.name for result in results] == ["z", "a", "m", "gone"]


def test_the_same_object_twice_in_one_apply_is_refused(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    batch = [manifest("Network", "net", line=1), manifest("Network", "net", line=9)]

    with pytest.raises(DuplicateObject) as refused:
        applier.apply(ApplyRequest(batch))

    assert "test.yaml:1" in str(refused.value) and "test.yaml:9" in str(refused.value)
    assert store.keys() == []


def test_apply_records_its_source(applier: Applier, store: Store, manifest: MakeManifest) -> None:
    applier.apply(ApplyRequest([manifest("Network", "net")], source="git:prod", revision="abc123"))

    record = store.get_source("git:prod")

    assert record is not None
    assert (record.type, record.revision, record.objects) == ("git", "abc123", ["Network/net"])
    assert record.last_applied_at is not None and record.last_error is None


def test_dry_run_records_no_source(applier: Applier, store: Store, manifest: MakeManifest) -> None:
    applier.apply(ApplyRequest([manifest("Network", "net")], source="git:prod", dry_run=True))

    assert store.get_source("git:prod") is None
    assert store.list_sources() == []


def test_recreating_a_removed_object_continues_its_revision_history(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_container(manifest, "web", image="busybox:1")]))
    applier.apply(ApplyRequest([_container(manifest, "web", image="busybox:2")]))
    applier.request_deletion("Container", "web")
    store.remove("Container", "web")

    results = applier.apply(ApplyRequest([_container(manifest, "web", image="busybox:3")]))

    assert _actions(results) == [("Container", "web", "created")]
    assert results[0].generation == 3
    assert [r.generation for r in store.list_revisions("Container", "web")] == [1, 2, 3]


def test_on_change_hears_each_committed_write_once_with_exactly_the_changed_keys(
    applier: Applier, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(ApplyRequest([manifest("Volume", "same"), manifest("Volume", "edit")]))
    applier.apply(ApplyRequest([manifest("Volume", "gone")], source="git:prod"))
    changes.clear()

    applier.apply(
        ApplyRequest(
            [
                manifest("Volume", "same"),
                manifest("Volume", "edit", labels={"a": "b"}),
                manifest("Volume", "new"),
            ]
        )
    )
    applier.apply(ApplyRequest([], source="git:prod", prune=True, allow_empty=True))

    assert changes.calls == [
        [key("Volume", "edit"), key("Volume", "new")],
        [key("Volume", "gone")],
    ]


def test_on_change_hears_nothing_of_dry_runs_unchanged_sets_or_refusals(
    applier: Applier, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(ApplyRequest([manifest("Volume", "data")]))
    changes.clear()

    applier.apply(
        ApplyRequest([manifest("Volume", "data"), manifest("Volume", "new")], dry_run=True)
    )
    applier.apply(ApplyRequest([manifest("Volume", "data")]))
    applier.apply(ApplyRequest([manifest("Volume", "new")], source="cli", dry_run=True, prune=True))
    with pytest.raises(PruneRefused):
        applier.apply(ApplyRequest([], prune=True))

    assert changes.calls == []


def test_refresh_counts_an_unchanged_object_as_changed_when_the_write_commits(
    applier: Applier, manifest: MakeManifest, changes: Changes
) -> None:
    image = manifest("Image", "app")
    applier.apply(ApplyRequest([image, manifest("Volume", "data")], source="git:prod"))
    changes.clear()

    refresh = [key("Image", "app"), key("Image", "not-in-this-apply")]
    applier.apply(
        ApplyRequest(
            [image, manifest("Volume", "data")], source="git:prod", dry_run=True, refresh=refresh
        )
    )
    results = applier.apply(
        ApplyRequest([image, manifest("Volume", "data")], source="git:prod", refresh=refresh)
    )

    assert _actions(results) == [("Image", "app", "unchanged"), ("Volume", "data", "unchanged")]
    assert changes.calls == [[key("Image", "app")]]


def test_the_source_path_is_recorded_with_the_apply(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(
        ApplyRequest(
            [manifest("Network", "net")],
            source="dir:app.yaml",
            revision="d1",
            source_path="/srv/app.yaml",
        )
    )
    record = store.get_source("dir:app.yaml")
    assert record is not None
    assert (record.type, record.path, record.revision) == ("dir", "/srv/app.yaml", "d1")

    applier.apply(ApplyRequest([manifest("Network", "net")], source="dir:app.yaml", revision="d2"))
    again = store.get_source("dir:app.yaml")
    assert again is not None and (again.path, again.revision) == ("/srv/app.yaml", "d2")


def test_a_failing_database_is_store_unavailable_and_tells_nobody(
    tmp_path: Path, manifest: MakeManifest, changes: Changes
) -> None:
    broken = Store(create_engine_for(f"sqlite:///{tmp_path}/missing/dir/dockform.db"))
    applier = Applier(broken, on_change=changes)
    try:
        with pytest.raises(StoreUnavailable, match="unable to open database file"):
            applier.apply(ApplyRequest([manifest("Volume", "data")]))
        with pytest.raises(StoreUnavailable):
            applier.request_deletion("Volume", "data")
        with pytest.raises(StoreUnavailable):
            applier.forget_source("dir:app.yaml")
        with pytest.raises(StoreUnavailable):
            broken.get("Volume", "data")
    finally:
        broken.close()
    assert changes.calls == []


# --- dependency cycles ---------------------------------------------------------------------------


def _depends(manifest: MakeManifest, name: str, *on: str, line: int = 1) -> LoadedManifest:
    spec = {"image": "busybox:test", "dependsOn": [{"name": other} for other in on]}
    return manifest("Container", name, spec, line=line)


def test_a_container_that_depends_on_itself_is_refused(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    with pytest.raises(DependencyCycle) as caught:
        applier.apply(ApplyRequest([_depends(manifest, "web", "db", "web", line=4)]))

    assert str(caught.value) == (
        "dependency cycle: Container/web -> Container/web; nothing was applied: remove one of"
        " its dependsOn entries (test.yaml:4 (Container/web) spec.dependsOn[1])"
    )
    (issue,) = caught.value.issues
    assert str(issue) == (
        "test.yaml:4: document 1 (Container/web): spec.dependsOn[1]:"
        " dependency cycle: Container/web -> Container/web"
    )
    assert store.get("Container", "web") is None
    assert changes == []


def test_a_cycle_within_one_apply_is_refused_and_names_every_entry(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    a = _depends(manifest, "a", "b", line=1)
    b = _depends(manifest, "b", "c", line=8)
    c = _depends(manifest, "c", "a", line=15)
    with pytest.raises(DependencyCycle) as caught:
        applier.apply(ApplyRequest([a, b, c]))

    assert str(caught.value) == (
        "dependency cycle: Container/a -> Container/b -> Container/c -> Container/a; nothing was"
        " applied: remove one of its dependsOn entries (test.yaml:1 (Container/a)"
        " spec.dependsOn[0], test.yaml:8 (Container/b) spec.dependsOn[0], test.yaml:15"
        " (Container/c) spec.dependsOn[0])"
    )
    assert store.list("Container") == []


def test_a_cycle_with_a_stored_container_is_refused(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_depends(manifest, "a", "b")], source="git:one"))

    with pytest.raises(DependencyCycle) as caught:
        applier.apply(ApplyRequest([_depends(manifest, "b", "a", line=3)], source="git:two"))

    assert str(caught.value) == (
        "dependency cycle: Container/b -> Container/a -> Container/b; nothing was applied:"
        " remove one of its dependsOn entries (test.yaml:3 (Container/b) spec.dependsOn[0])"
    )
    assert store.get("Container", "b") is None


def test_a_dry_run_refuses_a_cycle_too(applier: Applier, manifest: MakeManifest) -> None:
    with pytest.raises(DependencyCycle):
        applier.apply(ApplyRequest([_depends(manifest, "a", "a")], dry_run=True))


def test_replacing_the_stored_edge_breaks_the_cycle(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_depends(manifest, "a", "b"), _depends(manifest, "b")]))

    # a no longer depends on b in the same apply that makes b depend on a.
    results = applier.apply(ApplyRequest([_depends(manifest, "a"), _depends(manifest, "b", "a")]))

    assert _actions(results) == [
        ("Container", "a", "configured"),
        ("Container", "b", "configured"),
    ]
    # dependsOn is outside the spec hash, but its change is stored, with a new generation.
    stored = store.get("Container", "a")
    assert stored is not None
    assert (stored.spec["dependsOn"], stored.generation) == ([], 2)


def test_containers_being_deleted_or_pruned_close_no_cycle(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_depends(manifest, "a", "b")], source="git:one"))
    applier.apply(ApplyRequest([_depends(manifest, "x", "y")], source="git:two"))
    applier.request_deletion("Container", "a")

    applier.apply(ApplyRequest([_depends(manifest, "b", "a")], source="git:three"))
    # git:two prunes x while applying y -> x.
    results = applier.apply(
        ApplyRequest([_depends(manifest, "y", "x")], source="git:two", prune=True)
    )

    assert _actions(results) == [("Container", "y", "created"), ("Container", "x", "pruned")]


def test_a_cycle_already_stored_does_not_block_unrelated_applies(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    # Stored before cycles were refused: written straight into the store.
    with store.write_session() as session:
        for name, other in (("a", "b"), ("b", "a")):
            item = _depends(manifest, name, other)
            spec = manifest_spec(item.manifest)
            session.add(
                ResourceRow(
                    kind="Container",
                    name=name,
                    spec=spec,
                    spec_hash=spec_hash("Container", spec),
                    labels={},
                    annotations={},
                    generation=1,
                    resource_version=1,
                    source="cli",
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )

    results = applier.apply(ApplyRequest([_depends(manifest, "c", "a")]))

    assert _actions(results) == [("Container", "c", "created")]


def test_a_stored_container_that_gains_a_dependency_closing_a_cycle_is_refused(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_depends(manifest, "a", "b"), _depends(manifest, "b")]))

    with pytest.raises(DependencyCycle):
        applier.apply(ApplyRequest([_depends(manifest, "b", "a")]))

    stored = store.get("Container", "b")
    assert stored is not None and stored.spec["dependsOn"] == []


def test_an_unchanged_apply_keeps_the_stored_hash_and_checks_no_cycle(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    """Only an added dependency can close a circle: re-applying what is stored reads none."""
    items = [_depends(manifest, "a", "b"), _depends(manifest, "b")]
    applier.apply(ApplyRequest(items))
    before = store.get("Container", "a")

    results = applier.apply(ApplyRequest(items))

    assert _actions(results) == [
        ("Container", "a", "unchanged"),
        ("Container", "b", "unchanged"),
    ]
    after = store.get("Container", "a")
    assert before is not None and after is not None
    assert after.spec_hash == before.spec_hash == spec_hash("Container", before.spec)


def test_a_cycle_across_containers_and_jobs_is_refused(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    """A Job waiting for a Container that waits for the Job (issue 12)."""
    job_spec = {"image": "busybox:test", "dependsOn": [{"name": "web"}]}
    applier.apply(ApplyRequest([manifest("Job", "migrate", job_spec)], source="git:one"))
    web_spec = {"image": "busybox:test", "dependsOn": [{"name": "migrate", "kind": "Job"}]}

    with pytest.raises(DependencyCycle) as caught:
        applier.apply(ApplyRequest([manifest("Container", "web", web_spec, line=5)]))

    assert str(caught.value).startswith(
        "dependency cycle: Container/web -> Job/migrate -> Container/web; nothing was applied"
    )
    assert store.get("Container", "web") is None


def test_a_cycle_runs_within_one_namespace_across_kinds(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    """dependsOn resolves in the object's own namespace: shop's web waits for shop's Job, and
    default's Job waiting for default's web closes no cycle with them; within shop it does."""
    web_spec = {"image": "busybox:test", "dependsOn": [{"name": "seed", "kind": "Job"}]}
    seed_spec = {"image": "busybox:test", "dependsOn": [{"name": "web"}]}
    applier.apply(
        ApplyRequest(
            [
                manifest("Job", "seed", {"image": "busybox:test"}, namespace="shop"),
                manifest("Container", "web", web_spec, namespace="shop"),
                manifest("Job", "seed", seed_spec),
                manifest("Container", "web", {"image": "busybox:test"}),
            ]
        )
    )
    assert store.get("Job", "seed") is not None

    with pytest.raises(DependencyCycle) as caught:
        applier.apply(ApplyRequest([manifest("Job", "seed", seed_spec, namespace="shop")]))
    assert str(caught.value).startswith(
        "dependency cycle: Job/shop/seed -> Container/shop/web -> Job/shop/seed"
    )

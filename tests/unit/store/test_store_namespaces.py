"""Namespaces in the store: objects keyed by (kind, namespace, name), engine names that never
collide, a namespace's implicit network (owned by the system source), deleting a namespace,
and prune per source across namespaces."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dockform.manifests.hashing import spec_hash
from dockform.manifests.loader import LoadedManifest, load_text
from dockform.manifests.namespaces import SYSTEM_SOURCE, key
from dockform.store.apply import Applier, ApplyRequest, ObjectResult
from dockform.store.errors import EngineNameConflict, NotFound
from dockform.store.repository import Store
from dockform.store.types import ResourceStatus
from tests.changes import Changes

MakeManifest = Callable[..., LoadedManifest]


def _actions(results: list[ObjectResult]) -> list[tuple[str, str, str, str]]:
    return [(r.kind, r.namespace, r.name, r.action) for r in results]


@pytest.fixture
def changes() -> Changes:
    return Changes()


@pytest.fixture
def applier(store: Store, changes: Changes) -> Applier:
    return Applier(store, on_change=changes)


def test_two_namespaces_each_hold_a_db(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(
        ApplyRequest(
            [
                manifest("Volume", "db", namespace="shop"),
                manifest("Volume", "db", namespace="blog"),
                manifest("Volume", "db"),
            ]
        )
    )

    assert [k for k in store.keys() if k.kind == "Volume"] == [  # noqa: SIM118 - not a mapping
        key("Volume", "db", "blog"),
        key("Volume", "db", "default"),
        key("Volume", "db", "shop"),
    ]
    shop = store.get("Volume", "db", "shop")
    assert shop is not None and shop.engine_name == "shop_db"
    default = store.get("Volume", "db")
    assert default is not None and default.engine_name == "db"
    assert [r.namespace for r in store.list("Volume", namespace="blog")] == ["blog"]
    assert [r.namespace for r in store.list_revisions("Volume", "db", "shop")] == ["shop"]


def test_names_take_what_compose_takes(manifest: MakeManifest) -> None:
    loaded = manifest("Volume", "my_app.data", namespace="my-project_1")
    assert (loaded.namespace, loaded.name) == ("my-project_1", "my_app.data")


def test_a_default_namespace_spec_hash_does_not_change(manifest: MakeManifest) -> None:
    # Pinned: a Container applied before namespaces existed must hash the same after, or
    # every running container would be replaced on upgrade.
    spec = {"image": "busybox:test", "command": ["sleep", "1"], "networks": ["back"]}
    before = spec_hash("Container", manifest("Container", "web", spec).manifest.spec.dump())
    # What the release before namespaces computed for this spec.
    assert before == "9992f63e5ea4171dc5ccc839436cb7391484a9ffc88db4c0f248824e2295254e"
    explicit = manifest("Container", "web", spec, namespace="default").manifest.spec.dump()
    other = manifest("Container", "web", spec, namespace="shop").manifest.spec.dump()
    assert spec_hash("Container", explicit) == before == spec_hash("Container", other)


def test_two_objects_of_one_engine_name_are_refused_naming_both(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([manifest("Volume", "shop_db")]))

    with pytest.raises(EngineNameConflict) as raised:
        applier.apply(ApplyRequest([manifest("Volume", "db", namespace="shop")]))

    assert "Volume/shop_db" in str(raised.value)
    assert "Volume/shop/db" in str(raised.value)
    assert "'shop_db'" in str(raised.value)
    assert store.get("Volume", "db", "shop") is None


def test_an_engine_name_clash_within_one_apply_is_refused(
    applier: Applier, manifest: MakeManifest
) -> None:
    with pytest.raises(EngineNameConflict):
        applier.apply(
            ApplyRequest(
                [
                    manifest("Network", "a_b", namespace="x"),
                    manifest("Network", "b", namespace="x_a"),
                ]
            )
        )


def test_images_of_two_namespaces_may_not_share_a_ref(
    applier: Applier, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([manifest("Image", "app", {"ref": "app:1", "pull": {}})]))
    # The same namespace may (as before namespaces).
    applier.apply(ApplyRequest([manifest("Image", "app2", {"ref": "app:1", "pull": {}})]))

    with pytest.raises(EngineNameConflict, match="Image/shop/app"):
        applier.apply(
            ApplyRequest([manifest("Image", "app", {"ref": "app:1", "pull": {}}, namespace="shop")])
        )


def test_a_namespace_whose_containers_name_no_network_gets_a_default_one(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    results = applier.apply(
        ApplyRequest(
            [
                manifest("Container", "db", namespace="shop"),
                manifest("Container", "web", namespace="shop"),
            ],
            source="dir:shop.yaml",
        )
    )

    assert _actions(results) == [
        ("Container", "shop", "db", "created"),
        ("Container", "shop", "web", "created"),
        ("Network", "shop", "default", "created"),
    ]
    network = store.get("Network", "default", "shop")
    assert network is not None and network.source == SYSTEM_SOURCE
    assert network.engine_name == "shop_default"
    assert key("Network", "default", "shop") in changes.calls[-1]
    # The default namespace keeps today's behaviour: no implicit network.
    applier.apply(ApplyRequest([manifest("Container", "solo")]))
    assert store.get("Network", "default") is None


def test_the_implicit_network_goes_when_no_container_needs_it(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(
        ApplyRequest([manifest("Container", "db", namespace="shop")], source="dir:a.yaml")
    )
    applier.apply(
        ApplyRequest(
            [
                manifest("Network", "back", namespace="shop"),
                manifest("Container", "db", {"image": "x", "networks": ["back"]}, namespace="shop"),
            ],
            source="dir:a.yaml",
        )
    )

    network = store.get("Network", "default", "shop")
    assert network is not None and network.deleting


def test_prune_of_one_source_leaves_the_implicit_network_to_another(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(
        ApplyRequest([manifest("Container", "db", namespace="shop")], source="dir:db.yaml")
    )
    applier.apply(
        ApplyRequest([manifest("Container", "web", namespace="shop")], source="dir:web.yaml")
    )

    results = applier.forget_source("dir:db.yaml")

    assert _actions(results) == [("Container", "shop", "db", "pruned")]
    network = store.get("Network", "default", "shop")
    assert network is not None and not network.deleting
    results = applier.forget_source("dir:web.yaml")
    assert _actions(results) == [
        ("Container", "shop", "web", "pruned"),
        ("Network", "shop", "default", "pruned"),
    ]


def test_prune_takes_exactly_the_sources_objects_in_every_namespace(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(
        ApplyRequest(
            [manifest("Volume", "data", namespace="a"), manifest("Volume", "data", namespace="b")],
            source="git:app",
        )
    )
    applier.apply(ApplyRequest([manifest("Volume", "data", namespace="c")], source="cli"))

    results = applier.apply(
        ApplyRequest([manifest("Volume", "data", namespace="b")], source="git:app", prune=True)
    )

    assert _actions(results) == [
        ("Volume", "b", "data", "unchanged"),
        ("Volume", "a", "data", "pruned"),
    ]
    c = store.get("Volume", "data", "c")
    assert c is not None and not c.deleting


def test_dependson_resolves_within_the_namespace_for_cycles(
    applier: Applier, manifest: MakeManifest
) -> None:
    # a -> b in one namespace and b -> a in another is no cycle.
    applier.apply(
        ApplyRequest(
            [
                manifest(
                    "Container", "a", {"image": "x", "dependsOn": [{"name": "b"}]}, namespace="one"
                ),
                manifest(
                    "Container", "b", {"image": "x", "dependsOn": [{"name": "a"}]}, namespace="two"
                ),
            ]
        )
    )


def test_delete_namespace_marks_every_object_of_every_source(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(
        ApplyRequest([manifest("Container", "db", namespace="shop")], source="dir:a.yaml")
    )
    applier.apply(ApplyRequest([manifest("Volume", "data", namespace="shop")], source="cli"))
    applier.apply(ApplyRequest([manifest("Volume", "data")], source="cli"))

    results = applier.delete_namespace("shop")

    assert sorted((r.kind, r.name) for r in results) == [
        ("Container", "db"),
        ("Network", "default"),
        ("Volume", "data"),
    ]
    assert all(resource.deleting for resource in store.list(namespace="shop"))
    kept = store.get("Volume", "data")
    assert kept is not None and not kept.deleting
    with pytest.raises(NotFound, match="Namespace/nothing"):
        applier.delete_namespace("nothing")


def test_namespaces_count_their_objects_by_phase(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(
        ApplyRequest(
            load_text(
                "apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: a, namespace: shop}\n"
                "---\napiVersion: dockform/v1\nkind: Volume\nmetadata: {name: b}\n"
            )
        )
    )
    store.write_status("Volume", "a", ResourceStatus(phase="Ready"), "shop")

    summary = {ns.name: (ns.objects, ns.phases) for ns in store.namespaces()}
    assert summary == {"default": (1, {"Pending": 1}), "shop": (1, {"Ready": 1})}


def test_events_carry_their_namespace(store: Store) -> None:
    store.record_event("Container", "web", "Normal", "Created", "made", namespace="shop")
    store.record_event("Container", "web", "Normal", "Created", "made")

    assert [e.namespace for e in store.list_events(namespace="shop")] == ["shop"]
    assert sorted(e.namespace for e in store.list_events()) == ["default", "shop"]


JOB = {"image": "busybox:test", "command": ["true"]}


def test_a_namespace_with_only_a_job_gets_its_default_network(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    """A Job joins its namespace's implicit network as a Container does."""
    results = applier.apply(ApplyRequest([manifest("Job", "seed", JOB, namespace="shop")]))

    assert _actions(results) == [
        ("Job", "shop", "seed", "created"),
        ("Network", "shop", "default", "created"),
    ]
    applier.request_deletion("Job", "seed", "shop")
    network = store.get("Network", "default", "shop")
    assert network is not None and network.deleting


def test_a_container_and_a_job_may_not_share_a_docker_name(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    """Both are Docker containers: one name in one namespace, or `shop_seed` twice."""
    with pytest.raises(EngineNameConflict, match=r"Container/seed .* Job/seed"):
        applier.apply(ApplyRequest([manifest("Container", "seed"), manifest("Job", "seed", JOB)]))
    applier.apply(ApplyRequest([manifest("Container", "seed", namespace="shop")]))
    with pytest.raises(EngineNameConflict, match=r"Container/shop/seed .*stored.* Job/shop/seed"):
        applier.apply(ApplyRequest([manifest("Job", "seed", JOB, namespace="shop")]))
    with pytest.raises(EngineNameConflict, match="'shop_seed'"):
        applier.apply(ApplyRequest([manifest("Job", "shop_seed", JOB)]))
    assert store.list("Job") == []

"""The dependency index, built from the kinds' registrations: who requires whom."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dockform.controller.reconcilers import REGISTRATIONS
from dockform.controller.registry import DependencyIndex, Registry
from dockform.manifests.namespaces import key
from dockform.store.types import Resource

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def resource(kind: str, name: str, **spec: Any) -> Resource:
    return Resource(kind=kind, name=name, spec=spec, spec_hash="h", created_at=NOW, updated_at=NOW)


CONTAINERS = [
    resource("Container", "web", image="shop", networks=["front", "back"]),
    resource(
        "Container",
        "api",
        image="registry.local/api:1",
        networks=["back"],
        dependsOn=[{"name": "db", "condition": "Healthy"}],
    ),
    resource(
        "Container",
        "db",
        image="postgres:16",
        networks=["back"],
        volumes=[{"volume": "data", "mountPath": "/var/lib/postgresql"}],
    ),
    resource("Container", "tmp", image="busybox", volumes=[{"tmpfs": "/tmp", "mountPath": "/t"}]),
]
TARGETS = [
    resource("Image", "shop", ref="registry.local/shop:2"),
    resource("Image", "api", ref="registry.local/api:1"),
    resource("Image", "unused", ref="nothing:1"),
    resource("Image", "postgres:16", ref="postgres:16"),
    resource("Network", "back"),
    resource("Network", "front"),
    resource("Network", "elsewhere"),
    resource("Volume", "data"),
    resource("Container", "db"),
    resource("Container", "web"),
]


REGISTRY = Registry(REGISTRATIONS)


def test_index_answers_for_every_kind_of_target() -> None:
    # The Image and Container targets above duplicate the Containers' own keys: index only one
    # copy of each key, as the store would hold.
    index = DependencyIndex([*CONTAINERS, *TARGETS[:-2]], REGISTRY)
    for target in TARGETS:
        dependents = index.dependents(target)
        assert target.key not in dependents
        assert all(key[0] == "Container" for key in dependents), target.key


def test_requirements_resolve_images_by_ref_and_skip_what_does_not_exist() -> None:
    index = DependencyIndex([*CONTAINERS, *TARGETS[:-2]], REGISTRY)
    api = CONTAINERS[1]
    assert index.requirements(api) == [
        key("Container", "db"),
        key("Image", "api"),
        key("Network", "back"),
    ]
    db = CONTAINERS[2]
    assert index.requirements(db) == [
        key("Image", "postgres:16"),
        key("Network", "back"),
        key("Volume", "data"),
    ]


def test_referrers_leave_out_what_is_being_deleted() -> None:
    deleting = CONTAINERS[0].model_copy(update={"deletion_requested_at": NOW})
    index = DependencyIndex([deleting, *CONTAINERS[1:], *TARGETS[:-2]], REGISTRY)
    back = TARGETS[4]
    assert index.dependents(back) == [
        key("Container", "api"),
        key("Container", "db"),
        key("Container", "web"),
    ]
    assert index.referrers(back) == [key("Container", "api"), key("Container", "db")]
    assert index.deleting(key("Container", "web"))


def test_index_answers() -> None:
    index = DependencyIndex([*CONTAINERS, *TARGETS[:-2]], REGISTRY)
    by_key = {target.key: index.dependents(target) for target in TARGETS}
    assert by_key[key("Network", "back")] == [
        key("Container", "api"),
        key("Container", "db"),
        key("Container", "web"),
    ]
    assert by_key[key("Image", "shop")] == [key("Container", "web")]
    assert by_key[key("Image", "api")] == [key("Container", "api")]
    assert by_key[key("Container", "db")] == [key("Container", "api")]
    assert by_key[key("Volume", "data")] == [key("Container", "db")]
    assert by_key[key("Network", "elsewhere")] == []
    assert by_key[key("Container", "web")] == []

"""The dependency index answers exactly what a pass over every Container would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dockform.controller.dependencies import DependencyIndex, dependents, depends_on
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


def test_index_matches_a_full_scan_for_every_target() -> None:
    index = DependencyIndex(CONTAINERS)
    for target in TARGETS:
        scanned = sorted(c.key for c in CONTAINERS if depends_on(c, target))
        assert index.dependents(target) == scanned, target.key
        assert dependents(target, CONTAINERS) == scanned


def test_index_answers() -> None:
    index = DependencyIndex([*CONTAINERS, *TARGETS])  # non-Containers are left out
    by_key = {target.key: index.dependents(target) for target in TARGETS}
    assert by_key[("Network", "back")] == [
        ("Container", "api"),
        ("Container", "db"),
        ("Container", "web"),
    ]
    assert by_key[("Image", "shop")] == [("Container", "web")]
    assert by_key[("Image", "api")] == [("Container", "api")]
    assert by_key[("Container", "db")] == [("Container", "api")]
    assert by_key[("Volume", "data")] == [("Container", "db")]
    assert by_key[("Network", "elsewhere")] == []
    assert by_key[("Container", "web")] == []

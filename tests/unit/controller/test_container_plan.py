"""Golden-text tests of the container planner: no Docker, no store."""

from __future__ import annotations

from typing import Any

from dockform.controller.reconcilers.container_plan import (
    ContainerDesired,
    ContainerSnapshot,
    container_hash,
    create_request,
    plan,
)
from dockform.manifests.models import ContainerSpec
from dockform.runtime.types import ContainerInfo, managed_labels

SPEC_HASH = "spec-hash-1"
IMAGE_ID = "sha256:" + "a" * 64


def desired(**spec: Any) -> ContainerDesired:
    body = {"image": "hello:latest", **spec}
    return ContainerDesired("web", ContainerSpec.model_validate(body), SPEC_HASH)


def info(
    name: str = "web",
    *,
    container_id: str = "c" * 64,
    state: str = "running",
    health: str | None = None,
    labels: dict[str, str] | None = None,
    want_hash: str | None = None,
) -> ContainerInfo:
    if labels is None:
        labels = managed_labels("Container", name, want_hash or container_hash(SPEC_HASH, IMAGE_ID))
    return ContainerInfo(
        id=container_id,
        name=name,
        image_id=IMAGE_ID,
        labels=labels,
        state=state,
        health=health,
        restart_count=0,
        exit_code=0 if state != "running" else None,
        started_at=None,
        finished_at=None,
        networks={},
    )


def observed(
    holder: ContainerInfo | None, *others: ContainerInfo, **extra: Any
) -> ContainerSnapshot:
    labelled = tuple(
        item.summary() for item in (holder, *others) if item is not None and item.managed
    )
    return ContainerSnapshot(
        labelled=labelled,
        name_holder=holder,
        image_id=extra.pop("image_id", IMAGE_ID),
        image_ref="hello:latest",
        **extra,
    )


def test_missing_container_is_created_then_started() -> None:
    assert str(plan(desired(), observed(None))) == (
        "#1 container:web, CreateContainer, not found\n#2 container:web, StartContainer, created"
    )


def test_in_sync_running_container_needs_nothing() -> None:
    assert str(plan(desired(), observed(info()))) == "(nothing to do)"


def test_changed_env_replaces_the_container() -> None:
    stale = info(want_hash="old-hash")
    assert str(plan(desired(), observed(stale))) == (
        f"#1 container:{'c' * 64}, StopContainer, config hash changed\n"
        f"#2 container:{'c' * 64}, RemoveContainer, config hash changed\n"
        "#3 container:web, CreateContainer, config hash changed\n"
        "#4 container:web, StartContainer, created"
    )


def test_new_image_id_changes_the_hash() -> None:
    assert container_hash(SPEC_HASH, IMAGE_ID) != container_hash(SPEC_HASH, "sha256:other")
    current = info()
    assert "RemoveContainer" in str(plan(desired(), observed(current, image_id="sha256:other")))


def test_unmanaged_name_holder_is_a_name_conflict_and_untouched() -> None:
    stranger = info(labels={"owner": "someone"})
    result = plan(desired(), observed(stranger))
    assert result.empty
    assert result.blocked_reason == "NameConflict"
    assert "docker rm" in result.blocked_message


def test_container_labelled_for_another_resource_is_a_conflict() -> None:
    other = info(labels=managed_labels("Container", "other", "x"))
    assert plan(desired(), observed(other)).blocked_reason == "NameConflict"


def test_waiting_for_image_keeps_the_running_container() -> None:
    result = plan(desired(), observed(info(), waiting=("Image/hello to be Ready (Building)",)))
    assert result.empty
    assert result.blocked_reason == "Waiting"
    assert "Image/hello" in result.blocked_message


def test_absent_image_blocks_creation() -> None:
    result = plan(desired(), observed(None, image_id=None))
    assert result.empty
    assert "image hello:latest is not present" in result.blocked_message


def test_stray_copy_is_removed() -> None:
    stray = info("web-old", container_id="d" * 64, labels=managed_labels("Container", "web", "x"))
    assert str(plan(desired(), observed(info(), stray))) == (
        f"#1 container:{'d' * 64}, RemoveContainer, stray copy of this container"
    )


def test_exited_container_with_restart_always_is_started() -> None:
    result = plan(desired(), observed(info(state="exited")))
    assert str(result) == f"#1 container:{'c' * 64}, StartContainer, exited; restartPolicy Always"


def test_exited_container_with_restart_never_is_left_alone() -> None:
    spec = desired(restartPolicy="Never")
    current = info(state="exited", want_hash=container_hash(SPEC_HASH, IMAGE_ID))
    assert plan(spec, observed(current)).empty


def test_created_container_is_started() -> None:
    assert "StartContainer, created but not started" in str(
        plan(desired(), observed(info(state="created")))
    )


def test_unhealthy_restart_only_when_due() -> None:
    sick = info(health="unhealthy")
    assert plan(desired(), observed(sick)).empty
    assert "RestartContainer, unhealthy" in str(
        plan(desired(), observed(sick, unhealthy_restart_due=True))
    )


def test_create_request_translates_every_field() -> None:
    spec = ContainerSpec.model_validate(
        {
            "image": "hello:latest",
            "command": ["httpd", "-f"],
            "entrypoint": ["/bin/sh", "-c"],
            "env": {"A": "1"},
            "workingDir": "/www",
            "user": "1000:1000",
            "ports": [{"containerPort": 80, "hostPort": 8080}],
            "restartPolicy": "OnFailure",
            "healthcheck": {"command": ["true"], "interval": "1m30s", "retries": 5},
            "resources": {"memory": "256Mi", "cpus": 0.5},
            "stopGracePeriod": "3s",
            "labels": {"app": "web"},
            "volumes": [
                {"volume": "data", "mountPath": "/data"},
                {"hostPath": "/srv/www", "mountPath": "/www", "readOnly": True},
            ],
            "networks": ["back"],
        }
    )
    request = create_request("web", spec, "hello:latest", "h", {"data": "data"})
    assert request.command == ("httpd", "-f")
    assert request.entrypoint == ("/bin/sh", "-c")
    assert request.env == {"A": "1"}
    assert request.working_dir == "/www"
    assert request.user == "1000:1000"
    assert request.ports[0].host_ip == "127.0.0.1"
    assert request.ports[0].host_port == 8080
    assert request.restart_policy == "on-failure"
    assert request.healthcheck is not None
    assert request.healthcheck.test == ("CMD", "true")
    assert request.healthcheck.interval_ns == 90 * 10**9
    assert request.healthcheck.retries == 5
    assert request.memory_bytes == 256 * 1024**2
    assert request.nano_cpus == 500_000_000
    assert request.stop_timeout_s == 3
    assert request.labels["app"] == "web"
    assert request.labels["io.dockform.managed"] == "true"
    assert request.labels["io.dockform.spec-hash"] == "h"
    assert [(m.type, m.source, m.read_only) for m in request.mounts] == [
        ("volume", "data", False),
        ("bind", "/srv/www", True),
    ]
    assert request.networks == ("back",)
    assert request.network_aliases == ("web",)


def test_detached_network_is_reconnected_without_recreate() -> None:
    spec = desired(networks=["back"])
    current = info(want_hash=container_hash(SPEC_HASH, IMAGE_ID))
    assert str(plan(spec, observed(current))) == (
        "#1 container:web, ConnectNetwork, not attached to network back"
    )


# --- namespaces


def test_a_default_namespace_container_is_created_as_before() -> None:
    request = plan(desired(networks=["back"]), observed(None)).actions[0].request  # type: ignore[attr-defined]

    assert request.name == "web"
    assert "io.dockform.namespace" not in request.labels
    assert (request.networks, request.network_aliases) == (("back",), ("web",))


def test_a_namespaced_container_gets_a_prefixed_name_its_label_and_its_short_alias() -> None:
    body = ContainerSpec.model_validate({"image": "hello:latest", "networks": ["back"]})
    shop = ContainerDesired("web", body, SPEC_HASH, namespace="shop")
    snapshot = observed(None, network_names=(("back", "shop_back"),))

    request = plan(shop, snapshot).actions[0].request  # type: ignore[attr-defined]

    assert request.name == "shop_web"
    assert request.labels["io.dockform.namespace"] == "shop"
    assert request.labels["io.dockform.name"] == "web"
    assert (request.networks, request.network_aliases) == (("shop_back",), ("web",))


def test_a_namespaced_container_naming_no_network_joins_the_namespace_default() -> None:
    body = ContainerSpec.model_validate({"image": "hello:latest"})
    shop = ContainerDesired("db", body, SPEC_HASH, namespace="shop")
    snapshot = observed(None, network_names=(("default", "shop_default"),))

    request = plan(shop, snapshot).actions[0].request  # type: ignore[attr-defined]

    assert request.networks == ("shop_default",)
    assert request.network_aliases == ("db",)


def test_another_namespaces_container_of_the_same_name_is_no_holder_of_ours() -> None:
    theirs = info(
        "shop_web",
        labels=managed_labels("Container", "web", container_hash(SPEC_HASH, IMAGE_ID), "blog"),
    )
    shop = ContainerDesired(
        "web", ContainerSpec.model_validate({"image": "hello:latest"}), SPEC_HASH, namespace="shop"
    )

    assert "NameConflict" in str(plan(shop, observed(theirs)).blocked_reason)

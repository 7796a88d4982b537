"""Golden-text tests of the network and volume planners."""

from __future__ import annotations

from dockform.controller.reconcilers import network, volume
from dockform.manifests.models import NetworkSpec, VolumeSpec
from dockform.runtime.types import ContainerInfo, NetworkInfo, VolumeInfo, managed_labels


def net(labels: dict[str, str], ids: tuple[str, ...] = ()) -> NetworkInfo:
    return NetworkInfo(
        id="n" * 64,
        name="back",
        labels=labels,
        driver="bridge",
        internal=False,
        subnet=None,
        gateway=None,
        container_ids=ids,
    )


def container(name: str, managed: bool) -> ContainerInfo:
    labels = managed_labels("Container", name, "h") if managed else {}
    return ContainerInfo(
        id=name * 8,
        name=name,
        image_id="i",
        labels=labels,
        state="running",
        health=None,
        restart_count=0,
        exit_code=None,
        started_at=None,
        finished_at=None,
        networks={},
    )


SPEC = NetworkSpec(internal=True, subnet="10.99.0.0/24")


def test_missing_network_is_created() -> None:
    result = network.plan("back", SPEC, "h1", network.NetworkSnapshot(None, ()))
    assert str(result) == "#1 network:back, CreateNetwork, not found"
    request = result.actions[0].request  # type: ignore[attr-defined]
    assert request.internal is True and request.subnet == "10.99.0.0/24"
    assert request.labels["io.dockform.spec-hash"] == "h1"


def test_network_in_sync_needs_nothing() -> None:
    observed = network.NetworkSnapshot(net(managed_labels("Network", "back", "h1")), ())
    assert network.plan("back", SPEC, "h1", observed).empty


def test_changed_network_is_replaced_after_disconnecting_managed_users() -> None:
    observed = network.NetworkSnapshot(
        net(managed_labels("Network", "back", "old")),
        (container("api", True), container("db", True)),
    )
    assert str(network.plan("back", SPEC, "h1", observed)) == (
        "#1 network:back, DisconnectNetwork, spec changed\n"
        "#2 network:back, DisconnectNetwork, spec changed\n"
        "#3 network:back, RemoveNetwork, spec changed\n"
        "#4 network:back, CreateNetwork, spec changed"
    )


def test_network_used_by_unmanaged_container_is_not_forced() -> None:
    observed = network.NetworkSnapshot(
        net(managed_labels("Network", "back", "old")), (container("stranger", False),)
    )
    result = network.plan("back", SPEC, "h1", observed)
    assert result.empty and result.blocked_reason == "InUseByUnmanaged"
    assert "stranger" in result.blocked_message


def test_unmanaged_network_with_the_name_is_a_conflict() -> None:
    result = network.plan("back", SPEC, "h1", network.NetworkSnapshot(net({}), ()))
    assert result.empty and result.blocked_reason == "NameConflict"


def vol(labels: dict[str, str]) -> VolumeInfo:
    return VolumeInfo(name="data", labels=labels, driver="local", driver_opts={}, mountpoint=None)


def test_missing_volume_is_created_with_its_reclaim_policy_label() -> None:
    result = volume.plan("data", VolumeSpec(reclaim_policy="Delete"), "h1", None)
    assert str(result) == "#1 volume:data, CreateVolume, not found"
    assert result.actions[0].request.labels[volume.RECLAIM_LABEL] == "Delete"  # type: ignore[attr-defined]


def test_changed_volume_is_reported_never_recreated() -> None:
    result = volume.plan("data", VolumeSpec(), "h2", vol(managed_labels("Volume", "data", "h1")))
    assert result.empty and result.blocked_reason == "SpecChanged"
    assert "docker volume rm data" in result.blocked_message


def test_unmanaged_volume_with_the_name_is_a_conflict() -> None:
    result = volume.plan("data", VolumeSpec(), "h1", vol({}))
    assert result.empty and result.blocked_reason == "NameConflict"

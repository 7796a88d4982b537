"""The container planner and reconciler on the Engine settings and on health (issue 12 items
1 and 4): what the create request carries, reconnection with per-network settings, and when an
unhealthy container is restarted. No Docker: pure plans, and the manager on the fake runtime."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dockform.controller.actions import ConnectNetwork, RestartContainer
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.controller.reconcilers.container_plan import create_request, plan
from dockform.manifests.loader import load_text
from dockform.manifests.models import ContainerSpec
from dockform.runtime.fake import FakeRuntime
from dockform.runtime.types import (
    DeviceMapping,
    DeviceRequest,
    NetworkCreate,
    NetworkEndpoint,
    Ulimit,
)
from dockform.settings import Backoff, ControllerSettings, KindLimits
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from tests.unit.controller.conftest import wait
from tests.unit.controller.test_container_plan import desired, info, observed


def request_of(**fields: Any) -> Any:
    spec = ContainerSpec.model_validate({"image": "app:1", **fields})
    return create_request("web", spec, "app:1", "hash", {})


def test_create_request_translates_every_engine_setting() -> None:
    request = request_of(
        hostname="web-1",
        domainname="example.internal",
        capAdd=["chown"],
        capDrop=["NET_RAW"],
        ulimits={"nofile": {"soft": 1024, "hard": 2048}, "core": 0},
        shmSize="256Mi",
        tmpfs=["/run", "/tmp"],
        readOnly=True,
        init=True,
        stopSignal="SIGQUIT",
        extraHosts=["db.local:10.0.0.5"],
        dns=["10.0.0.2"],
        dnsSearch=["example.internal"],
        dnsOptions=["ndots:2"],
        sysctls={"net.ipv4.ip_unprivileged_port_start": 0},
        securityOpt=["no-new-privileges"],
        pidsLimit=100,
        groupAdd=["audio"],
        logging={"driver": "json-file", "options": {"max-size": "1m"}},
        oomScoreAdj=-100,
        platform="linux/amd64",
    )
    assert request.hostname == "web-1"
    assert request.domainname == "example.internal"
    assert request.cap_add == ("CHOWN",)
    assert request.cap_drop == ("NET_RAW",)
    assert request.ulimits == (Ulimit("core", 0, 0), Ulimit("nofile", 1024, 2048))
    assert request.shm_size_bytes == 256 * 1024**2
    assert request.tmpfs == {"/run": "", "/tmp": ""}
    assert request.read_only is True
    assert request.init is True
    assert request.stop_signal == "SIGQUIT"
    assert request.extra_hosts == ("db.local:10.0.0.5",)
    assert (request.dns, request.dns_search, request.dns_options) == (
        ("10.0.0.2",),
        ("example.internal",),
        ("ndots:2",),
    )
    assert request.sysctls == {"net.ipv4.ip_unprivileged_port_start": "0"}
    assert request.security_opt == ("no-new-privileges",)
    assert request.pids_limit == 100
    assert request.group_add == ("audio",)
    assert (request.log_driver, request.log_options) == ("json-file", {"max-size": "1m"})
    assert request.oom_score_adj == -100
    assert request.platform == "linux/amd64"


def test_unset_settings_leave_the_engine_defaults() -> None:
    request = request_of()
    assert request.hostname is None and request.init is None and request.pids_limit is None
    assert request.cap_add == () and request.tmpfs == {} and request.sysctls == {}
    assert request.log_driver is None and request.network_endpoints == ()
    assert request.shm_size_bytes is None and request.read_only is False


def test_tmpfs_map_keeps_its_options() -> None:
    assert request_of(tmpfs={"/run": "size=64m"}).tmpfs == {"/run": "size=64m"}


def test_devices_in_both_forms() -> None:
    request = request_of(
        devices=[
            "/dev/fuse",
            "/dev/ttyUSB0:/dev/modem:rw",
            {"hostPath": "/dev/sda", "permissions": "r"},
        ]
    )
    assert request.devices == (
        DeviceMapping("/dev/fuse", "/dev/fuse", "rwm"),
        DeviceMapping("/dev/ttyUSB0", "/dev/modem", "rw"),
        DeviceMapping("/dev/sda", "/dev/sda", "r"),
    )


@pytest.mark.parametrize(
    ("gpus", "wanted"),
    [
        ("all", DeviceRequest(count=-1, capabilities=(("gpu",),))),
        (2, DeviceRequest(count=2, capabilities=(("gpu",),))),
        (
            {"deviceIds": ["0", "3"], "capabilities": ["gpu", "utility"], "driver": "nvidia"},
            DeviceRequest(
                driver="nvidia", device_ids=("0", "3"), capabilities=(("gpu", "utility"),)
            ),
        ),
        ({"count": "all"}, DeviceRequest(count=-1, capabilities=(("gpu",),))),
        ({"capabilities": ["gpu"]}, DeviceRequest(count=-1, capabilities=(("gpu",),))),
    ],
)
def test_gpus_become_device_requests(gpus: Any, wanted: DeviceRequest) -> None:
    assert request_of(gpus=gpus).device_requests == (wanted,)


def test_networks_carry_their_aliases_and_static_addresses() -> None:
    request = request_of(
        networks=[
            "front",
            {"name": "back", "aliases": ["db", "db.internal"], "ipv4Address": "10.9.0.5"},
            {"name": "v6", "ipv6Address": "fd00::5"},
        ]
    )
    assert request.networks == ("front", "back", "v6")
    assert request.network_endpoints == (
        NetworkEndpoint("back", ("db", "db.internal"), "10.9.0.5", None),
        NetworkEndpoint("v6", (), None, "fd00::5"),
    )
    assert request.endpoint("front") == NetworkEndpoint("front")


def test_reconnect_keeps_the_networks_aliases_and_address() -> None:
    spec = desired(
        networks=["front", {"name": "back", "aliases": ["db"], "ipv4Address": "10.9.0.5"}]
    )
    current = dataclasses.replace(info(), networks={"front": "172.18.0.2"})
    actions = plan(spec, observed(current)).actions
    assert actions == (
        ConnectNetwork(
            cause="not attached to network back",
            network="back",
            container="web",
            aliases=("web", "db"),
            ipv4_address="10.9.0.5",
        ),
    )


def test_fake_runtime_honours_static_addresses_and_aliases() -> None:
    fake = FakeRuntime()
    fake.add_image("app:1")
    fake.create_network(NetworkCreate("back", {}, subnet="10.9.0.0/24"))
    request = request_of(networks=[{"name": "back", "aliases": ["db"], "ipv4Address": "10.9.0.7"}])
    container_id = fake.create_container(request)
    fake.start_container(container_id)
    inspected = fake.inspect_container(container_id)
    assert inspected is not None and inspected.networks == {"back": "10.9.0.7"}
    assert fake.networks[fake._network("back").id].members[container_id] == ("web", "db")


# --- health: startPeriod, restartOnUnhealthy, backoff in the Restarted event


def sick_for(seconds: float) -> Any:
    started = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()
    return dataclasses.replace(info(health="unhealthy"), started_at=started)


HEALTHCHECK = {"command": ["true"], "startPeriod": "60s"}


def test_no_unhealthy_restart_during_the_start_period() -> None:
    result = plan(
        desired(healthcheck=HEALTHCHECK),
        observed(sick_for(10), unhealthy_restart_due=True, running_for_s=10.0),
    )
    assert result.actions == ()
    assert result.requeue_after == pytest.approx(50.0)


def test_unhealthy_restart_once_the_start_period_is_over() -> None:
    result = plan(
        desired(healthcheck=HEALTHCHECK),
        observed(
            sick_for(61),
            unhealthy_restart_due=True,
            running_for_s=61.0,
            unhealthy_restarts=2,
            next_unhealthy_backoff_s=4.0,
        ),
    )
    (restart,) = result.actions
    assert isinstance(restart, RestartContainer)
    assert restart.cause == "unhealthy (restart 3; if still unhealthy, the next in 4s)"


def test_restart_on_unhealthy_false_leaves_it_running() -> None:
    result = plan(
        desired(restartOnUnhealthy=False),
        observed(sick_for(600), unhealthy_restart_due=True, running_for_s=600.0),
    )
    assert result.actions == () and result.requeue_after is None


HEALTH_SETTINGS = ControllerSettings(
    retry=Backoff(base_s=0.05, cap_s=0.5),
    unhealthy_restart=Backoff(base_s=30.0, cap_s=300.0),
    resync_s=3600,
    kinds={"Container": KindLimits(workers=2)},
)


def container_yaml(extra: str) -> str:
    return (
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\n"
        f"spec:\n  image: app:1\n{extra}"
    )


@pytest.fixture()
def fake() -> FakeRuntime:
    runtime = FakeRuntime()
    runtime.add_image("app:1")
    return runtime


@pytest.fixture()
def applier(store: Store, fake: FakeRuntime) -> Iterator[Applier]:
    manager = Manager(ReconcileContext(store=store, runtime=fake, settings=HEALTH_SETTINGS))
    manager.start()
    yield Applier(store, on_change=manager.desired_changed)
    manager.stop()


def web_status_when(store: Store, field: str, value: str) -> Any:
    """Container/web's status once its observed `field` is `value`."""
    wait(
        lambda: (
            (r := store.get("Container", "web")) is not None
            and r.status.observed.get(field) == value
        )
    )
    resource = store.get("Container", "web")
    assert resource is not None
    return resource.status


def make_unhealthy(store: Store, fake: FakeRuntime, extra: str, applier: Applier) -> str:
    """Apply Container/web, wait for its container to run, then make it unhealthy."""
    applier.apply(ApplyRequest(load_text(container_yaml(extra))))
    container_id = str(web_status_when(store, "state", "running").observed["containerId"])
    fake.set_health(container_id, "unhealthy")
    return container_id


def unhealthy_status(store: Store) -> Any:
    return web_status_when(store, "health", "unhealthy")


def restarts(fake: FakeRuntime) -> list[str]:
    return [call for call in fake.calls if call.startswith("restart_container")]


def test_unhealthy_restart_backoff_shows_in_status_and_events(
    store: Store, fake: FakeRuntime, applier: Applier
) -> None:
    container_id = make_unhealthy(
        store, fake, "  healthcheck: {command: ['true'], interval: 1s}\n", applier
    )
    wait(lambda: len(restarts(fake)) == 1)
    fake.set_health(container_id, "unhealthy")  # still unhealthy after the restart
    wait(
        lambda: (
            (r := store.get("Container", "web")) is not None
            and r.status.observed.get("unhealthyRestarts") == 1
            and "next restart in" in r.status.message
        )
    )
    resource = store.get("Container", "web")
    assert resource is not None and resource.status.next_retry_at is not None
    assert resource.status.next_retry_at > datetime.now(UTC) + timedelta(seconds=20)
    assert len(restarts(fake)) == 1  # the 30 s backoff holds the next one back
    (event,) = [e for e in store.list_events("Container", "web") if e.reason == "Restarted"]
    assert "unhealthy (restart 1; if still unhealthy, the next in 30s)" in event.message


def test_unhealthy_in_start_period_waits_with_next_retry_at_its_end(
    store: Store, fake: FakeRuntime, applier: Applier
) -> None:
    make_unhealthy(store, fake, "  healthcheck: {command: ['true'], startPeriod: 1h}\n", applier)
    status = unhealthy_status(store)
    assert "within its healthcheck startPeriod" in status.message
    assert status.next_retry_at is not None
    assert status.next_retry_at > datetime.now(UTC) + timedelta(minutes=59)
    assert restarts(fake) == []


def test_restart_on_unhealthy_false_reports_and_never_restarts(
    store: Store, fake: FakeRuntime, applier: Applier
) -> None:
    make_unhealthy(
        store,
        fake,
        "  healthcheck: {command: ['true']}\n  restartOnUnhealthy: false\n",
        applier,
    )
    status = unhealthy_status(store)
    assert status.reason == "Unhealthy"
    assert "restartOnUnhealthy is false" in status.message
    assert status.next_retry_at is None
    assert restarts(fake) == []

"""SwarmRuntime against a real single-node swarm (`swarm_engine`): services as containers,
overlay networks, volumes and ports, with everything made removed again."""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import docker
import pytest

from dockform.runtime.swarm_driver import SwarmRuntime, swarm_manager_refusal
from dockform.runtime.types import (
    ContainerCreate,
    ContainerInfo,
    HealthcheckConfig,
    Mount,
    NetworkCreate,
    PlacementConfig,
    PortBinding,
    RolloutConfig,
    RuntimeEvent,
    VolumeCreate,
)
from tests.integration.runtime.objects import (
    SERVE_PAGE,
    TEST_LABELS,
    Objects,
    fresh_name,
)
from tests.integration.runtime.objects import wait_for as wait_until

pytestmark = pytest.mark.integration

T = TypeVar("T")

SECOND = 1_000_000_000


def wait_for(check: Callable[[], T | None], timeout_s: float, what: str) -> T:
    """Swarm settles in seconds: poll less often than on one engine."""
    return wait_until(check, timeout_s, what, poll_s=0.2)


@pytest.fixture(scope="module")
def engine_api() -> Iterator[Any]:
    client = docker.APIClient(version="auto", timeout=60)
    yield client
    client.close()


@pytest.fixture
def objects(swarm_runtime: SwarmRuntime) -> Iterator[Objects]:
    created = Objects(swarm_runtime)
    yield created
    created.remove_all()


def shell(name: str, image: str, script: str, **fields: object) -> ContainerCreate:
    return ContainerCreate(
        name=name,
        image=image,
        labels={**TEST_LABELS, "io.dockform.name": name},
        command=("sh", "-c", script),
        **fields,  # type: ignore[arg-type]
    )


def in_state(runtime: SwarmRuntime, service: str, state: str) -> ContainerInfo | None:
    info = runtime.inspect_container(service)
    return info if info is not None and info.state == state else None


def test_a_manager_is_recognised(swarm_runtime: SwarmRuntime) -> None:
    assert swarm_runtime.swarm_refusal() == ""
    refusal = swarm_manager_refusal({"Swarm": {"LocalNodeState": "inactive"}})
    assert "docker swarm init --advertise-addr" in refusal


def test_service_lifecycle_create_start_stop_restart_remove(
    swarm_runtime: SwarmRuntime, objects: Objects, busybox_image: str, engine_api: Any
) -> None:
    name = fresh_name("svc")
    request = shell(
        name,
        busybox_image,
        "echo started; exec sleep 300",
        env={"GREETING": "hi"},
        working_dir="/tmp",
        restart_policy="always",
        nano_cpus=SECOND // 2,
        memory_bytes=64 * 1024 * 1024,
        stop_timeout_s=1,
    )
    service_id = objects.container(request, start=False)
    created = swarm_runtime.inspect_container(name)
    assert created is not None and created.id == service_id and created.state == "created"
    assert created.labels["dockform.test"] == "1"
    assert created.labels["io.dockform.name"] == name

    swarm_runtime.start_container(name)
    running = wait_for(lambda: in_state(swarm_runtime, name, "running"), 30, "running")
    assert running.name == name and running.image_id == busybox_image
    assert len(running.tasks) == 1
    task = running.tasks[0]
    assert task.state == "running" and task.desired_state == "running" and task.container_id
    labels = engine_api.inspect_container(task.container_id)["Config"]["Labels"]
    assert labels["io.dockform.name"] == name and labels["dockform.test"] == "1"
    limits = engine_api.inspect_service(name)["Spec"]["TaskTemplate"]["Resources"]["Limits"]
    assert limits == {"NanoCPUs": SECOND // 2, "MemoryBytes": 64 * 1024 * 1024}
    summaries = swarm_runtime.list_containers({"io.dockform.name": name})
    assert [(summary.id, summary.state) for summary in summaries] == [(service_id, "running")]

    swarm_runtime.stop_container(service_id, timeout_s=1)
    stopped = swarm_runtime.inspect_container(service_id)
    assert stopped is not None and stopped.state == "exited"

    swarm_runtime.start_container(service_id)
    wait_for(lambda: in_state(swarm_runtime, service_id, "running"), 30, "running again")

    before = {task.container_id for task in swarm_runtime.inspect_container(service_id).tasks}  # type: ignore[union-attr]
    swarm_runtime.restart_container(service_id, timeout_s=1)
    restarted = wait_for(lambda: in_state(swarm_runtime, service_id, "running"), 30, "restart")
    assert restarted.tasks[0].container_id not in before
    logs = b"".join(swarm_runtime.container_logs(service_id, tail=None, follow=False))
    assert b"started" in logs

    swarm_runtime.remove_container(service_id)
    assert swarm_runtime.inspect_container(service_id) is None
    swarm_runtime.remove_container(service_id)  # not found is not an error


def test_exit_code_and_health_from_tasks(
    swarm_runtime: SwarmRuntime, objects: Objects, busybox_image: str
) -> None:
    once = fresh_name("once")
    objects.container(shell(once, busybox_image, "exit 3", restart_policy="no"))
    exited = wait_for(lambda: in_state(swarm_runtime, once, "exited"), 30, "exited")
    assert exited.exit_code == 3 and exited.tasks[0].exit_code == 3

    checked = fresh_name("checked")
    check = HealthcheckConfig(
        test=("CMD", "true"),
        interval_ns=SECOND,
        timeout_ns=SECOND,
        retries=1,
        start_period_ns=0,
    )
    objects.container(shell(checked, busybox_image, "exec sleep 300", healthcheck=check))
    healthy = wait_for(
        lambda: (
            (info := swarm_runtime.inspect_container(checked)) and info.health == "healthy" and info
        ),
        30,
        "healthy",
    )
    assert healthy.state == "running"


def test_overlay_network_aliases_and_volume(
    swarm_runtime: SwarmRuntime, objects: Objects, busybox_image: str, engine_api: Any
) -> None:
    network = fresh_name("net")
    objects.networks.append(network)
    swarm_runtime.create_network(NetworkCreate(name=network, labels=dict(TEST_LABELS)))
    info = swarm_runtime.inspect_network(network)
    assert info is not None and info.labels["dockform.test"] == "1"
    assert engine_api.inspect_network(network, scope="swarm")["Driver"] == "overlay"
    volume = fresh_name("vol")
    objects.volumes.append(volume)
    swarm_runtime.create_volume(VolumeCreate(name=volume, labels=dict(TEST_LABELS)))

    server = fresh_name("server")
    objects.container(
        shell(
            server,
            busybox_image,
            "echo from-volume > /data/index.html && exec httpd -f -p 8080 -h /data",
            networks=(network,),
            network_aliases=("web",),
            mounts=(Mount(target="/data", source=volume, type="volume"),),
        )
    )
    running = wait_for(lambda: in_state(swarm_runtime, server, "running"), 30, "server")
    assert running.networks.get(network)

    client = fresh_name("client")
    objects.container(
        shell(
            client,
            busybox_image,
            "until wget -q -O - http://web:8080/index.html; do sleep 0.5; done; sleep 300",
            networks=(network,),
        )
    )

    def fetched() -> bool:
        logs = b"".join(swarm_runtime.container_logs(client, tail=None, follow=False))
        return b"from-volume" in logs

    wait_for(fetched, 60, "the client to reach the server by its alias")


def test_ports_ingress_and_host_mode(
    swarm_runtime: SwarmRuntime, objects: Objects, busybox_image: str, engine_api: Any
) -> None:
    # A port with a host address (127.0.0.1, the manifests' default) is published in host
    # mode, which answers on a dockerd without iptables; one on every address goes through
    # the ingress mesh (not reachable here: the test dockerd runs with --iptables=false).
    port = 18000 + secrets.randbelow(1000)
    served = fresh_name("served")
    objects.container(
        shell(
            served,
            busybox_image,
            SERVE_PAGE,
            ports=(
                PortBinding(8080, "tcp", "127.0.0.1", port),
                PortBinding(8081, "tcp", "", None),
            ),
        )
    )
    running = wait_for(lambda: in_state(swarm_runtime, served, "running"), 30, "served")
    published = {binding.container_port: binding.host_port for binding in running.ports}
    assert published[8080] == port and published[8081]
    ports = engine_api.inspect_service(served)["Endpoint"]["Ports"]
    modes = {port["TargetPort"]: port["PublishMode"] for port in ports}
    assert modes == {8080: "host", 8081: "ingress"}

    def page() -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                return str(answer.read().decode())
        except OSError:
            return None

    assert "hello" in wait_for(page, 30, "the page on 127.0.0.1")


def test_service_and_task_events_come_out_as_container_events(
    swarm_runtime: SwarmRuntime, objects: Objects, busybox_image: str
) -> None:
    stop = threading.Event()
    seen: list[RuntimeEvent] = []

    def watch() -> None:
        for event in swarm_runtime.events(stop):
            seen.append(event)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        time.sleep(0.5)  # the stream is open
        name = fresh_name("evented")
        service_id = objects.container(shell(name, busybox_image, "exec sleep 300"))
        swarm_runtime.remove_container(service_id)

        def mapped() -> bool:
            actions = {
                (event.action, event.id)
                for event in seen
                if event.type == "container" and event.labels.get("name") == name
            }
            task_started = any(
                event.type == "container"
                and event.action == "start"
                and event.labels.get("io.dockform.name") == name
                for event in seen
            )
            return task_started and {("create", service_id), ("destroy", service_id)} <= actions

        wait_for(mapped, 30, "the service's create and remove, and its task's start")
    finally:
        stop.set()
        watcher.join(5)


def test_a_job_runs_while_its_task_runs_and_exits_with_its_code(
    swarm_runtime: SwarmRuntime, objects: Objects, busybox_image: str
) -> None:
    name = fresh_name("job")
    job = shell(name, busybox_image, "sleep 3; exit 4", restart_policy="no")
    job = dataclasses.replace(job, labels={**job.labels, "io.dockform.kind": "Job"})
    objects.container(job)
    running = wait_for(lambda: in_state(swarm_runtime, name, "running"), 30, "the job running")
    assert running.tasks[0].state == "running"
    finished = wait_for(lambda: in_state(swarm_runtime, name, "exited"), 30, "the job finished")
    assert finished.exit_code == 4


def test_replicas_scale_and_an_update_in_place(
    swarm_runtime: SwarmRuntime, objects: Objects, busybox_image: str, engine_api: Any
) -> None:
    assert swarm_runtime.replicates is True
    name = fresh_name("replicated")
    request = shell(
        name,
        busybox_image,
        "exec sleep 300",
        replicas=2,
        stop_timeout_s=1,
        rollout=RolloutConfig(parallelism=1, order="start-first", monitor_ns=SECOND),
        placement=PlacementConfig(constraints=("node.role==manager",)),
    )
    service_id = objects.container(request)
    both = wait_for(
        lambda: (
            (info := in_state(swarm_runtime, name, "running"))
            and info.running_replicas == 2
            and info
        ),
        60,
        "two replicas running",
    )
    assert both.replicas == 2
    spec = engine_api.inspect_service(name)["Spec"]
    assert spec["UpdateConfig"]["Order"] == "start-first"
    assert spec["TaskTemplate"]["Placement"]["Constraints"] == ["node.role==manager"]

    swarm_runtime.scale_container(service_id, 1)
    one = wait_for(
        lambda: (
            (info := swarm_runtime.inspect_container(name)) and info.running_replicas == 1 and info
        ),
        60,
        "one replica",
    )
    assert one.replicas == 1

    swarm_runtime.update_container(
        service_id, dataclasses.replace(request, replicas=1, env={"CHANGED": "1"})
    )
    assert swarm_runtime.inspect_container(name).id == service_id  # type: ignore[union-attr]
    env = engine_api.inspect_service(name)["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == ["CHANGED=1"]
    wait_for(
        lambda: (
            (info := swarm_runtime.inspect_container(name)) and info.rollout_state == "completed"
        ),
        60,
        "the update rolled out",
    )

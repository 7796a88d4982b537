"""The three-node Swarm harness works: registry, overlay across nodes, placement, node loss.

Traffic stays inside the harness: the client talks to the daemons over their unix sockets,
the daemons to the registry in the harness's bridge namespace, containers to each other on
the overlay network this module creates.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest
from docker.types import EndpointSpec, PlacementPreference, RestartPolicy, ServiceMode

from tests.swarm3.conftest import (
    NODES,
    REGISTRY,
    TEST_LABELS,
    Swarm,
    swarm3,
    wait_until,
)

BUSYBOX_DOCKERFILE = (
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
)
IMAGE = f"{REGISTRY}/dockform-test/busybox:swarm3"
SPREAD = [PlacementPreference("spread", "node.labels.zone")]
# busybox's sleep as PID 1 ignores SIGTERM: do not wait the default 10 s for it.
GRACE_NS = 1_000_000_000


@pytest.fixture(scope="module")
def image(swarm: Swarm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The busybox image, built FROM scratch on node 1 and pushed to the harness's registry."""
    context = tmp_path_factory.mktemp("swarm3-busybox")
    shutil.copy("/bin/busybox", context / "busybox")
    (context / "Dockerfile").write_text(BUSYBOX_DOCKERFILE)
    client = swarm.manager
    client.images.build(path=str(context), tag=IMAGE, labels=TEST_LABELS, rm=True)
    for line in client.api.push(IMAGE, stream=True, decode=True):
        assert "error" not in line, f"push of {IMAGE} to {REGISTRY}: {line}"
    yield IMAGE
    for node in NODES:
        # Never pulled there, or that node is down: scripts/swarm3 down removes it then.
        with contextlib.suppress(docker.errors.APIError):
            swarm.clients[node].images.remove(IMAGE, force=True)


@pytest.fixture(scope="module")
def network(swarm: Swarm) -> Iterator[str]:
    net = swarm.manager.networks.create(
        "dfsw-test", driver="overlay", attachable=True, labels=TEST_LABELS
    )
    yield "dfsw-test"
    wait_until("the overlay network to be removable", lambda: _try_remove(net))


def _try_remove(obj: Any) -> bool:
    try:
        obj.remove()
    except docker.errors.NotFound:
        return True
    except docker.errors.APIError:
        return False  # tasks still detaching from it
    return True


def _service(swarm: Swarm, name: str, image: str, command: list[str], **kwargs: Any) -> Any:
    return swarm.manager.services.create(
        image,
        command=command,
        name=name,
        labels=TEST_LABELS,
        container_labels=TEST_LABELS,
        stop_grace_period=GRACE_NS,
        **kwargs,
    )


@pytest.fixture
def services(swarm: Swarm) -> Iterator[list[Any]]:
    """Services a test makes: removed after it, and their containers gone from every node."""
    made: list[Any] = []
    yield made
    for service in made:
        _try_remove(service)

    def containers_gone() -> bool:
        for client in _live_clients(swarm):
            try:
                if client.containers.list(all=True, filters={"label": "dockform.test=1"}):
                    return False
            except docker.errors.NotFound:
                return False  # one went between the SDK's list and its inspect: look again
        return True

    wait_until("the test's containers to be gone from every node", containers_gone)


def _live_clients(swarm: Swarm) -> list[Any]:
    live = []
    for client in swarm.clients.values():
        try:
            client.ping()
        except (docker.errors.APIError, docker.errors.DockerException):
            continue
        live.append(client)
    return live


def test_registry_holds_the_image_and_the_nodes_are_labelled(swarm: Swarm, image: str) -> None:
    data = swarm.manager.images.get_registry_data(image)
    assert data.id.startswith("sha256:")
    zones = {
        swarm.node_number(n.id): n.attrs["Spec"]["Labels"].get("zone")
        for n in swarm.manager.nodes.list()
    }
    assert zones == {1: "a", 2: "b", 3: "c"}
    print(f"\nswarm3 up took {swarm.up_s:.1f} s")


def test_spread_over_zones_puts_one_replica_on_each_node(
    swarm: Swarm, image: str, network: str, services: list[Any]
) -> None:
    service = _service(
        swarm,
        "dfsw-spread",
        image,
        ["sleep", "3600"],
        mode=ServiceMode("replicated", replicas=3),
        networks=[network],
        preferences=SPREAD,
    )
    services.append(service)
    nodes = wait_until(
        "3 running replicas", lambda: (n := swarm.running_tasks(service)) == [1, 2, 3] and n
    )
    assert nodes == [1, 2, 3]


def test_constraint_on_zone_b_runs_only_on_node_2(
    swarm: Swarm, image: str, services: list[Any]
) -> None:
    service = _service(
        swarm,
        "dfsw-zone-b",
        image,
        ["sleep", "3600"],
        mode=ServiceMode("replicated", replicas=2),
        constraints=["node.labels.zone==b"],
    )
    services.append(service)
    nodes = wait_until(
        "2 running replicas", lambda: (n := swarm.running_tasks(service)) and len(n) == 2 and n
    )
    assert nodes == [2, 2]


def test_a_service_reaches_another_by_name_on_the_overlay(
    swarm: Swarm, image: str, network: str, services: list[Any]
) -> None:
    # dnsrr: the name resolves to the task's address. The default (vip) needs IPVS in the
    # kernel, which this machine's kernel lacks (CONFIG_IP_VS is not set).
    web = _service(
        swarm,
        "dfsw-web",
        image,
        ["httpd", "-f", "-p", "8080", "-h", "/etc"],
        networks=[network],
        constraints=["node.labels.zone==b"],
        endpoint_spec=EndpointSpec(mode="dnsrr"),
    )
    services.append(web)
    # busybox 1.35's wget crashes with -T: `timeout` bounds each try instead.
    probe = (
        "i=0; while [ $i -lt 60 ]; do"
        " timeout 3 wget -q -O- http://dfsw-web:8080/hostname && exit 0;"
        " i=$((i+1)); sleep 0.5; done; exit 1"
    )
    client = _service(
        swarm,
        "dfsw-client",
        image,
        ["sh", "-c", probe],
        networks=[network],
        constraints=["node.labels.zone==a"],
        mode=ServiceMode("replicated", replicas=1),
        restart_policy=RestartPolicy(condition="none"),
    )
    services.append(client)

    def finished() -> dict[str, Any] | None:
        tasks = client.tasks()
        done = [t for t in tasks if t["Status"]["State"] in ("complete", "failed", "rejected")]
        return done[0] if done else None

    task = wait_until("the client task to finish", finished, timeout=90)
    assert swarm.node_number(task["NodeID"]) == 1
    assert task["Status"]["State"] == "complete", task["Status"]
    web_task = wait_until("the web task", lambda: web.tasks(filters={"desired-state": "running"}))
    assert swarm.node_number(web_task[0]["NodeID"]) == 2
    # What the client printed: node 2's container hostname, from node 1 across the VXLAN.
    container = swarm.clients[1].containers.list(
        all=True, filters={"label": "com.docker.swarm.service.name=dfsw-client"}
    )[0]
    web_container = swarm.clients[2].containers.list(
        filters={"label": "com.docker.swarm.service.name=dfsw-web"}
    )[0]
    # (Earlier tries may have printed "Terminated": the name resolves once the task is attached.)
    assert container.logs().decode().split()[-1] == web_container.attrs["Config"]["Hostname"]


def test_tasks_of_a_lost_node_move_to_the_others(
    swarm: Swarm, image: str, network: str, services: list[Any]
) -> None:
    service = _service(
        swarm,
        "dfsw-lost",
        image,
        ["sleep", "3600"],
        mode=ServiceMode("replicated", replicas=3),
        networks=[network],
        preferences=SPREAD,
    )
    services.append(service)
    wait_until("one replica per node", lambda: swarm.running_tasks(service) == [1, 2, 3])
    stopped = time.monotonic()
    try:
        result = swarm3("stop", "3")
        assert result.returncode == 0, result.stdout
        down_node = wait_until(
            "node 3 to be marked down",
            lambda: swarm.manager.nodes.get(swarm.node_ids[3]).attrs["Status"]["State"] == "down",
        )
        assert down_node
        marked_down_s = time.monotonic() - stopped

        def moved() -> list[int] | None:
            nodes = swarm.running_tasks(service)
            return nodes if len(nodes) == 3 and 3 not in nodes else None

        nodes = wait_until("3 replicas on nodes 1 and 2", moved, timeout=90)
        assert set(nodes) == {1, 2}
        print(
            f"\nnode 3 stopped: marked down after {marked_down_s:.1f} s,"
            f" its task running elsewhere after {time.monotonic() - stopped:.1f} s"
        )
    finally:
        result = swarm3("start", "3")
        assert result.returncode == 0, result.stdout
        wait_until(
            "node 3 to be ready again",
            lambda: swarm.manager.nodes.get(swarm.node_ids[3]).attrs["Status"]["State"] == "ready",
        )

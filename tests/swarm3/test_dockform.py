"""dockform's own tests on the three-node swarm: a real `dockform daemon --engine swarm
--registry 10.231.0.254:5000` on node 1 (the manager), driven through its API and CLI.

- An Image built FROM scratch (the static busybox) is pushed to the harness's registry, and a
  Container of three replicas spread over the zones runs one task on each node (the workers
  pulled the image from the registry).
- A placement constraint puts every replica on node 3; a changed constraint moves them to
  node 2 by an in-place update of the same service.
- Node 3 is lost while a new env rolls out (once its own replica runs the new env): the
  rollout completes on nodes 1 and 2, and the status shows node 3's task shut down; node 3
  then rejoins.
- An update whose tasks exit is rolled back by Swarm (failureAction: rollback), and dockform
  pins the previous revision.

Each test prints its figures (`pytest tests/swarm3 -s` shows them). The daemon has its own
--instance and home; every Docker object it makes carries `dockform.test=1`, and each test
deletes what it applied (the module's Image last, with its copies on every node).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from tests.integration.conftest import BUSYBOX_DOCKERFILE, BUSYBOX_PATH
from tests.integration.engine.conftest import Daemon, is_ready, start_daemon, teardown_daemon
from tests.swarm3.conftest import NODES, REGISTRY, Swarm, socket_url, swarm3, wait_until

# The image every test runs: one tag per session (the registry is the session's own).
IMAGE_NAME = "sw3-busybox"
IMAGE_REF = f"dockform-test/sw3-busybox:{secrets.token_hex(3)}"
PUSHED_REF = f"{REGISTRY}/{IMAGE_REF}"
ROLLOUT_TIMEOUT_S = 180


def node_name(node: int) -> str:
    """A node's hostname, as status shows it (scripts/swarm3 names them dfsw-N)."""
    return f"dfsw-{node}"


def image_yaml(context: Path) -> str:
    return f"""
apiVersion: dockform/v1
kind: Image
metadata: {{name: {IMAGE_NAME}}}
spec: {{ref: "{IMAGE_REF}", build: {{context: {context}}}}}
"""


def container_yaml(
    name: str,
    replicas: int,
    *,
    greeting: str = "one",
    command: str = "exec sleep 3600",
    constraints: tuple[str, ...] = (),
    spread: bool = False,
    update: str = "{parallelism: 1, monitor: 1s}",
) -> str:
    placement = []
    if constraints:
        placement.append(f"constraints: [{', '.join(repr(c) for c in constraints)}]")
    if spread:
        placement.append("preferences: [{spread: node.labels.zone}]")
    placement_line = f"  placement: {{{', '.join(placement)}}}\n" if placement else ""
    # busybox's sleep as PID 1 ignores SIGTERM: a short grace period, not the default 10 s.
    return f"""
apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec:
  image: {IMAGE_REF}
  command: [sh, -c, "{command}"]
  env: {{GREETING: {greeting}}}
  replicas: {replicas}
  update: {update}
{placement_line}  stopGracePeriod: 1s
"""


@pytest.fixture(scope="module")
def dockform(swarm: Swarm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """`dockform daemon --engine swarm --registry REGISTRY` on node 1 (DOCKER_HOST), stopped
    after the module once everything it made is deleted."""
    home = tmp_path_factory.mktemp("dockform-swarm3")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKER_HOST", socket_url(1))
        running = start_daemon(
            home,
            "--engine",
            "swarm",
            "--registry",
            REGISTRY,
            "--host-path-root",
            str(tmp_path_factory.getbasetemp()),
            test_root=False,
        )
    try:
        assert running.client.version()["engine"] == "swarm"
        yield running
    finally:
        teardown_daemon(running)


@pytest.fixture(scope="module")
def image(
    dockform: Daemon, swarm: Swarm, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The Image kind built FROM scratch with the static busybox on node 1 and pushed to the
    registry; its copies on every node are removed after the module."""
    context = tmp_path_factory.mktemp("sw3-busybox")
    shutil.copy2(BUSYBOX_PATH, context / "busybox")
    (context / "Dockerfile").write_text(BUSYBOX_DOCKERFILE)
    started = time.monotonic()
    dockform.client.apply(image_yaml(context))
    dockform.wait_phase("Image", IMAGE_NAME, "Ready", timeout_s=180)
    print(f"\nswarm3: Image built on node 1 and pushed in {time.monotonic() - started:.1f} s")
    yield IMAGE_REF
    dockform.client.delete("images", IMAGE_NAME)
    dockform.wait_gone("Image", IMAGE_NAME)
    for node in NODES:
        for ref in (PUSHED_REF, IMAGE_REF):
            # Never pulled there: nothing to remove.
            with contextlib.suppress(docker.errors.APIError):
                swarm.clients[node].images.remove(ref, force=True)


def observed(daemon: Daemon, name: str) -> dict[str, Any]:
    item = daemon.resource("Container", name) or {}
    return dict(item.get("status", {}).get("observed", {}))


def ready(daemon: Daemon, name: str, count: int) -> dict[str, Any] | None:
    """The Container once Ready with `count` of `count` replicas ready."""
    item = daemon.resource("Container", name)
    if item is None or not is_ready(item):
        return None
    facts = item["status"].get("observed", {})
    return item if facts.get("replicas") == count and facts.get("readyReplicas") == count else None


def status_nodes(item: dict[str, Any]) -> list[str]:
    """Nodes of the running tasks Swarm keeps running, as the status lists them, sorted."""
    return sorted(
        task["node"]
        for task in item["status"]["observed"].get("tasks") or []
        if (task["state"], task["desiredState"]) == ("running", "running")
    )


def service(swarm: Swarm, name: str) -> Any:
    return swarm.manager.services.get(name)


def task_env(task: dict[str, Any]) -> list[str]:
    return list(task["Spec"]["ContainerSpec"].get("Env") or [])


def running_tasks(swarm: Swarm, name: str) -> list[dict[str, Any]]:
    """The service's tasks that run and are meant to."""
    return [
        task
        for task in service(swarm, name).tasks(filters={"desired-state": "running"})
        if task.get("NodeID") and task["Status"]["State"] == "running"
    ]


def update_state(swarm: Swarm, name: str) -> str:
    return str((service(swarm, name).attrs.get("UpdateStatus") or {}).get("State") or "")


def picture(swarm: Swarm, name: str) -> str:
    """The service's rollout state and every task (node, state, desired state, env), for a
    failure message."""
    found = service(swarm, name)
    lines = [f"UpdateStatus: {found.attrs.get('UpdateStatus')}"]
    for task in sorted(found.tasks(), key=lambda task: (task.get("Slot", 0), task["CreatedAt"])):
        node = swarm.node_number(task["NodeID"]) if task.get("NodeID") else None
        status = task["Status"]
        lines.append(
            f"  slot {task.get('Slot')} node {node} {status['State']}/{task['DesiredState']}"
            f" {task_env(task)} {task['CreatedAt']} {status.get('Err') or ''}"
        )
    return "\n".join(lines)


def wait_with_picture(
    daemon: Daemon,
    swarm: Swarm,
    name: str,
    what: str,
    probe: Any,
    timeout_s: float = ROLLOUT_TIMEOUT_S,
) -> Any:
    """`daemon.wait_for`, failing with the service's tasks and rollout state as well."""
    try:
        return daemon.wait_for(what, probe, timeout_s)
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- swarm:\n{picture(swarm, name)}") from None


def remove(daemon: Daemon, swarm: Swarm, name: str) -> None:
    """Delete the Container through dockform; wait for its service and, on every node that
    answers, its task containers to be gone."""
    daemon.client.delete("containers", name)
    daemon.wait_gone("Container", name, timeout_s=60)

    def gone() -> bool:
        if swarm.manager.services.list(filters={"name": name}):
            return False
        for node in NODES:
            client = swarm.clients[node]
            try:
                left = client.containers.list(
                    all=True, filters={"label": f"com.docker.swarm.service.name={name}"}
                )
            except (docker.errors.APIError, docker.errors.DockerException):
                continue  # a stopped node: its containers go with scripts/swarm3 down
            if left:
                return False
        return True

    wait_until(f"service {name} and its containers gone", gone, timeout=60)


def test_an_image_pushed_to_the_registry_runs_on_all_three_nodes(
    dockform: Daemon, swarm: Swarm, image: str
) -> None:
    # The registry has the ref dockform pushed, with the digest of node 1's image.
    built = swarm.manager.images.get(PUSHED_REF)
    assert IMAGE_REF in built.tags and PUSHED_REF in built.tags
    assert built.labels.get("dockform.test") == "1"
    in_registry = swarm.manager.images.get_registry_data(PUSHED_REF)
    assert f"{REGISTRY}/dockform-test/sw3-busybox@{in_registry.id}" in built.attrs["RepoDigests"]
    for node in (2, 3):
        with pytest.raises(docker.errors.ImageNotFound):
            swarm.clients[node].images.get(PUSHED_REF)

    name = f"sw3-spread-{secrets.token_hex(3)}"
    started = time.monotonic()
    dockform.client.apply(container_yaml(name, 3, spread=True))
    item = dockform.wait_for("3/3 ready", lambda: ready(dockform, name, 3), ROLLOUT_TIMEOUT_S)
    ready_s = time.monotonic() - started
    nodes = {node_name(n) for n in NODES}
    assert status_nodes(item) == sorted(nodes), item["status"]["observed"]["tasks"]
    spec = service(swarm, name).attrs["Spec"]
    assert spec["TaskTemplate"]["ContainerSpec"]["Image"].startswith(f"{PUSHED_REF}")
    assert spec["TaskTemplate"]["Placement"]["Preferences"] == [
        {"Spread": {"SpreadDescriptor": "node.labels.zone"}}
    ]
    # The workers pulled it from the registry: the same image as node 1's.
    for node in (2, 3):
        assert swarm.clients[node].images.get(PUSHED_REF).id == built.id
    print(f"\nswarm3: 3 replicas over three nodes ready {ready_s:.1f} s after the apply")
    remove(dockform, swarm, name)


def test_a_constraint_places_every_replica_and_a_new_one_moves_them_in_place(
    dockform: Daemon, swarm: Swarm, image: str
) -> None:
    name = f"sw3-place-{secrets.token_hex(3)}"
    dockform.client.apply(container_yaml(name, 2, constraints=("node.labels.zone==c",)))
    item = dockform.wait_for("2/2 ready", lambda: ready(dockform, name, 2), ROLLOUT_TIMEOUT_S)
    assert status_nodes(item) == [node_name(3)] * 2
    assert swarm.running_tasks(service(swarm, name)) == [3, 3]
    service_id = service(swarm, name).id

    started = time.monotonic()
    dockform.client.apply(container_yaml(name, 2, constraints=("node.labels.zone==b",)))

    def moved() -> dict[str, Any] | None:
        item = ready(dockform, name, 2)
        if item is None or status_nodes(item) != [node_name(2)] * 2:
            return None
        return item if swarm.running_tasks(service(swarm, name)) == [2, 2] else None

    item = dockform.wait_for("both replicas on node 2", moved, ROLLOUT_TIMEOUT_S)
    moved_s = time.monotonic() - started
    assert service(swarm, name).id == service_id  # updated in place, not replaced
    assert item["generation"] == 2
    constraints = service(swarm, name).attrs["Spec"]["TaskTemplate"]["Placement"]["Constraints"]
    assert constraints == ["node.labels.zone==b"]
    print(f"\nswarm3: 2 replicas moved from node 3 to node 2 in {moved_s:.1f} s")
    remove(dockform, swarm, name)


def test_a_node_lost_mid_rollout_the_rollout_completes_on_the_others(
    dockform: Daemon, swarm: Swarm, image: str
) -> None:
    name = f"sw3-lost-{secrets.token_hex(3)}"
    update = "{parallelism: 1, delay: 3s, monitor: 1s}"
    dockform.client.apply(container_yaml(name, 3, spread=True, update=update))
    dockform.wait_for("3/3 ready", lambda: ready(dockform, name, 3), ROLLOUT_TIMEOUT_S)
    assert swarm.running_tasks(service(swarm, name)) == [1, 2, 3]
    service_id = service(swarm, name).id

    started = time.monotonic()
    dockform.client.apply(container_yaml(name, 3, greeting="two", spread=True, update=update))

    # Node 3 is stopped once its own slot runs the new env, the rollout still under way.
    # Stopped earlier, Swarm may give the new task of node 3's slot to node 3 in the seconds
    # before it marks the node down; that task never runs, and Swarm 20.10's updater waits for
    # it with no timeout: the rollout stays "updating" until node 3 is back (seen here).
    def node_3_updated() -> list[dict[str, Any]] | None:
        new = [t for t in running_tasks(swarm, name) if "GREETING=two" in task_env(t)]
        on_3 = any(swarm.node_number(t["NodeID"]) == 3 for t in new)
        return new if on_3 and update_state(swarm, name) == "updating" else None

    updated = wait_until("node 3's replica on the new env", node_3_updated, timeout=120)
    stopped = time.monotonic()
    try:
        result = swarm3("stop", "3")
        assert result.returncode == 0, result.stdout
        assert update_state(swarm, name) == "updating", "the rollout ended before node 3 stopped"

        def completed() -> dict[str, Any] | None:
            tasks = running_tasks(swarm, name)
            if len(tasks) != 3 or update_state(swarm, name) != "completed":
                return None
            if not all("GREETING=two" in task_env(task) for task in tasks):
                return None
            # Ready: the rollout dockform shows is over too (Running, not RollingOut).
            return ready(dockform, name, 3)

        item = wait_with_picture(
            dockform, swarm, name, "the rollout complete on nodes 1-2", completed
        )
        rollout_s = time.monotonic() - started
        assert {swarm.node_number(t["NodeID"]) for t in running_tasks(swarm, name)} <= {1, 2}
        assert set(status_nodes(item)) <= {node_name(1), node_name(2)}
        assert len(status_nodes(item)) == 3
        # Status shows node 3's task shut down (Swarm's last word from it: running).
        tasks = item["status"]["observed"]["tasks"]
        lost = [task for task in tasks if task["node"] == node_name(3)]
        assert lost and all(task["desiredState"] == "shutdown" for task in lost), (
            f"{tasks}\n{picture(swarm, name)}"
        )
        assert service(swarm, name).id == service_id
        print(
            f"\nswarm3: rollout of 3 replicas (parallelism 1, delay 3s) with node 3 lost"
            f" {stopped - started:.1f} s in ({len(updated)} of 3 updated):"
            f" complete on nodes 1-2 {rollout_s:.1f} s after the apply;"
            f" status: {[(t['node'], t['state'], t['desiredState']) for t in tasks]}"
        )
    finally:
        result = swarm3("start", "3")
        assert result.returncode == 0, result.stdout
        wait_until(
            "node 3 ready again",
            lambda: swarm.manager.nodes.get(swarm.node_ids[3]).attrs["Status"]["State"] == "ready",
            timeout=90,
        )
    rejoined_s = time.monotonic() - stopped
    print(f"swarm3: node 3 back and ready {rejoined_s:.1f} s after it was stopped")
    remove(dockform, swarm, name)


def test_a_failing_update_is_rolled_back_and_the_previous_revision_pinned(
    dockform: Daemon, swarm: Swarm, image: str
) -> None:
    name = f"sw3-back-{secrets.token_hex(3)}"
    update = "{parallelism: 1, monitor: 2s, failureAction: rollback}"
    dockform.client.apply(container_yaml(name, 2, spread=True, update=update))
    dockform.wait_for("2/2 ready", lambda: ready(dockform, name, 2), ROLLOUT_TIMEOUT_S)
    service_id = service(swarm, name).id

    started = time.monotonic()
    dockform.client.apply(
        container_yaml(name, 2, greeting="bad", command="exit 3", spread=True, update=update)
    )

    def pinned() -> dict[str, Any] | None:
        item = dockform.resource("Container", name)
        return item if item and item.get("pin") else None

    item = wait_with_picture(dockform, swarm, name, "the rollout rolled back and pinned", pinned)
    pinned_s = time.monotonic() - started
    assert item["pin"]["rolledBackTo"] == 1, item["pin"]
    assert item["generation"] == 3  # the rollback is a new generation: a copy of the first

    def back_on_one() -> dict[str, Any] | None:
        tasks = running_tasks(swarm, name)
        if len(tasks) != 2 or not all("GREETING=one" in task_env(task) for task in tasks):
            return None
        # Not `ready()`: Swarm's UpdateStatus stays rollback_completed until the next update,
        # and the status with it (reason RolledBack, Ready False), unlike one host's rollback.
        item = dockform.resource("Container", name) or {}
        facts = item.get("status", {}).get("observed", {})
        return item if facts.get("replicas") == 2 and facts.get("readyReplicas") == 2 else None

    item = wait_with_picture(dockform, swarm, name, "2/2 ready on the old env", back_on_one)
    back_s = time.monotonic() - started
    spec = service(swarm, name).attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert "GREETING=one" in spec["Env"] and spec["Args"] == ["sh", "-c", "exec sleep 3600"]
    assert service(swarm, name).id == service_id
    history = dockform.cli("history", f"container/{name}")
    assert history.returncode == 0, history.stderr
    assert "pinned: rolled back to generation 1" in history.stdout, history.stdout
    status = item["status"]
    print(
        f"\nswarm3: a failing update (exit 3, monitor 2s) rolled back and pinned"
        f" {pinned_s:.1f} s after the apply; 2/2 ready on the old env after {back_s:.1f} s"
        f" (status then: {status['phase']}, reason {status.get('reason')})"
    )
    remove(dockform, swarm, name)


def test_a_volume_is_made_with_its_driver_options_on_the_node_that_runs_the_task(
    dockform: Daemon, swarm: Swarm, image: str
) -> None:
    # The Volume is made on node 1 (the manager); the task runs on node 2, where Swarm makes
    # the volume from the service's mount: the same driver, options and labels.
    name = f"sw3-vol-{secrets.token_hex(3)}"
    volume = f"{name}-data"
    dockform.client.apply(
        f"""
apiVersion: dockform/v1
kind: Volume
metadata: {{name: {volume}}}
spec:
  driverOpts: {{type: tmpfs, device: tmpfs, o: "size=1m"}}
  reclaimPolicy: Delete
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec:
  image: {IMAGE_REF}
  command: [sh, -c, "echo kept > /data/file && exec sleep 3600"]
  replicas: 1
  placement: {{constraints: ["node.labels.zone==b"]}}
  volumes: [{{volume: {volume}, mountPath: /data}}]
  stopGracePeriod: 1s
"""
    )
    dockform.wait_for("1/1 ready", lambda: ready(dockform, name, 1), ROLLOUT_TIMEOUT_S)
    assert swarm.running_tasks(service(swarm, name)) == [2]
    on_node_2 = swarm.clients[2].volumes.get(volume).attrs
    assert on_node_2["Driver"] == "local"
    assert on_node_2["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    assert on_node_2["Labels"].get("dockform.test") == "1"
    remove(dockform, swarm, name)
    dockform.client.delete("volumes", volume)
    dockform.wait_gone("Volume", volume)
    swarm.clients[2].volumes.get(volume).remove()

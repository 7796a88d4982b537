"""Replicas and rolling updates on one host (issue 13 item 3), on the real dockerd: NAME-1 ..
NAME-N reachable together by NAME, each repaired alone, `dockform scale`; a new spec rolled
out batch by batch after each batch is healthy; a failing batch pauses the rollout or rolls
it back; start-first keeps the old copy until its successor is ready; a fixed hostPort with
several replicas is refused."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import docker
import pytest

from tests.integration.engine.conftest import Daemon

pytestmark = pytest.mark.integration


def manifests(
    name: str,
    image: str,
    *,
    replicas: int,
    greeting: str = "one",
    command: str = "sleep 600",
    update: str = "{parallelism: 1, monitor: 1s}",
    extra: str = "",
) -> str:
    return f"""apiVersion: dockform/v1
kind: Network
metadata: {{name: {name}-net}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec:
  image: {image}
  command: ["sh", "-c", "{command}"]
  env: {{GREETING: {greeting}}}
  networks: [{name}-net]
  replicas: {replicas}
  update: {update}
  stopGracePeriod: 1s
  healthcheck: {{command: ["true"], interval: 1s, timeout: 2s, retries: 1}}
{extra}"""


def replicas_of(client: docker.DockerClient, name: str) -> dict[str, Any]:
    """Replica name -> container, for NAME-1 .. (and any NAME-i.old)."""
    listed = client.containers.list(
        all=True, sparse=True, filters={"label": f"io.dockform.name={name}"}
    )
    found = {}
    for summary in listed:
        try:  # one replaced meanwhile is simply not there any more
            container = client.containers.get(summary.id)
        except docker.errors.NotFound:
            continue
        found[container.name] = container
    return found


def env_of(container: Any) -> str | None:
    env = container.attrs["Config"]["Env"]
    return next((item.split("=", 1)[1] for item in env if item.startswith("GREETING=")), None)


def settled(daemon: Daemon, name: str, ready: int, replicas: int) -> dict[str, Any] | None:
    item = daemon.resource("Container", name)
    if item is None or item["status"].get("observedGeneration") != item["generation"]:
        return None
    observed = item["status"].get("observed", {})
    rollout = observed.get("rollout") or {}
    done = (
        observed.get("replicas") == replicas
        and observed.get("readyReplicas") == ready
        and rollout.get("state") in (None, "Running")
    )
    return item if done else None


def all_on(client: docker.DockerClient, name: str, greeting: str, count: int) -> bool:
    found = replicas_of(client, name)
    names = {f"{name}-{index}" for index in range(1, count + 1)}
    return set(found) == names and all(
        env_of(container) == greeting and container.status == "running"
        for container in found.values()
    )


def remove(daemon: Daemon, client: docker.DockerClient, name: str) -> None:
    daemon.client.delete("containers", name)
    daemon.client.delete("networks", f"{name}-net")
    daemon.wait_for("replicas gone", lambda: not replicas_of(client, name) or None)


def started_at(container: Any) -> datetime:
    container.reload()
    return datetime.fromisoformat(container.attrs["State"]["StartedAt"][:26] + "+00:00")


def test_replicas_answer_by_name_are_repaired_alone_and_scale(
    daemon: Daemon, busybox_image: str, unique: str, docker_client: docker.DockerClient
) -> None:
    name = f"{unique}-web"
    daemon.client.apply(manifests(name, busybox_image, replicas=3))
    daemon.wait_for("3/3 ready", lambda: settled(daemon, name, 3, 3), timeout_s=90)
    found = replicas_of(docker_client, name)
    assert sorted(found) == [f"{name}-1", f"{name}-2", f"{name}-3"]
    shown = daemon.cli("get", "containers")
    assert shown.returncode == 0, shown.stderr
    assert f"{name} " in shown.stdout and "3/3" in shown.stdout

    # NAME resolves to every replica on their network (Docker's DNS, inside the network).
    code, output = found[f"{name}-1"].exec_run(["nslookup", name])
    addresses = {
        container.attrs["NetworkSettings"]["Networks"][f"{name}-net"]["IPAddress"]
        for container in (docker_client.containers.get(n) for n in found)
    }
    assert code == 0, output
    assert all(address in output.decode() for address in addresses), output

    # A replica removed by hand comes back; the others are left alone.
    kept = {n: found[n].id for n in (f"{name}-1", f"{name}-3")}
    found[f"{name}-2"].remove(force=True)
    daemon.wait_for(
        "replica 2 back",
        lambda: f"{name}-2" in replicas_of(docker_client, name) and settled(daemon, name, 3, 3),
        timeout_s=60,
    )
    again = replicas_of(docker_client, name)
    assert {n: again[n].id for n in kept} == kept

    scaled = daemon.cli("scale", f"container/{name}", "1")
    assert scaled.returncode == 0, scaled.stderr
    daemon.wait_for("1/1", lambda: settled(daemon, name, 1, 1), timeout_s=60)
    daemon.wait_for("one left", lambda: list(replicas_of(docker_client, name)) == [f"{name}-1"])
    assert replicas_of(docker_client, name)[f"{name}-1"].id == kept[f"{name}-1"]
    history = daemon.cli("history", f"container/{name}")
    assert "scale" in history.stdout and "replicas" in history.stdout
    remove(daemon, docker_client, name)


def test_a_new_spec_rolls_out_one_healthy_batch_at_a_time(
    daemon: Daemon, busybox_image: str, unique: str, docker_client: docker.DockerClient
) -> None:
    name = f"{unique}-roll"
    daemon.client.apply(manifests(name, busybox_image, replicas=3))
    daemon.wait_for("3/3 ready", lambda: settled(daemon, name, 3, 3), timeout_s=90)
    daemon.client.apply(manifests(name, busybox_image, replicas=3, greeting="two"))
    daemon.wait_for("all on two", lambda: all_on(docker_client, name, "two", 3), timeout_s=120)
    daemon.wait_for("3/3 again", lambda: settled(daemon, name, 3, 3), timeout_s=60)
    starts = sorted(started_at(c) for c in replicas_of(docker_client, name).values())
    # parallelism 1, monitor 1s: each batch starts after the one before is healthy and has
    # run for its monitor time.
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(starts)]
    assert all(gap >= 1.0 for gap in gaps), gaps
    item = daemon.resource("Container", name)
    assert item is not None
    replicas = item["status"]["observed"]["replicaStatuses"]
    assert {replica["generation"] for replica in replicas} == {item["generation"]}
    remove(daemon, docker_client, name)


def test_a_failing_batch_pauses_the_rollout(
    daemon: Daemon, busybox_image: str, unique: str, docker_client: docker.DockerClient
) -> None:
    name = f"{unique}-pause"
    daemon.client.apply(manifests(name, busybox_image, replicas=3))
    daemon.wait_for("3/3 ready", lambda: settled(daemon, name, 3, 3), timeout_s=90)
    daemon.client.apply(
        manifests(name, busybox_image, replicas=3, greeting="bad", command="exit 3")
    )

    def paused() -> dict[str, Any] | None:
        item = daemon.resource("Container", name)
        return item if item and item["status"]["reason"] == "RolloutPaused" else None

    item = daemon.wait_for("paused", paused, timeout_s=90)
    assert "exit" in item["status"]["message"] or "restart" in item["status"]["message"]
    found = replicas_of(docker_client, name)
    old = [n for n, container in found.items() if env_of(container) == "one"]
    assert len(old) == 2, {n: env_of(c) for n, c in found.items()}
    remove(daemon, docker_client, name)


def test_a_failing_batch_rolls_back_to_the_previous_revision(
    daemon: Daemon, busybox_image: str, unique: str, docker_client: docker.DockerClient
) -> None:
    name = f"{unique}-back"
    update = "{parallelism: 1, monitor: 1s, failureAction: rollback}"
    daemon.client.apply(manifests(name, busybox_image, replicas=2, update=update))
    daemon.wait_for("2/2 ready", lambda: settled(daemon, name, 2, 2), timeout_s=90)
    daemon.client.apply(
        manifests(name, busybox_image, replicas=2, update=update, greeting="bad", command="exit 3")
    )

    def rolled_back() -> dict[str, Any] | None:
        item = daemon.resource("Container", name)
        return item if item and item.get("pin") else None

    item = daemon.wait_for("rolled back", rolled_back, timeout_s=90)
    assert item["generation"] == 3 and item["pin"]["rolledBackTo"] == 1
    daemon.wait_for("all on one", lambda: all_on(docker_client, name, "one", 2), timeout_s=90)
    daemon.wait_for("2/2 again", lambda: settled(daemon, name, 2, 2), timeout_s=60)
    events = daemon.cli("describe", f"container/{name}")
    assert "RolledBack" in events.stdout
    remove(daemon, docker_client, name)


def test_start_first_keeps_the_old_copy_until_its_successor_is_ready(
    daemon: Daemon, busybox_image: str, unique: str, docker_client: docker.DockerClient
) -> None:
    name = f"{unique}-sf"
    update = "{order: start-first, monitor: 1s}"
    daemon.client.apply(manifests(name, busybox_image, replicas=2, update=update))
    daemon.wait_for("2/2 ready", lambda: settled(daemon, name, 2, 2), timeout_s=90)
    daemon.client.apply(manifests(name, busybox_image, replicas=2, update=update, greeting="two"))
    daemon.wait_for("all on two", lambda: all_on(docker_client, name, "two", 2), timeout_s=120)
    daemon.wait_for("2/2 again", lambda: settled(daemon, name, 2, 2), timeout_s=60)
    described = daemon.cli("describe", f"container/{name}")
    assert "Renamed" in described.stdout, described.stdout
    assert f"{name}-1.old" not in replicas_of(docker_client, name)
    remove(daemon, docker_client, name)


def test_a_fixed_host_port_with_replicas_is_refused(
    daemon: Daemon, busybox_image: str, unique: str, docker_client: docker.DockerClient
) -> None:
    name = f"{unique}-port"
    ports = "  ports: [{containerPort: 80, hostPort: 18089, hostIP: 127.0.0.1}]\n"
    daemon.client.apply(manifests(name, busybox_image, replicas=2, extra=ports))

    def refused() -> dict[str, Any] | None:
        item = daemon.resource("Container", name)
        return item if item and item["status"]["reason"] == "InvalidSpec" else None

    item = daemon.wait_for("refused", refused, timeout_s=60)
    assert "hostPort" in item["status"]["message"]
    assert item["status"]["phase"] == "Failed"
    assert replicas_of(docker_client, name) == {}
    remove(daemon, docker_client, name)

"""Issue 3 end to end: a multi-container app on two networks with a volume and a health-gated
dependency, on the real dockerd: order, names, data, crash safety, GC, health repair."""

from __future__ import annotations

import signal
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.engine.conftest import Daemon, EventRecorder, start_daemon, teardown_daemon

pytestmark = pytest.mark.integration


def app_yaml(p: str, context: Path, subnet: str = "", internal: bool = False) -> str:
    """Image + networks front/back + volume + db (healthy) <- api <- web."""
    subnet_line = f"  subnet: {subnet}\n" if subnet else ""
    return f"""
apiVersion: dockform/v1
kind: Image
metadata: {{name: {p}-img}}
spec: {{ref: "dockform-test/{p}:latest", build: {{context: {context}}}}}
---
apiVersion: dockform/v1
kind: Network
metadata: {{name: {p}-front}}
spec: {{labels: {{tier: front}}}}
---
apiVersion: dockform/v1
kind: Network
metadata: {{name: {p}-back}}
spec:
  internal: {str(internal).lower()}
{subnet_line}---
apiVersion: dockform/v1
kind: Volume
metadata: {{name: {p}-data}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {p}-db}}
spec:
  image: dockform-test/{p}:latest
  command:
    - sh
    - -c
    - mkdir -p /data && echo db-ok > /data/index.html && sleep 1 && exec httpd -f -p 8080 -h /data
  networks: [{p}-back]
  volumes: [{{volume: {p}-data, mountPath: /data}}]
  healthcheck:
    command: ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
    interval: 1s
    timeout: 1s
    retries: 2
  stopGracePeriod: 1s
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {p}-api}}
spec:
  image: dockform-test/{p}:latest
  command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
  networks: [{p}-back, {p}-front]
  dependsOn: [{{name: {p}-db, condition: Healthy}}]
  stopGracePeriod: 1s
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {p}-web}}
spec:
  image: dockform-test/{p}:latest
  command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
  networks: [{p}-front]
  dependsOn: [{{name: {p}-api}}]
  stopGracePeriod: 1s
"""


CONTAINERS = ("db", "api", "web")


def wait_app(daemon: Daemon, p: str, timeout_s: float = 90) -> dict[str, dict[str, Any]]:
    return {
        role: daemon.wait_phase(
            "Container", f"{p}-{role}", "Running", ready=True, timeout_s=timeout_s
        )
        for role in CONTAINERS
    }


def exec_in(client: docker.DockerClient, container: str, *command: str) -> tuple[int, str]:
    # Note: busybox 1.35's wget crashes with -T; bound waits with `timeout` instead.
    result = client.containers.get(container).exec_run(list(command))
    return result.exit_code, result.output.decode(errors="replace")


def parse_time(text: str) -> datetime:
    # Docker gives nanoseconds; datetime takes microseconds.
    head, _, rest = text.partition(".")
    fraction = rest.rstrip("Z")[:6]
    return datetime.fromisoformat(f"{head}.{fraction}+00:00")


def labelled(client: docker.DockerClient, daemon: Daemon, name: str) -> list[Any]:
    return client.containers.list(
        all=True,
        filters={"label": [daemon.label, f"io.dockform.name={name}"]},
        ignore_removed=True,  # a container removed between the list and its inspect
    )


def test_app_starts_in_dependency_order_and_peers_reach_each_other(
    daemon: Daemon, app_dir: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    daemon.client.apply(app_yaml(unique, app_dir))
    items = wait_app(daemon, unique)

    db = docker_client.containers.get(f"{unique}-db").attrs
    api = docker_client.containers.get(f"{unique}-api").attrs
    web = docker_client.containers.get(f"{unique}-web").attrs
    first_healthy = min(
        parse_time(entry["End"]) for entry in db["State"]["Health"]["Log"] if entry["ExitCode"] == 0
    )
    assert parse_time(api["State"]["StartedAt"]) >= first_healthy
    assert parse_time(web["State"]["StartedAt"]) >= parse_time(api["State"]["StartedAt"])

    # Peers reach each other by container name on the networks they share.
    reply = exec_in(
        docker_client, f"{unique}-api", "wget", "-q", "-O", "-", f"http://{unique}-db:8080/"
    )
    events = daemon.client.events(limit=200)
    assert reply == (0, "db-ok\n"), (reply, db["State"], events)
    assert db["Id"] == items["db"]["status"]["observed"]["containerId"]
    code, _ = exec_in(
        docker_client,
        f"{unique}-web",
        "wget",
        "-q",
        "-O",
        "/dev/null",
        f"http://{unique}-api:8080/",
    )
    assert code == 0
    # web is not on the back network: db's name does not resolve there.
    code, _ = exec_in(
        docker_client,
        f"{unique}-web",
        "timeout",
        "3",
        "wget",
        "-q",
        "-O",
        "/dev/null",
        f"http://{unique}-db:8080/",
    )
    assert code != 0
    assert set(items["api"]["status"]["observed"]["addresses"]) == {
        f"{unique}-back",
        f"{unique}-front",
    }
    network = daemon.wait_phase("Network", f"{unique}-front", "Ready")
    assert docker_client.networks.get(f"{unique}-front").attrs["Labels"]["tier"] == "front"
    assert network["status"]["observed"]["networkId"]


def test_container_waits_with_a_reason_naming_the_dependency(
    daemon: Daemon, app_dir: Path, unique: str
) -> None:
    manifest = f"""
apiVersion: dockform/v1
kind: Container
metadata: {{name: {unique}-lonely}}
spec:
  image: dockform-test/busybox:latest
  command: ["sleep", "600"]
  networks: [{unique}-nowhere]
  dependsOn: [{{name: {unique}-ghost, condition: Healthy}}]
"""
    daemon.client.apply(manifest)
    item = daemon.wait_for(
        "waiting reason",
        lambda: (
            (i := daemon.resource("Container", f"{unique}-lonely"))
            and i["status"]["reason"] == "Waiting"
            and i
        ),
    )
    message = item["status"]["message"]
    assert f"Network/{unique}-nowhere" in message and f"Container/{unique}-ghost" in message
    assert item["status"]["phase"] == "Pending"


def test_volume_data_survives_delete_and_reapply(
    daemon: Daemon, app_dir: Path, unique: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(app_yaml(unique, app_dir))
    assert daemon.cli("apply", "-f", str(manifest)).returncode == 0
    wait_app(daemon, unique)
    code, _ = exec_in(docker_client, f"{unique}-db", "sh", "-c", "echo precious > /data/keep.txt")
    assert code == 0

    result = daemon.cli("delete", "-f", str(manifest))
    assert result.returncode == 0, result.stderr
    for role in CONTAINERS:
        daemon.wait_gone("Container", f"{unique}-{role}")
    for kind, name in (
        ("Network", f"{unique}-front"),
        ("Network", f"{unique}-back"),
        ("Volume", f"{unique}-data"),
    ):
        daemon.wait_gone(kind, name)
    # Deletion order: every container was removed before the networks it uses (db is not on
    # front: front may go before db, as soon as api and web are gone).
    events = daemon.client.events(limit=1000)
    deleted = {(e["kind"], e["name"]): e["id"] for e in events if e["reason"] == "Deleted"}
    uses = {"db": ("back",), "api": ("back", "front"), "web": ("front",)}
    for role, networks in uses.items():
        for network in networks:
            container = deleted[("Container", f"{unique}-{role}")]
            assert container < deleted[("Network", f"{unique}-{network}")], (role, network)
    with pytest.raises(docker.errors.NotFound):
        docker_client.networks.get(f"{unique}-back")
    # Retain (the default) kept the volume and its data.
    assert docker_client.volumes.get(f"{unique}-data").name == f"{unique}-data"

    assert daemon.cli("apply", "-f", str(manifest)).returncode == 0
    wait_app(daemon, unique)
    assert exec_in(docker_client, f"{unique}-db", "cat", "/data/keep.txt") == (0, "precious\n")
    daemon.client.delete("volumes", f"{unique}-data")
    daemon.wait_gone("Volume", f"{unique}-data", timeout_s=30)
    assert docker_client.volumes.get(f"{unique}-data")  # still Retained
    for role in CONTAINERS:
        daemon.client.delete("containers", f"{unique}-{role}")
    for role in CONTAINERS:
        daemon.wait_gone("Container", f"{unique}-{role}")
    docker_client.volumes.get(f"{unique}-data").remove()


def test_reclaim_delete_removes_the_volume(
    daemon: Daemon, unique: str, docker_client: docker.DockerClient
) -> None:
    manifest = f"""
apiVersion: dockform/v1
kind: Volume
metadata: {{name: {unique}-scratch}}
spec: {{reclaimPolicy: Delete, labels: {{purpose: scratch}}}}
"""
    daemon.client.apply(manifest)
    daemon.wait_phase("Volume", f"{unique}-scratch", "Ready")
    assert docker_client.volumes.get(f"{unique}-scratch").attrs["Labels"]["purpose"] == "scratch"
    daemon.client.delete("volumes", f"{unique}-scratch")
    daemon.wait_gone("Volume", f"{unique}-scratch")
    with pytest.raises(docker.errors.NotFound):
        docker_client.volumes.get(f"{unique}-scratch")


def test_network_spec_change_replaces_it_and_reattaches_containers(
    daemon: Daemon, app_dir: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    daemon.client.apply(app_yaml(unique, app_dir))
    wait_app(daemon, unique)
    old_id = docker_client.networks.get(f"{unique}-back").id
    api_id = docker_client.containers.get(f"{unique}-api").id
    daemon.client.apply(app_yaml(unique, app_dir, internal=True))

    def replaced() -> bool:
        try:
            network = docker_client.networks.get(f"{unique}-back")
        except docker.errors.NotFound:
            return False
        if network.id == old_id or not network.attrs["Internal"]:
            return False
        names = set(
            docker_client.containers.get(f"{unique}-api").attrs["NetworkSettings"]["Networks"]
        )
        return f"{unique}-back" in names

    daemon.wait_for("network replaced and api reattached", replaced, timeout_s=30)
    assert docker_client.containers.get(f"{unique}-api").id == api_id  # not recreated

    def reachable() -> bool:
        return (
            exec_in(
                docker_client,
                f"{unique}-api",
                "timeout",
                "3",
                "wget",
                "-q",
                "-O",
                "-",
                f"http://{unique}-db:8080/",
            )[0]
            == 0
        )

    daemon.wait_for("db reachable again over the new network", reachable, timeout_s=30)


def test_network_used_by_unmanaged_container_is_reported_not_forced(
    daemon: Daemon, unique: str, docker_client: docker.DockerClient, busybox_image: str
) -> None:
    net = f"{unique}-shared"
    daemon.client.apply(f"apiVersion: dockform/v1\nkind: Network\nmetadata: {{name: {net}}}\n")
    daemon.wait_phase("Network", net, "Ready")
    stranger = docker_client.containers.run(
        busybox_image,
        ["sleep", "120"],
        detach=True,
        network=net,
        labels={"dockform.test": "1"},
        name=f"{unique}-stranger",
    )
    try:
        daemon.client.apply(
            f"apiVersion: dockform/v1\nkind: Network\nmetadata: {{name: {net}}}\n"
            "spec: {internal: true}\n"
        )
        item = daemon.wait_for(
            "InUseByUnmanaged",
            lambda: (
                (i := daemon.resource("Network", net))
                and i["status"]["reason"] == "InUseByUnmanaged"
                and i
            ),
        )
        assert f"{unique}-stranger" in item["status"]["message"]
        stranger.reload()
        assert stranger.status == "running"
        daemon.client.delete("networks", net)
        waiting = daemon.wait_for(
            "Terminating while in use",
            lambda: (
                (i := daemon.resource("Network", net))
                and i["status"]["phase"] == "Terminating"
                and i
            ),
        )
        assert f"{unique}-stranger" in waiting["status"]["message"]
    finally:
        stranger.remove(force=True)
    daemon.wait_gone("Network", net)


def test_unhealthy_container_is_restarted_with_backoff(
    daemon: Daemon, unique: str, docker_client: docker.DockerClient, busybox_image: str
) -> None:
    manifest = f"""
apiVersion: dockform/v1
kind: Container
metadata: {{name: {unique}-sick}}
spec:
  image: {busybox_image}
  command: ["sleep", "600"]
  healthcheck: {{command: ["false"], interval: 1s, timeout: 1s, retries: 1}}
  stopGracePeriod: 1s
"""
    daemon.client.apply(manifest)

    def crash_looping() -> dict[str, Any] | None:
        item = daemon.resource("Container", f"{unique}-sick")
        if item and item["status"]["reason"] == "CrashLoopBackOff":
            return item
        return None

    item = daemon.wait_for("CrashLoopBackOff", crash_looping, timeout_s=60)
    assert item["status"]["observed"]["unhealthyRestarts"] >= 2
    assert item["status"]["nextRetryAt"]
    assert "next restart in" in item["status"]["message"]
    reasons = [e["reason"] for e in daemon.client.events(kind="Container", name=f"{unique}-sick")]
    assert "Restarted" in reasons
    daemon.client.delete("containers", f"{unique}-sick")
    daemon.wait_gone("Container", f"{unique}-sick")


def test_killed_daemon_converges_without_duplicates_and_restart_changes_nothing(
    tmp_path: Path,
    app_dir: Path,
    unique: str,
    docker_client: docker.DockerClient,
    docker_runtime: Any,
) -> None:
    home = tmp_path / "home"
    current = start_daemon(home)
    try:
        current.client.apply(app_yaml(unique, app_dir))
        time.sleep(1.0)  # mid-converge: the image build or the first containers are under way
        current.stop(signal.SIGKILL)
        current = start_daemon(home)
        wait_app(current, unique)
        for role in CONTAINERS:
            assert len(labelled(docker_client, current, f"{unique}-{role}")) == 1
        networks = docker_client.networks.list(filters={"label": [current.label]})
        assert sorted(n.name for n in networks) == sorted([f"{unique}-back", f"{unique}-front"])

        current.stop()
        recorder = EventRecorder(docker_client, current)
        current = start_daemon(home)
        wait_app(current, unique)
        assert recorder.collect(settle_s=3) == []
    finally:
        teardown_daemon(current)


def test_garbage_collection_after_a_manual_store_edit(
    tmp_path: Path,
    app_dir: Path,
    unique: str,
    docker_client: docker.DockerClient,
    docker_runtime: Any,
) -> None:
    home = tmp_path / "home"
    current = start_daemon(home)
    try:
        current.client.apply(app_yaml(unique, app_dir))
        wait_app(current, unique)
        current.stop()
        with sqlite3.connect(home / "dockform.db") as db:
            db.execute(
                "DELETE FROM resources WHERE name IN (?, ?)", (f"{unique}-web", f"{unique}-data")
            )
        current = start_daemon(home)
        # The resync (every 5 s in tests) removes the container no resource owns...
        current.wait_for(
            "orphan container collected",
            lambda: not labelled(docker_client, current, f"{unique}-web"),
            timeout_s=30,
        )
        # ...and reports, but keeps, the orphaned volume.
        current.wait_for(
            "orphaned volume reported",
            lambda: any(
                e["reason"] == "OrphanedVolume"
                for e in current.client.events(kind="Volume", name=f"{unique}-data")
            ),
            timeout_s=30,
        )
        assert docker_client.volumes.get(f"{unique}-data")
        assert docker_client.containers.get(f"{unique}-db").status == "running"
    finally:
        teardown_daemon(current)
        docker_client.volumes.get(f"{unique}-data").remove(force=True)

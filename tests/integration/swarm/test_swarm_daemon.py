"""`dockform daemon --engine swarm` end to end on the single-node swarm: a network, a volume
and two Containers (one dependsOn the other) become an overlay, a volume and two services
that reach Ready; a service removed by hand comes back; a changed env updates the service
in place (Swarm replaces its task)."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from typing import Any

import docker
import pytest

from tests.integration.engine.conftest import Daemon, start_daemon, teardown_daemon

pytestmark = pytest.mark.integration


def manifest(prefix: str, image: str, greeting: str) -> str:
    return f"""
apiVersion: dockform/v1
kind: Network
metadata: {{name: {prefix}-net}}
---
apiVersion: dockform/v1
kind: Volume
metadata: {{name: {prefix}-data}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {prefix}-db}}
spec:
  image: {image}
  command:
    - sh
    - -c
    - echo db-ok > /data/index.html && exec httpd -f -p 8080 -h /data
  networks: [{prefix}-net]
  volumes: [{{volume: {prefix}-data, mountPath: /data}}]
  healthcheck:
    command: ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
    interval: 1s
    timeout: 1s
    retries: 2
  stopGracePeriod: 1s
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {prefix}-web}}
spec:
  image: {image}
  command:
    - sh
    - -c
    - until wget -q -O /tmp/db http://{prefix}-db:8080/; do sleep 0.5; done; exec sleep 600
  env: {{GREETING: {greeting}}}
  networks: [{prefix}-net]
  dependsOn: [{{name: {prefix}-db, condition: Healthy}}]
  stopGracePeriod: 1s
"""


@pytest.fixture(scope="module")
def swarm_daemon(
    tmp_path_factory: pytest.TempPathFactory, swarm_engine: None, busybox_image: str
) -> Iterator[Daemon]:
    home = tmp_path_factory.mktemp("dockform-swarm-home")
    running = start_daemon(home, "--engine", "swarm")
    try:
        yield running
    finally:
        teardown_daemon(running)


@pytest.fixture(scope="module")
def engine_api() -> Iterator[Any]:
    client = docker.APIClient(version="auto", timeout=60)
    yield client
    client.close()


def service_env(engine_api: Any, name: str) -> list[str]:
    spec = engine_api.inspect_service(name)["Spec"]
    return list(spec["TaskTemplate"]["ContainerSpec"].get("Env") or [])


def test_an_app_converges_on_swarm_and_is_repaired(
    swarm_daemon: Daemon, busybox_image: str, engine_api: Any
) -> None:
    version = swarm_daemon.client.version()
    assert version["engine"] == "swarm"
    shown = swarm_daemon.cli("version")
    assert "engine: swarm" in shown.stdout, shown

    prefix = f"sw{secrets.token_hex(3)}"
    swarm_daemon.client.apply(manifest(prefix, busybox_image, "hello"))
    db = swarm_daemon.wait_phase("Container", f"{prefix}-db", "Running", ready=True, timeout_s=120)
    web = swarm_daemon.wait_phase(
        "Container", f"{prefix}-web", "Running", ready=True, timeout_s=120
    )
    assert db["status"]["observed"]["health"] == "healthy"
    web_id = web["status"]["observed"]["containerId"]
    task = web["status"]["observed"]["tasks"][0]
    assert (task["state"], task["desiredState"]) == ("running", "running") and task["node"]
    assert engine_api.inspect_service(f"{prefix}-web")["ID"] == web_id
    assert "GREETING=hello" in service_env(engine_api, f"{prefix}-web")
    network = engine_api.inspect_network(f"{prefix}-net", scope="swarm")
    assert network["Driver"] == "overlay" and network["Attachable"] is True
    assert swarm_daemon.resource("Network", f"{prefix}-net")["status"]["phase"] == "Ready"  # type: ignore[index]

    # A service removed by hand comes back (a new one).
    subprocess.run(["/usr/bin/docker", "service", "rm", f"{prefix}-web"], check=True)

    def recreated() -> str | None:
        item = swarm_daemon.resource("Container", f"{prefix}-web")
        observed = (item or {}).get("status", {}).get("observed", {})
        new_id = observed.get("containerId")
        return (
            new_id if new_id and new_id != web_id and observed.get("state") == "running" else None
        )

    back_id = swarm_daemon.wait_for("the removed service back", recreated, timeout_s=120)
    assert engine_api.inspect_service(f"{prefix}-web")["ID"] == back_id

    # Scaled to none by hand (stopped), it is started again (restartPolicy Always).
    subprocess.run(
        ["/usr/bin/docker", "service", "scale", "--detach", f"{prefix}-web=0"], check=True
    )

    def scaled_back() -> bool:
        mode = engine_api.inspect_service(f"{prefix}-web")["Spec"]["Mode"]
        return bool(mode["Replicated"]["Replicas"] == 1)

    swarm_daemon.wait_for("the service scaled back to 1", scaled_back, timeout_s=60)

    # A changed env updates the service in place: Swarm replaces its task (the same service).
    before = {task["containerId"] for task in _observed(swarm_daemon, f"{prefix}-web")["tasks"]}
    swarm_daemon.client.apply(manifest(prefix, busybox_image, "changed"))

    def replaced() -> bool:
        return "GREETING=changed" in service_env(engine_api, f"{prefix}-web")

    swarm_daemon.wait_for("the service updated with the new env", replaced, timeout_s=120)
    assert engine_api.inspect_service(f"{prefix}-web")["ID"] == back_id

    def new_task_running() -> bool:
        observed = _observed(swarm_daemon, f"{prefix}-web")
        newest = (observed.get("tasks") or [{}])[0]
        return (
            observed.get("state") == "running"
            and newest.get("state") == "running"
            and newest.get("containerId") not in before
        )

    swarm_daemon.wait_for("a new task of the updated service running", new_task_running, 120)


def _observed(daemon: Daemon, name: str) -> dict[str, Any]:
    item = daemon.resource("Container", name) or {}
    return dict(item.get("status", {}).get("observed", {}))


def test_a_job_runs_to_completion_on_swarm(swarm_daemon: Daemon, busybox_image: str) -> None:
    # A Job is a replicated-job service whose one task runs once.
    name = f"job{secrets.token_hex(3)}"
    swarm_daemon.client.apply(
        "\n".join(
            [
                "apiVersion: dockform/v1",
                "kind: Job",
                f"metadata: {{name: {name}}}",
                "spec:",
                f"  image: {busybox_image}",
                "  command: [sh, -c, 'echo done; exit 0']",
                "  stopGracePeriod: 1s",
            ]
        )
    )
    item = swarm_daemon.wait_phase("Job", name, "Succeeded", timeout_s=120)
    assert item["status"]["phase"] == "Succeeded"
    # On API 1.41 (Docker 20.10) and later it is a replicated-job.
    api = docker.APIClient(version="auto", timeout=60)
    try:
        mode = api.inspect_service(name)["Spec"]["Mode"]
    finally:
        api.close()
    assert mode == {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}

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


def replicated(name: str, image: str, greeting: str, command: str = "sleep 600") -> str:
    return f"""
apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec:
  image: {image}
  command: ["sh", "-c", "{command}"]
  env: {{GREETING: {greeting}}}
  replicas: 2
  update: {{parallelism: 1, monitor: 2s, failureAction: rollback}}
  healthcheck: {{command: ["true"], interval: 1s, timeout: 2s, retries: 1}}
  stopGracePeriod: 1s
"""


def test_replicas_scale_and_a_failed_rollout_rolls_back_on_swarm(
    swarm_daemon: Daemon, busybox_image: str, engine_api: Any
) -> None:
    name = f"sw{secrets.token_hex(3)}-rep"

    def ready(count: int) -> dict[str, Any] | None:
        observed = _observed(swarm_daemon, name)
        done = observed.get("replicas") == count and observed.get("readyReplicas") == count
        return observed if done else None

    swarm_daemon.client.apply(replicated(name, busybox_image, "one"))
    swarm_daemon.wait_for("2 replicas ready", lambda: ready(2), timeout_s=120)
    service_id = engine_api.inspect_service(name)["ID"]
    assert len(_observed(swarm_daemon, name)["tasks"]) >= 2

    scaled = swarm_daemon.cli("scale", f"container/{name}", "3")
    assert scaled.returncode == 0, scaled.stderr
    swarm_daemon.wait_for("3 replicas ready", lambda: ready(3), timeout_s=120)
    assert engine_api.inspect_service(name)["ID"] == service_id  # scaled, not replaced

    # A spec whose tasks fail: Swarm rolls the update back, and dockform makes the previous
    # revision the stored one (pinned), so the failing spec is not pushed again.
    swarm_daemon.client.apply(replicated(name, busybox_image, "bad", command="exit 3"))

    def rolled_back() -> dict[str, Any] | None:
        item = swarm_daemon.resource("Container", name)
        return item if item and item.get("pin") else None

    item = swarm_daemon.wait_for("the rollout rolled back", rolled_back, timeout_s=180)
    assert item["pin"]["rolledBackTo"] == 2  # generation 2: the scale to 3
    swarm_daemon.wait_for(
        "the service on its previous env",
        lambda: "GREETING=one" in service_env(engine_api, name) or None,
        timeout_s=120,
    )
    swarm_daemon.wait_for("3 replicas ready again", lambda: ready(3), timeout_s=180)
    assert engine_api.inspect_service(name)["ID"] == service_id
    swarm_daemon.client.delete("containers", name)


def with_secrets(name: str, image: str, value: str) -> str:
    return f"""
apiVersion: dockform/v1
kind: Secret
metadata: {{name: {name}-pw}}
spec: {{value: {value}}}
---
apiVersion: dockform/v1
kind: Config
metadata: {{name: {name}-conf}}
spec: {{value: "listen 80"}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec:
  image: {image}
  command: ["sleep", "600"]
  replicas: 1
  stopGracePeriod: 1s
  secrets: [{{name: {name}-pw, mode: "0440", uid: 1000, gid: 1001}}]
  configs: [{{name: {name}-conf, target: /etc/app.conf}}]
"""


def _contents(engine_api: Any, name: str) -> dict[str, set[str]]:
    """The names of the secrets and configs the Swarm driver made for service `name`."""
    label = f"io.dockform.swarm.service={name}"
    return {
        "secrets": {s["Spec"]["Name"] for s in engine_api.secrets(filters={"label": label})},
        "configs": {c["Spec"]["Name"] for c in engine_api.configs(filters={"label": label})},
    }


def _task_read(name: str, script: str) -> str:
    """Run `script` in the newest running task's container of service `name` (one node);
    "" when none runs (an update is replacing it)."""
    client = docker.from_env()
    try:
        running = client.containers.list(filters={"label": f"com.docker.swarm.service.name={name}"})
        running.sort(key=lambda c: str(c.attrs["Created"]), reverse=True)
        _, output = running[0].exec_run(["sh", "-c", script])
        return str(output.decode())
    except (IndexError, docker.errors.APIError):
        return ""
    finally:
        client.close()


def test_secrets_and_configs_become_swarm_secrets_and_configs(
    swarm_daemon: Daemon, busybox_image: str, engine_api: Any
) -> None:
    # On Swarm a task may run on any node: a Secret's file is a Swarm secret (and a Config's
    # a config) that Swarm hands to the task's node, not a bind of the manager's file.
    name = f"sw{secrets.token_hex(3)}-sec"
    swarm_daemon.client.apply(with_secrets(name, busybox_image, "first-INTEG-5e1"))
    swarm_daemon.wait_phase("Container", name, "Running", ready=True, timeout_s=120)
    service = engine_api.inspect_service(name)
    container = service["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert not [m for m in container.get("Mounts") or [] if m["Type"] == "bind"]
    (secret,) = container["Secrets"]
    assert secret["File"] == {
        "Name": f"/run/secrets/{name}-pw",
        "UID": "1000",
        "GID": "1001",
        "Mode": 0o440,
    }
    assert container["Configs"][0]["File"]["Name"] == "/etc/app.conf"
    made = _contents(engine_api, name)
    assert made["secrets"] == {secret["SecretName"]} and len(made["configs"]) == 1
    shown = _task_read(
        name,
        f"cat /run/secrets/{name}-pw; echo; cat /etc/app.conf; echo; "
        f"stat -c %a:%u:%g /run/secrets/{name}-pw",
    )
    assert shown.split() == ["first-INTEG-5e1", "listen", "80", "440:1000:1001"]

    # New content: a new secret, the service updated in place; the old one stays while it is
    # the previous spec's (a rollback returns to it).
    swarm_daemon.client.apply(with_secrets(name, busybox_image, "second-INTEG-77a"))

    def updated() -> str | None:
        names = engine_api.inspect_service(name)["Spec"]["TaskTemplate"]["ContainerSpec"]
        new = names["Secrets"][0]["SecretName"]
        return new if new != secret["SecretName"] else None

    new_name = swarm_daemon.wait_for("the service on the new secret", updated, timeout_s=120)
    assert engine_api.inspect_service(name)["ID"] == service["ID"]
    assert _contents(engine_api, name)["secrets"] == {secret["SecretName"], new_name}
    swarm_daemon.wait_for(
        "the new content in the running task",
        lambda: "second-INTEG-77a" in _task_read(name, f"cat /run/secrets/{name}-pw") or None,
        timeout_s=120,
    )

    # Deleted, the service's secrets and configs go with it.
    swarm_daemon.client.delete("containers", name)
    swarm_daemon.wait_for(
        "the service's secrets and configs removed",
        lambda: _contents(engine_api, name) == {"secrets": set(), "configs": set()},
        timeout_s=120,
    )
    for kind in ("secrets", "configs"):
        swarm_daemon.client.delete(kind, f"{name}-{'pw' if kind == 'secrets' else 'conf'}")

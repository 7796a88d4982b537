"""Namespaces on the real dockerd: two apps that each have a `db`, a Job `check` and a `web`
share one host, each Job and web reach their own db by the short name on the namespace's
implicit network (web waits for its namespace's Job), `delete namespace` takes one app away
(its Job too) and leaves the other, and a default-namespace container made
before namespaces existed (a store at migration 0002) is not recreated by the upgrade."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import docker
import pytest
from alembic import command

from dockform.api.client import ClientError
from dockform.store.migrate import alembic_config, migrations_dir
from tests.integration.engine.conftest import Daemon, start_daemon, teardown_daemon

pytestmark = pytest.mark.integration


def image_yaml(u: str, context: Path) -> str:
    return f"""
apiVersion: dockform/v1
kind: Image
metadata: {{name: {u}-img}}
spec: {{ref: "dockform-test/{u}:latest", build: {{context: {context}}}}}
"""


def app_yaml(u: str, namespace: str) -> str:
    """A db that serves a page naming its namespace, a Job that reads it by the short name,
    and a web that only idles once the Job completed; none names a network, so all join the
    namespace's implicit `default`."""
    return f"""
apiVersion: dockform/v1
kind: Container
metadata: {{name: db, namespace: {namespace}}}
spec:
  image: dockform-test/{u}:latest
  command:
    - sh
    - -c
    - mkdir -p /d && echo db-of-{namespace} > /d/index.html && exec httpd -f -p 8080 -h /d
  stopGracePeriod: 1s
---
apiVersion: dockform/v1
kind: Job
metadata: {{name: check, namespace: {namespace}}}
spec:
  image: dockform-test/{u}:latest
  command:
    - sh
    - -c
    - until wget -q -O - http://db:8080/; do sleep 0.2; done
  dependsOn: [{{name: db}}]
  backoffLimit: 0
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: web, namespace: {namespace}}}
spec:
  image: dockform-test/{u}:latest
  command: [sleep, "3600"]
  dependsOn: [{{name: db}}, {{name: check, kind: Job}}]
  stopGracePeriod: 1s
"""


def solo_yaml(u: str) -> str:
    return f"""
apiVersion: dockform/v1
kind: Container
metadata: {{name: {u}-solo}}
spec:
  image: dockform-test/{u}:latest
  command: [sleep, "3600"]
  stopGracePeriod: 1s
"""


def get(daemon: Daemon, kinds: str, name: str, namespace: str) -> dict[str, Any] | None:
    try:
        return daemon.client.get(kinds, name, namespace)
    except ClientError as error:
        if error.status == 404:
            return None
        raise


def running(daemon: Daemon, name: str, namespace: str = "default") -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        item = get(daemon, "containers", name, namespace)
        return item if item is not None and item["status"]["phase"] == "Running" else None

    return daemon.wait_for(f"Container/{namespace}/{name} Running", probe, timeout_s=120)


def apply(daemon: Daemon, text: str) -> str:
    result = daemon.cli("apply", "-f", "-", input_text=text)
    assert result.returncode == 0, result.stdout + result.stderr + daemon.log()[-3000:]
    return result.stdout


def fetch_db(client: docker.DockerClient, container: str) -> str:
    # `db` is the short name: only the namespace's own db answers to it on its network.
    result = client.containers.get(container).exec_run(
        ["timeout", "5", "wget", "-q", "-O", "-", "http://db:8080/"]
    )
    return result.output.decode(errors="replace").strip()


def test_two_namespaces_share_a_host_and_one_is_deleted_whole(
    tmp_path: Path, app_dir: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    home = tmp_path / "home"
    daemon = start_daemon(home)
    try:
        apply(daemon, image_yaml(unique, app_dir) + "---\n" + solo_yaml(unique))
        solo = running(daemon, f"{unique}-solo")
        solo_id = solo["status"]["observed"]["containerId"]

        # The upgrade: the store goes back to the schema before namespaces, as an older
        # daemon left it; the daemon migrates it at start and must leave solo as it is.
        daemon.stop()
        with migrations_dir() as scripts:
            command.downgrade(
                alembic_config(f"sqlite:///{home / 'dockform.db'}", scripts),
                "0002_event_reconcile_id",
            )
        daemon = start_daemon(home)
        solo = running(daemon, f"{unique}-solo")
        assert solo["namespace"] == "default"

        a, b = f"{unique}a", f"{unique}b"
        output = apply(daemon, app_yaml(unique, a) + "---\n" + app_yaml(unique, b))
        assert f"network/default -n {a} created" in output
        for namespace in (a, b):
            running(daemon, "db", namespace)
            running(daemon, "web", namespace)
            # web waited for its own namespace's Job, which read its own db.
            check = get(daemon, "jobs", "check", namespace)
            assert check is not None and check["status"]["phase"] == "Succeeded", check
            assert check["status"]["observed"]["outputTail"] == [f"db-of-{namespace}"]
            job_container = docker_client.containers.get(f"{namespace}_check")
            assert job_container.labels["io.dockform.namespace"] == namespace
            assert job_container.labels["io.dockform.kind"] == "Job"

        # Engine names never collide, and carry their namespace.
        for namespace in (a, b):
            db = docker_client.containers.get(f"{namespace}_db")
            assert db.labels["io.dockform.namespace"] == namespace
            assert db.labels["io.dockform.name"] == "db"
            network = docker_client.networks.get(f"{namespace}_default")
            assert network.attrs["Labels"]["io.dockform.namespace"] == namespace
        assert docker_client.containers.get(f"{unique}-solo").id == solo_id
        assert "io.dockform.namespace" not in docker_client.containers.get(solo_id).labels

        # Each web reaches its own db by the short name.
        assert daemon.wait_for(
            f"{a}_web reaches its db", lambda: fetch_db(docker_client, f"{a}_web") == f"db-of-{a}"
        )
        assert fetch_db(docker_client, f"{b}_web") == f"db-of-{b}"

        listed = daemon.cli("get", "namespaces")
        assert listed.returncode == 0, listed.stderr
        assert a in listed.stdout and b in listed.stdout
        every = daemon.cli("get", "containers", "-A")
        assert every.stdout.split()[0] == "NAMESPACE", every.stdout + every.stderr
        assert daemon.cli("describe", "container/db", "-n", b).returncode == 0
        logs = daemon.cli("logs", "web", "-n", b, "--tail", "5")
        assert logs.returncode == 0, logs.stderr
        job_logs = daemon.cli("logs", "job/check", "-n", b)
        assert job_logs.stdout.strip() == f"db-of-{b}", job_logs.stdout + job_logs.stderr
        jobs = daemon.cli("get", "jobs", "-n", a)
        assert "check" in jobs.stdout and "Succeeded" in jobs.stdout, jobs.stdout + jobs.stderr
        events = daemon.cli("events", "-n", b)
        assert f"container/db -n {b}" in events.stdout, events.stdout + events.stderr
        assert f"-n {a}" not in events.stdout

        deleted = daemon.cli("delete", "namespace", a)
        assert deleted.returncode == 0, deleted.stdout + deleted.stderr
        daemon.wait_for(
            f"namespace {a} gone",
            lambda: (
                not [
                    k
                    for k in ("containers", "jobs", "networks")
                    if daemon.client.list(k, namespace=a)
                ]
            ),
            timeout_s=90,
        )
        names = {container.name for container in docker_client.containers.list(all=True)}
        assert not {f"{a}_db", f"{a}_check", f"{a}_web"} & names
        assert not docker_client.networks.list(names=[f"{a}_default"])
        # The other app and the default namespace are untouched.
        assert {f"{b}_db", f"{b}_check", f"{b}_web"} <= names
        assert fetch_db(docker_client, f"{b}_web") == f"db-of-{b}"
        time.sleep(1)
        assert docker_client.containers.get(f"{unique}-solo").id == solo_id
        events = daemon.client.events(kind="Container", name=f"{unique}-solo", limit=100)
        assert not [e for e in events if e["reason"] in ("Replaced", "Removed")]
    finally:
        teardown_daemon(daemon)
    assert not docker_client.networks.list(names=[f"{b}_default"])

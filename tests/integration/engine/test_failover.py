"""Two daemons of one instance on one PostgreSQL store and one engine: exactly one leads, the
follower takes applies and serves reads, and when the leader is killed the follower takes over
and repairs the containers."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.engine.conftest import Daemon, start_daemon, teardown_daemon
from tests.postgres import Cluster

# The lease lasts 10 s and is renewed every 2 s: a follower takes over within ~12 s.
TAKEOVER_LIMIT_S = 30


def leadership(daemon: Daemon) -> dict[str, Any]:
    answer: dict[str, Any] = daemon.client.version()["leadership"]
    return answer


def app(name: str, context: Path) -> str:
    return f"""
apiVersion: dockform/v1
kind: Image
metadata: {{name: {name}-img}}
spec: {{ref: "dockform-test/{name}:latest", build: {{context: {context}}}}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}-web}}
spec:
  image: dockform-test/{name}:latest
  command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
  stopGracePeriod: 1s
"""


def running(client: docker.DockerClient, label: str, name: str) -> list[Any]:
    return [
        found
        for found in client.containers.list(filters={"label": [label, f"io.dockform.name={name}"]})
        if found.status == "running"
    ]


def test_the_follower_takes_applies_and_takes_over_from_a_killed_leader(
    postgres: Cluster,
    tmp_path: Path,
    app_dir: Path,
    docker_client: docker.DockerClient,
    docker_runtime: Any,
) -> None:
    url = postgres.create_database()
    scope = "ha" + uuid.uuid4().hex[:10]
    first = start_daemon(tmp_path / "first", "--store", url, scope=scope)
    second: Daemon | None = None
    try:
        first.wait_for("first leads", lambda: leadership(first)["role"] == "leader", 30)
        second = start_daemon(tmp_path / "second", "--store", url, scope=scope)
        follower = second
        second.wait_for(
            "second follows the first",
            lambda: (
                leadership(follower)["role"] == "follower"
                and leadership(follower)["leader"] == leadership(first)["holder"]
            ),
            30,
        )
        # An apply taken by the follower is carried out by the leader.
        name = "t" + uuid.uuid4().hex[:8]
        second.client.apply(app(name, app_dir))
        second.wait_for(
            "the follower's apply converged",
            lambda: any(
                item["status"].get("phase") == "Running"
                for item in follower.client.list("containers")
                if item["name"] == f"{name}-web"
            ),
            120,
        )
        assert len(running(docker_client, first.label, f"{name}-web")) == 1
        # The leader dies without a word: the follower takes the lease over...
        killed_at = time.monotonic()
        first.stop(signal.SIGKILL)
        second.wait_for(
            "the follower leads", lambda: leadership(follower)["role"] == "leader", TAKEOVER_LIMIT_S
        )
        took_over_s = time.monotonic() - killed_at
        assert leadership(second)["term"] == 2
        # ...and repairs: a container removed by hand comes back.
        for container in running(docker_client, first.label, f"{name}-web"):
            container.remove(force=True)
        second.wait_for(
            "the new leader recreated the container",
            lambda: len(running(docker_client, first.label, f"{name}-web")) == 1,
            60,
        )
        print(f"takeover after the leader's SIGKILL: {took_over_s:.1f} s")
    finally:
        if second is not None:
            teardown_daemon(second)
        teardown_daemon(first)


def test_a_second_daemon_on_a_sqlite_store_refuses_but_on_a_shared_store_follows(
    postgres: Cluster, tmp_path: Path, docker_runtime: Any
) -> None:
    url = postgres.create_database()
    scope = "ha" + uuid.uuid4().hex[:10]
    first = start_daemon(tmp_path / "first", "--store", url, scope=scope)
    try:
        second = start_daemon(tmp_path / "second", "--store", url, scope=scope)
        try:
            second.wait_for("a follower", lambda: leadership(second)["role"] == "follower", 30)
            assert leadership(first)["role"] == "leader"
        finally:
            second.stop()
    finally:
        first.stop()
    with pytest.raises(AssertionError, match="already run by another dockform daemon"):
        sqlite_first = start_daemon(tmp_path / "sqlite-first", scope=scope + "s")
        try:
            start_daemon(tmp_path / "sqlite-second", scope=scope + "s")
        finally:
            sqlite_first.stop()

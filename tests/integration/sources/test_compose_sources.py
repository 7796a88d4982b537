"""Compose files as a source, end to end on the real dockerd (issue 11 items 3 and 4).

A compose project dropped in a watched directory runs as its project's namespace, its
services reaching each other by service name; a changed file the web service mounts
read-only replaces that container only; a broken compose file is a source error that keeps
the app running; removing the project's directory removes the app. A GitSource whose path
holds a compose project runs it the same way at each commit.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.gitrepo import GitRepo
from tests.integration.engine.conftest import fetch, host_port
from tests.integration.sources.conftest import WEB_IMAGE, Daemon
from tests.integration.sources.test_gitsource import at_commit, gitsource_yaml

pytestmark = pytest.mark.integration


def compose_yaml(project: str) -> str:
    return f"""\
name: {project}
services:
  web:
    image: {WEB_IMAGE}
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: ["127.0.0.1::8080"]
    volumes: ["./site:/www:ro"]
    stop_grace_period: 1s
  client:
    image: {WEB_IMAGE}
    command:
      - sh
      - -c
      - >-
        mkdir -p /tmp; while true; do
        wget -q -O /tmp/got http://web:8080/ && mv /tmp/got /tmp/seen; sleep 0.5; done
    depends_on: [web]
    stop_grace_period: 1s
"""


def item(daemon: Daemon, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    found = [
        entry
        for entry in daemon.client.list(f"{kind.lower()}s", namespace=namespace)
        if entry["name"] == name
    ]
    return found[0] if found else None


def serves(daemon: Daemon, namespace: str, text: str) -> dict[str, Any] | None:
    web = item(daemon, "Container", "web", namespace)
    if web is None or web["status"]["phase"] != "Running":
        return None
    if not web["status"]["observed"].get("ports"):
        return None
    try:
        return web if fetch(host_port(web)).strip() == text else None
    except OSError:
        return None


def client_sees(client: docker.DockerClient, namespace: str, text: str) -> bool:
    try:
        container = client.containers.get(f"{namespace}_client")
        _, output = container.exec_run(["cat", "/tmp/seen"])
    except docker.errors.APIError:
        return False
    return output.decode().strip() == text


def source(daemon: Daemon, name: str) -> dict[str, Any] | None:
    return next((entry for entry in daemon.client.sources() if entry["name"] == name), None)


def test_a_compose_project_in_a_watched_directory_runs_as_its_namespace(
    watch_daemon: Daemon, watched: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    namespace = unique.lower()
    project = watched / namespace
    (project / "site").mkdir(parents=True)
    (project / "site" / "index.html").write_text("v1\n")
    (project / "compose.yaml").write_text(compose_yaml(namespace))

    web = watch_daemon.wait_for("web serving v1", lambda: serves(watch_daemon, namespace, "v1"), 90)
    watch_daemon.wait_for(
        "client reaching web by its service name",
        lambda: client_sees(docker_client, namespace, "v1"),
        60,
    )
    client_id = docker_client.containers.get(f"{namespace}_client").id

    (project / "site" / "index.html").write_text("v2\n")
    replaced = watch_daemon.wait_for(
        "web serving v2", lambda: serves(watch_daemon, namespace, "v2"), 90
    )
    assert replaced["status"]["observed"]["containerId"] != web["status"]["observed"]["containerId"]
    assert docker_client.containers.get(f"{namespace}_client").id == client_id
    watch_daemon.wait_for("client sees v2", lambda: client_sees(docker_client, namespace, "v2"))

    (project / "compose.yaml").write_text(compose_yaml(namespace) + "    bogus: 1\n")
    name = f"dir:{namespace}/compose.yaml"
    broken = watch_daemon.wait_for(
        "the source error", lambda: (source(watch_daemon, name) or {}).get("lastError"), 30
    )
    assert "bogus" in broken and "compose.yaml" in broken
    assert serves(watch_daemon, namespace, "v2")  # still running

    shutil.rmtree(project)
    watch_daemon.wait_for(
        "the project's containers gone",
        lambda: not watch_daemon.client.list("containers", namespace=namespace),
        60,
    )


def test_a_gitsource_runs_the_compose_project_at_its_path(
    git_daemon: Daemon, repo: GitRepo, unique: str, docker_client: docker.DockerClient
) -> None:
    namespace = f"{unique.lower()}-git"
    repo.write("deploy/compose.yaml", compose_yaml(namespace))
    repo.write("deploy/site/index.html", "v1\n")
    first = repo.commit("first")
    git_daemon.client.apply(gitsource_yaml(unique, repo))
    git_daemon.wait_for("GitSource at first", lambda: at_commit(git_daemon, unique, first))
    git_daemon.wait_for("web serving v1", lambda: serves(git_daemon, namespace, "v1"), 90)
    git_daemon.wait_for(
        "client reaching web", lambda: client_sees(docker_client, namespace, "v1"), 60
    )

    repo.write("deploy/site/index.html", "v2\n")
    second = repo.commit("second")
    git_daemon.wait_for("GitSource at second", lambda: at_commit(git_daemon, unique, second))
    git_daemon.wait_for("web serving v2", lambda: serves(git_daemon, namespace, "v2"), 90)

    repo.write("deploy/compose.yaml", "services: [not, a, map]\n")
    third = repo.commit("broken")
    failed = git_daemon.wait_for(
        "GitSource failed at the broken commit",
        lambda: (
            (git_daemon.resource("GitSource", unique) or {})
            .get("status", {})
            .get("observed", {})
            .get("failedCommit")
            == third
        ),
        30,
    )
    assert failed
    assert serves(git_daemon, namespace, "v2")  # the last good commit keeps running

    git_daemon.client.delete("gitsources", unique)
    git_daemon.wait_for(
        "the project's containers gone",
        lambda: not git_daemon.client.list("containers", namespace=namespace),
        60,
    )

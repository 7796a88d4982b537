"""A relative hostPath in a GitSource's manifest (issue 12 item 2): it resolves into the
checkout (through `current`), and a new commit replaces the container so that it sees the new
commit's files, before the old checkout is removed."""

from __future__ import annotations

from typing import Any

import docker
import pytest

from tests.gitrepo import GitRepo
from tests.integration.sources.conftest import WEB_IMAGE, Daemon
from tests.integration.sources.test_gitsource import at_commit, gitsource_yaml

pytestmark = pytest.mark.integration


def conf_yaml(name: str) -> str:
    return f"""apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec:
  image: {WEB_IMAGE}
  command: ["sleep", "600"]
  stopGracePeriod: 1s
  volumes: [{{hostPath: ./conf, mountPath: /conf, readOnly: true}}]
"""


def reads(client: docker.DockerClient, name: str, text: str) -> Any:
    """The container `name` when its /conf/app.ini reads `text`; else None."""
    try:
        container = client.containers.get(name)
        _, output = container.exec_run(["cat", "/conf/app.ini"])
    except docker.errors.APIError:
        return None
    return container if output.decode().strip() == text else None


def test_a_new_commit_brings_its_files_to_the_bound_container(
    git_daemon: Daemon, repo: GitRepo, unique: str, docker_client: docker.DockerClient
) -> None:
    name = f"{unique}-conf"
    repo.write("deploy/app.yaml", conf_yaml(name))
    repo.write("deploy/conf/app.ini", "v1\n")
    first = repo.commit("first")
    git_daemon.client.apply(gitsource_yaml(unique, repo))
    git_daemon.wait_for(
        "GitSource at the first commit", lambda: at_commit(git_daemon, unique, first)
    )
    before = git_daemon.wait_for("v1 mounted", lambda: reads(docker_client, name, "v1"), 90)
    stored = git_daemon.resource("Container", name)
    assert stored is not None
    assert stored["spec"]["volumes"][0]["hostPath"].endswith(f"/git/{unique}/current/deploy/conf")

    repo.write("deploy/conf/app.ini", "v2\n")
    second = repo.commit("second")
    git_daemon.wait_for(
        "GitSource at the second commit", lambda: at_commit(git_daemon, unique, second)
    )
    after = git_daemon.wait_for("v2 mounted", lambda: reads(docker_client, name, "v2"), 90)
    assert after.id != before.id
    events = git_daemon.client.events(kind="Container", name=name)
    assert any(event["reason"] == "Replaced" for event in events)

    git_daemon.client.delete("gitsources", unique)
    git_daemon.wait_gone("Container", name)

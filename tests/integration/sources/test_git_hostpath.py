"""A relative hostPath in a GitSource's manifest (issues 11 item 4, 12 item 2): a path the
commit has is mounted from a content-addressed copy, valid across commits, so a commit that
leaves it alone leaves the container alone, and a commit that changes it replaces the
container, which then sees the new content; a path the repository lacks (a data directory) is
the app's state and keeps what the container wrote across commits."""

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
  command: ["sh", "-c", "date >> /data/starts; exec sleep 600"]
  stopGracePeriod: 1s
  volumes:
    - {{hostPath: ./conf, mountPath: /conf, readOnly: true}}
    - {{hostPath: ./data, mountPath: /data, createHostPath: true}}
"""


def reads(client: docker.DockerClient, name: str, path: str, text: str) -> Any:
    """The container `name` when its file `path` reads `text`; else None."""
    try:
        container = client.containers.get(name)
        _, output = container.exec_run(["cat", path])
    except docker.errors.APIError:
        return None
    return container if output.decode().strip() == text else None


def starts(client: docker.DockerClient, name: str) -> int:
    _, output = client.containers.get(name).exec_run(["cat", "/data/starts"])
    return len(output.decode().splitlines())


def test_repository_files_follow_their_content_and_state_stays(
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
    before = git_daemon.wait_for(
        "v1 mounted", lambda: reads(docker_client, name, "/conf/app.ini", "v1"), 90
    )
    stored = git_daemon.resource("Container", name)
    assert stored is not None
    conf_path, data_path = (mount["hostPath"] for mount in stored["spec"]["volumes"])
    assert f"/git/{unique}/content/" in conf_path
    assert data_path.endswith(f"/git/{unique}/state/deploy/data")

    repo.write("deploy/README", "nothing the container mounts\n")
    second = repo.commit("second")
    git_daemon.wait_for(
        "GitSource at the second commit", lambda: at_commit(git_daemon, unique, second)
    )
    assert docker_client.containers.get(name).id == before.id  # not replaced
    assert reads(docker_client, name, "/conf/app.ini", "v1")  # its copy outlived the checkout

    repo.write("deploy/conf/app.ini", "v2\n")
    third = repo.commit("third")
    git_daemon.wait_for(
        "GitSource at the third commit", lambda: at_commit(git_daemon, unique, third)
    )
    after = git_daemon.wait_for(
        "v2 mounted", lambda: reads(docker_client, name, "/conf/app.ini", "v2"), 90
    )
    assert after.id != before.id
    assert git_daemon.wait_for("state kept", lambda: starts(docker_client, name) == 2, 30)
    events = git_daemon.client.events(kind="Container", name=name)
    assert any(event["reason"] == "Replaced" for event in events)

    git_daemon.client.delete("gitsources", unique)
    git_daemon.wait_gone("Container", name)

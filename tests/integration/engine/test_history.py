"""History, rollback, pins and explain on the real dockerd (issue 13 item 4): a changed
manifest replaces the container and `explain` names the field; `rollback` runs the earlier
spec (a new generation, pinned), the same apply from its source leaves it pinned, `unpin`
brings the source's spec back; `history` lists every revision with what it changed."""

from __future__ import annotations

import json

import docker
import pytest

from tests.integration.engine.conftest import Daemon

pytestmark = pytest.mark.integration


def web_yaml(name: str, image: str, greeting: str) -> str:
    return f"""apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec:
  image: {image}
  command: ["sleep", "600"]
  env: {{GREETING: {greeting}}}
  stopGracePeriod: 1s
"""


def greeting(client: docker.DockerClient, name: str) -> str | None:
    try:
        env = client.containers.get(name).attrs["Config"]["Env"]
    except docker.errors.NotFound:
        return None
    return next((item.split("=", 1)[1] for item in env if item.startswith("GREETING=")), None)


def running_with(daemon: Daemon, client: docker.DockerClient, name: str, text: str) -> bool:
    item = daemon.resource("Container", name)
    return (
        item is not None
        and item["status"]["phase"] == "Running"
        and item["status"]["observedGeneration"] == item["generation"]
        and greeting(client, name) == text
    )


def test_explain_rollback_pin_and_unpin(
    daemon: Daemon, busybox_image: str, unique: str, docker_client: docker.DockerClient
) -> None:
    name = f"{unique}-web"
    daemon.client.apply(web_yaml(name, busybox_image, "one"))
    daemon.wait_for("one running", lambda: running_with(daemon, docker_client, name, "one"))
    first = daemon.cli("explain", f"container/{name}", "-o", "json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["changes"][0]["what"] == "created"

    daemon.client.apply(web_yaml(name, busybox_image, "two"))
    daemon.wait_for("two running", lambda: running_with(daemon, docker_client, name, "two"))
    explained = daemon.cli("explain", f"container/{name}")
    assert explained.returncode == 0, explained.stderr
    assert "config hash changed" in explained.stdout
    assert "spec generation 1 -> 2 by cli: env.GREETING" in explained.stdout

    rolled = daemon.cli("rollback", f"container/{name}")
    assert rolled.returncode == 0, rolled.stderr
    assert "rolled back to generation 1 as generation 3 (pinned)" in rolled.stdout
    daemon.wait_for("one again", lambda: running_with(daemon, docker_client, name, "one"))

    again = daemon.client.apply(web_yaml(name, busybox_image, "two"))
    assert [result["action"] for result in again["results"]] == ["unchanged"]
    shown = daemon.cli("history", f"container/{name}")
    assert shown.returncode == 0, shown.stderr
    assert "rollback:1" in shown.stdout and "pinned: rolled back to generation 1" in shown.stdout
    assert greeting(docker_client, name) == "one"

    unpinned = daemon.cli("unpin", f"container/{name}")
    assert unpinned.returncode == 0, unpinned.stderr
    daemon.wait_for("two again", lambda: running_with(daemon, docker_client, name, "two"))
    item = daemon.resource("Container", name)
    assert item is not None and item["pin"] is None and item["generation"] == 4

    daemon.client.delete("containers", name)
    daemon.wait_gone("Container", name)

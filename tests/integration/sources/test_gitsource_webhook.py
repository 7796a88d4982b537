"""GitSource webhooks end to end: a daemon listening on loopback TCP, a bare repository on this
host that a working copy pushes to, the real dockerd.

A forge's call, signed with the secret of the GitSource's spec.webhook and sent without the
bearer token, makes the daemon fetch and apply the pushed commit at once (the interval is an
hour); unsigned and wrongly signed calls are refused (401) and leave a Warning event that does
not hold the secret; a GitSource without spec.webhook refuses every call (403).
"""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from tests.gitrepo import GitRepo
from tests.integration.api.conftest import free_port
from tests.integration.sources.conftest import Daemon, start_daemon, teardown_daemon

pytestmark = pytest.mark.integration

SECRET = "webhook-secret-for-the-forge"


@pytest.fixture(scope="module")
def hook_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Daemon, int]]:
    port = free_port()
    home = tmp_path_factory.mktemp("dockform-home")
    running = start_daemon(home, "--listen", f"tcp://127.0.0.1:{port}")
    yield running, port
    if running.process.poll() is None:
        for item in running.client.list("gitsources"):
            running.client.delete("gitsources", item["name"])
        running.wait_for("GitSources deleted", lambda: not running.client.list("gitsources"))
    teardown_daemon(running)


@pytest.fixture
def pushed(tmp_path: Path) -> tuple[Path, GitRepo]:
    """A bare repository (what the GitSource reads) and a working copy that pushes to it."""
    bare = tmp_path / "origin.git"
    subprocess.run(
        ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare)], check=True
    )
    work = GitRepo(tmp_path / "work")
    work.git("remote", "add", "origin", str(bare))
    return bare, work


def network_yaml(name: str) -> str:
    return f"apiVersion: dockform/v1\nkind: Network\nmetadata: {{name: {name}}}\n"


def gitsource_yaml(name: str, url: Path, webhook: str) -> str:
    return f"""apiVersion: dockform/v1
kind: GitSource
metadata: {{name: {name}}}
spec:
  url: {url}
  path: deploy
  interval: 1h
{webhook}"""


def secret_yaml(name: str, value: str) -> str:
    return (
        f"apiVersion: dockform/v1\nkind: Secret\nmetadata: {{name: {name}}}\n"
        f"spec: {{value: {value}}}\n"
    )


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": "push",
        "Content-Type": "application/json",
    }


def at_commit(daemon: Daemon, name: str, commit: str) -> dict[str, Any] | None:
    item = daemon.resource("GitSource", name)
    if item is None or item["status"]["observed"].get("commit") != commit:
        return None
    return item if item["status"]["phase"] == "Ready" else None


def reconciled(daemon: Daemon, name: str) -> bool:
    item = daemon.resource("GitSource", name)
    return item is not None and item["status"].get("observedGeneration") == item["generation"]


def test_a_signed_push_hook_without_the_token_applies_the_pushed_commit_at_once(
    hook_daemon: tuple[Daemon, int],
    pushed: tuple[Path, GitRepo],
    unique: str,
    docker_client: docker.DockerClient,
) -> None:
    daemon, port = hook_daemon
    bare, work = pushed
    work.write("deploy/one.yaml", network_yaml(f"{unique}-one"))
    first = work.commit("first")
    work.git("push", "--quiet", "origin", "main")
    daemon.client.apply(
        secret_yaml(f"{unique}-hook", SECRET)
        + "---\n"
        + gitsource_yaml(unique, bare, f"  webhook: {{secretRef: {{name: {unique}-hook}}}}\n")
    )
    daemon.wait_for("the first commit", lambda: at_commit(daemon, unique, first), timeout_s=60)

    work.write("deploy/two.yaml", network_yaml(f"{unique}-two"))
    second = work.commit("second")
    work.git("push", "--quiet", "origin", "main")
    body = b'{"ref": "refs/heads/main", "after": "%s"}' % second.encode()
    url = f"http://127.0.0.1:{port}/v1/gitsources/{unique}/webhook"
    with httpx.Client(timeout=30) as tcp:  # no Authorization header
        unsigned = tcp.post(url, content=body)
        wrong = tcp.post(url, content=body, headers=signed(body, "not-the-secret"))
        assert (unsigned.status_code, wrong.status_code) == (401, 401)
        assert "not signed" in unsigned.json()["error"]
        assert "does not match" in wrong.json()["error"]
        assert at_commit(daemon, unique, first)  # refused calls fetch nothing

        started = time.monotonic()
        accepted = tcp.post(url, content=body, headers=signed(body))
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["commit"] == first

    daemon.wait_for("the pushed commit", lambda: at_commit(daemon, unique, second), timeout_s=20)
    assert time.monotonic() - started < 20  # the interval is an hour
    assert docker_client.networks.get(f"{unique}-two").name == f"{unique}-two"
    events = daemon.client.events(kind="GitSource", name=unique)
    refused = [event for event in events if event["reason"] == "WebhookRefused"]
    assert refused and refused[0]["type"] == "Warning"
    assert all(SECRET not in str(event) for event in events)
    item = daemon.resource("Secret", f"{unique}-hook")
    assert item is not None and SECRET not in str(item)


def test_a_gitsource_without_spec_webhook_refuses_calls_and_a_secret_file_works(
    hook_daemon: tuple[Daemon, int], pushed: tuple[Path, GitRepo], unique: str, tmp_path: Path
) -> None:
    daemon, port = hook_daemon
    bare, work = pushed
    work.write("deploy/one.yaml", network_yaml(f"{unique}-one"))
    first = work.commit("first")
    work.git("push", "--quiet", "origin", "main")
    daemon.client.apply(gitsource_yaml(unique, bare, ""))
    daemon.wait_for("the first commit", lambda: at_commit(daemon, unique, first), timeout_s=60)
    url = f"http://127.0.0.1:{port}/v1/gitsources/{unique}/webhook"
    body = b"{}"
    gitea = {"X-Gitea-Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}

    with httpx.Client(timeout=30) as tcp:
        refused = tcp.post(url, content=body, headers=gitea)
        assert refused.status_code == 403 and "set spec.webhook" in refused.json()["error"]

        secret_file = tmp_path / "hook.secret"
        secret_file.write_text(SECRET + "\n")
        webhook = f"  webhook: {{secretFile: {secret_file}}}\n"
        daemon.client.apply(gitsource_yaml(unique, bare, webhook))
        daemon.wait_for("the new spec reconciled", lambda: reconciled(daemon, unique))
        work.write("deploy/two.yaml", network_yaml(f"{unique}-two"))
        second = work.commit("second")
        work.git("push", "--quiet", "origin", "main")
        accepted = tcp.post(url, content=body, headers=gitea)
        assert accepted.status_code == 202, accepted.text
        gitlab = tcp.post(url, content=body, headers={"X-Gitlab-Token": "wrong"})
        assert gitlab.status_code == 401

    daemon.wait_for("the pushed commit", lambda: at_commit(daemon, unique, second), timeout_s=20)

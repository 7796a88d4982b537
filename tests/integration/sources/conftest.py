"""Fixtures for source tests on the real dockerd: a daemon watching a directory, a daemon for
GitSources with a local repository, and manifests of a small web container (busybox, built
once per run) that serves its GREETING on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockform.runtime.docker_driver import DockerRuntime
from dockform.runtime.types import BuildRequest
from tests.gitrepo import GitRepo
from tests.integration.conftest import BUSYBOX_DOCKERFILE, BUSYBOX_PATH, SESSION_ID
from tests.integration.engine.conftest import (  # noqa: F401 - fixtures used by the tests
    Daemon,
    app_dir,
    docker_client,
    fetch,
    host_port,
    start_daemon,
    teardown_daemon,
    unique,
)

# This run's own busybox image (carrying its session label): the shared one of
# tests/integration/conftest.py may be removed by another run ending meanwhile.
WEB_IMAGE = f"dockform-test/sources-{SESSION_ID}:latest"


def web_yaml(name: str, greeting: str = "hello", image: str = WEB_IMAGE) -> str:
    return f"""apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec:
  image: {image}
  command:
    - sh
    - -c
    - mkdir -p /www && echo $GREETING > /www/index.html && exec httpd -f -p 8080 -h /www
  env: {{GREETING: {greeting}}}
  ports: [{{containerPort: 8080}}]
  stopGracePeriod: 1s
"""


def serving(daemon: Daemon, name: str, text: str) -> dict[str, Any] | None:
    """The Container `name` when it runs, is ready and serves `text`; else None."""
    item = daemon.resource("Container", name)
    if (
        item is None
        or item["status"]["phase"] != "Running"
        or not item["status"]["observed"].get("ports")
    ):
        return None
    try:
        return item if fetch(host_port(item)) == text + "\n" else None
    except OSError:
        return None


@pytest.fixture(scope="session")
def web_image(docker_runtime: DockerRuntime, tmp_path_factory: pytest.TempPathFactory) -> str:
    context = tmp_path_factory.mktemp("web-image")
    shutil.copy2(BUSYBOX_PATH, context / "busybox")
    (context / "Dockerfile").write_text(BUSYBOX_DOCKERFILE)
    docker_runtime.build_image(
        BuildRequest(context_dir=str(context), dockerfile="Dockerfile", tag=WEB_IMAGE, labels={})
    )
    return WEB_IMAGE


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("watched")


@pytest.fixture(scope="module")
def watch_daemon(
    tmp_path_factory: pytest.TempPathFactory, web_image: str, watched: Path
) -> Iterator[Daemon]:
    running = start_daemon(tmp_path_factory.mktemp("dockform-home"), "--watch", str(watched))
    yield running
    # Files first, so the watcher does not apply again what the teardown deletes.
    for child in watched.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    teardown_daemon(running)


@pytest.fixture(scope="module")
def git_daemon(tmp_path_factory: pytest.TempPathFactory, web_image: str) -> Iterator[Daemon]:
    running = start_daemon(tmp_path_factory.mktemp("dockform-home"))
    yield running
    if running.process.poll() is None:
        for item in running.client.list("gitsources"):
            running.client.delete("gitsources", item["name"])
        running.wait_for("GitSources deleted", lambda: not running.client.list("gitsources"))
    teardown_daemon(running)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")

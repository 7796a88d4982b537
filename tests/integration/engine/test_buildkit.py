"""Issue 12 item 6 on the real dockerd: Images build with BuildKit (the docker CLI's session
against the engine), so `RUN --mount=type=cache|bind` works; a heredoc, which the engine's
built-in frontend does not parse, fails saying so; a failing RUN shows its step and output in
events and `describe`; without BuildKit the classic builder builds and the event says why."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from dockform.runtime.docker_driver import DockerRuntime
from dockform.runtime.errors import ImageBuildFailed
from dockform.runtime.types import BUILDKIT, CLASSIC_BUILDER, BuildRequest
from tests.integration.conftest import TEST_LABELS
from tests.integration.engine.conftest import BUSYBOX, Daemon

pytestmark = pytest.mark.integration

BUSYBOX_STEPS = (
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
)


def context(tmp_path: Path, dockerfile: str) -> Path:
    directory = tmp_path / "ctx"
    directory.mkdir()
    shutil.copy(BUSYBOX, directory / "busybox")
    (directory / "page.txt").write_text("from a bind mount\n")
    (directory / "Dockerfile").write_text(BUSYBOX_STEPS + dockerfile)
    return directory


def image_yaml(name: str, ref: str, directory: Path) -> str:
    return f"""apiVersion: dockform/v1
kind: Image
metadata: {{name: {name}}}
spec: {{ref: "{ref}", build: {{context: {directory}}}}}
"""


def events_of(daemon: Daemon, name: str) -> list[dict[str, Any]]:
    return daemon.client.events(kind="Image", name=name)


def wait_event(daemon: Daemon, name: str, reason: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        return next((e for e in events_of(daemon, name) if e["reason"] == reason), None)

    return daemon.wait_for(f"Image/{name} event {reason}", found, timeout_s=120)


def test_run_mount_cache_and_bind_build_and_run(
    daemon: Daemon, unique: str, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    directory = context(
        tmp_path,
        "RUN --mount=type=cache,target=/cache sh -c 'echo cached >> /cache/log; cp /cache/log /c'\n"
        "RUN --mount=type=bind,source=page.txt,target=/mnt/page.txt cp /mnt/page.txt /page.txt\n",
    )
    ref = f"dockform-test/{unique}-bk:1"
    daemon.client.apply(
        image_yaml(f"{unique}-bk", ref, directory)
        + f"""---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {unique}-bk}}
spec:
  image: {unique}-bk
  command: ["sleep", "600"]
  stopGracePeriod: 1s
"""
    )
    daemon.wait_phase("Container", f"{unique}-bk", "Running", timeout_s=120)
    built = wait_event(daemon, f"{unique}-bk", "Built")
    assert built["message"] == f"built image:{ref} with {BUILDKIT}: not found"
    image = docker_client.images.get(ref)
    assert image.labels["io.dockform.name"] == f"{unique}-bk"
    assert image.labels["dockform.test"] == "1"

    container = docker_client.containers.get(f"{unique}-bk")
    _, output = container.exec_run(["sh", "-c", "cat /c /page.txt"])
    lines = output.decode().splitlines()
    assert "cached" in lines[0] and lines[-1] == "from a bind mount"
    _, cache = container.exec_run(["sh", "-c", "ls -A /cache 2>/dev/null | wc -l"])
    assert cache.decode().strip() == "0"  # the cache itself is no part of the image

    daemon.client.delete("containers", f"{unique}-bk")
    daemon.wait_gone("Container", f"{unique}-bk")
    daemon.client.delete("images", f"{unique}-bk")
    daemon.wait_gone("Image", f"{unique}-bk")
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(ref)


def test_a_heredoc_fails_saying_the_frontend_lacks_it(
    daemon: Daemon, unique: str, tmp_path: Path
) -> None:
    directory = context(tmp_path, "RUN <<EOT\necho one\necho two\nEOT\n")
    daemon.client.apply(image_yaml(f"{unique}-here", f"dockform-test/{unique}-here:1", directory))
    failed = daemon.wait_phase("Image", f"{unique}-here", "Failed", timeout_s=120)
    message = failed["status"]["message"]
    assert failed["status"]["reason"] == "BuildFailed"
    assert "Dockerfile line 4 (`RUN <<EOT`) is a heredoc" in message
    assert "built-in Dockerfile frontend does not parse" in message
    assert "cannot be fetched offline" in message
    daemon.client.delete("images", f"{unique}-here")
    daemon.wait_gone("Image", f"{unique}-here")


def test_a_failing_run_shows_its_step_and_output_in_events_and_describe(
    daemon: Daemon, unique: str, tmp_path: Path
) -> None:
    directory = context(
        tmp_path, "RUN echo first-marker; echo second-marker >&2; exit 3\nRUN echo never\n"
    )
    name = f"{unique}-fail"
    daemon.client.apply(image_yaml(name, f"dockform-test/{name}:1", directory))
    daemon.wait_phase("Image", name, "Failed", timeout_s=120)
    event = wait_event(daemon, name, "BuildFailed")
    assert event["type"] == "Warning"
    message = event["message"]
    assert "at step [3/4] RUN echo first-marker; echo second-marker >&2; exit 3" in message
    assert "exit code: 3" in message
    # stdout and stderr are two streams: their lines may come in either order.
    assert sorted(message.splitlines()[-2:]) == ["  first-marker", "  second-marker"]
    assert "never" not in message

    described = daemon.cli("describe", f"image/{name}")
    assert described.returncode == 0, described.stderr
    for words in ("[3/4] RUN echo first-marker", "exit code: 3", "second-marker"):
        assert words in described.stdout
    daemon.client.delete("images", name)
    daemon.wait_gone("Image", name)


@pytest.fixture
def classic_runtime() -> Iterator[DockerRuntime]:
    runtime = DockerRuntime(extra_labels=TEST_LABELS, buildkit=False)
    yield runtime
    runtime.close()


def test_without_buildkit_the_classic_builder_builds_and_says_why(
    classic_runtime: DockerRuntime, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = context(tmp_path, "RUN echo plain > /plain\n")
    tag = f"dockform-test/{unique}-classic:1"
    request = BuildRequest(str(directory), "Dockerfile", tag, {})
    result = classic_runtime.build_image(request)
    assert (result.builder, result.fallback_reason) == (
        CLASSIC_BUILDER,
        "BuildKit unavailable: DOCKFORM_BUILDKIT=0",
    )
    classic_runtime.remove_image(tag)

    # RUN --mount needs BuildKit: the classic builder's refusal, and why it was used.
    (directory / "Dockerfile").write_text(BUSYBOX_STEPS + "RUN --mount=type=cache,target=/c true\n")
    with pytest.raises(ImageBuildFailed) as refused:
        classic_runtime.build_image(request)
    assert "the --mount option requires BuildKit" in str(refused.value)
    assert "(built with the classic builder: BuildKit unavailable: DOCKFORM_BUILDKIT=0)" in str(
        refused.value
    )

    # A docker CLI that cannot build with BuildKit (28.x without buildx): the same fallback.
    monkeypatch.setenv("DOCKFORM_DOCKER_CLI", str(write_old_cli(tmp_path)))
    (directory / "Dockerfile").write_text(BUSYBOX_STEPS)
    no_cli = DockerRuntime(extra_labels=TEST_LABELS)
    try:
        result = no_cli.build_image(request)
        assert result.builder == CLASSIC_BUILDER
        assert "whose builds need the buildx plugin" in result.fallback_reason
    finally:
        no_cli.remove_image(tag)
        no_cli.close()


def write_old_cli(tmp_path: Path) -> Path:
    """A stand-in for a 28.x docker CLI without its buildx plugin (as /usr/local/bin/docker
    is on the project's machine), so the test does not depend on that machine."""
    path = tmp_path / "docker-28"
    path.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "Docker version 28.2.2, build e6534b4"; exit 0; fi\n'
        'echo "docker: unknown command: docker $1" >&2; exit 1\n'
    )
    path.chmod(0o755)
    return path


def test_a_failed_rebuild_keeps_the_image_and_containers_running(
    daemon: Daemon, unique: str, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    directory = context(tmp_path, "RUN echo one > /version\n")
    name, ref = f"{unique}-keep", f"dockform-test/{unique}-keep:1"
    daemon.client.apply(
        image_yaml(name, ref, directory)
        + f"""---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec: {{image: {name}, command: ["sleep", "600"], stopGracePeriod: 1s}}
"""
    )
    daemon.wait_phase("Container", name, "Running", timeout_s=120)
    before = docker_client.containers.get(name)

    # The context changes and no longer builds: found at the next resync (5 s here).
    (directory / "Dockerfile").write_text(BUSYBOX_STEPS + "RUN echo two > /version; exit 9\n")
    failed = daemon.wait_phase("Image", name, "Failed", timeout_s=120)
    assert "exit code: 9" in failed["status"]["message"]
    after = docker_client.containers.get(name)
    assert (after.id, after.status) == (before.id, "running")
    assert docker_client.images.get(ref).id == before.image.id
    _, version = after.exec_run(["cat", "/version"])
    assert version.decode().strip() == "one"

    daemon.client.delete("containers", name)
    daemon.wait_gone("Container", name)
    daemon.client.delete("images", name)
    daemon.wait_gone("Image", name)

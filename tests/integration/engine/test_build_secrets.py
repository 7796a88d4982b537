"""Build secrets from Secret kinds on the real dockerd (issue 12 item 6): an Image whose
Dockerfile reads `RUN --mount=type=secret,id=token` builds through the daemon with the value of
a Secret of its namespace; it waits while that Secret is missing; the value shows in no API
answer or event and in no layer of the image (only its sha256, written by the build, does); the
build's secret files are gone once it ends; a changed Secret value rebuilds the image, an
unchanged one does not."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import docker
import pytest

from dockform.controller.container_files import default_secrets_root
from tests.integration.conftest import TEST_LABELS
from tests.integration.engine.conftest import BUSYBOX, Daemon, start_daemon, teardown_daemon

pytestmark = pytest.mark.integration

DOCKERFILE = (
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
    # Only the digest reaches the image; a build without the secret fails (required).
    "RUN --mount=type=secret,id=token,required "
    "sh -c 'sha256sum /run/secrets/token | cut -c1-64 > /token.sha256'\n"
)


def manifests(name: str, ref: str, context: Path, value: str | None) -> str:
    image = f"""apiVersion: dockform/v1
kind: Image
metadata: {{name: {name}}}
spec:
  ref: "{ref}"
  build:
    context: {context}
    secrets: [{{name: {name}-token, id: token}}]
"""
    if value is None:
        return image
    return (
        image
        + f"""---
apiVersion: dockform/v1
kind: Secret
metadata: {{name: {name}-token}}
spec: {{value: "{value}"}}
"""
    )


def digest_in_image(client: docker.DockerClient, ref: str) -> str:
    output = client.containers.run(
        ref, ["cat", "/token.sha256"], remove=True, labels=dict(TEST_LABELS)
    )
    return bytes(output).decode().strip()


def built_events(daemon: Daemon, name: str) -> list[dict[str, Any]]:
    return [e for e in daemon.client.events(kind="Image", name=name) if e["reason"] == "Built"]


def test_an_image_builds_with_a_secret_of_its_namespace_and_rebuilds_when_it_changes(
    daemon: Daemon, unique: str, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "Dockerfile").write_text(DOCKERFILE)
    ref = f"dockform-test/{unique}-secret:1"
    first_value, second_value = f"first-{unique}-value", f"second-{unique}-value"

    daemon.client.apply(manifests(unique, ref, context, None))

    def waiting_for_the_secret() -> dict[str, Any] | None:
        item = daemon.resource("Image", unique)
        return item if item is not None and item["status"]["reason"] == "Waiting" else None

    waiting = daemon.wait_for("the Image waiting for its Secret", waiting_for_the_secret)
    assert waiting["status"]["phase"] == "Pending"
    assert f"Secret/{unique}-token, which does not exist" in waiting["status"]["message"]

    daemon.client.apply(manifests(unique, ref, context, first_value))
    first = daemon.wait_phase("Image", unique, "Ready", timeout_s=180)
    assert digest_in_image(docker_client, ref) == hashlib.sha256(first_value.encode()).hexdigest()
    first_id = first["status"]["observed"]["imageId"]

    # The value shows nowhere: not in the Image, its events, the Secret, or the image's layers.
    shown = [first, daemon.resource("Secret", f"{unique}-token"), daemon.client.events()]
    assert all(first_value not in str(item) for item in shown)
    history = docker_client.api.history(ref)
    assert first_value not in str(history)
    root = default_secrets_root("t-" + daemon.label.rsplit("=", 1)[1]).parent / "builds"
    assert not root.exists() or not any(root.iterdir())  # the build's files are gone

    # The same value again: nothing rebuilds. A new value: the image is built again.
    daemon.client.apply(manifests(unique, ref, context, first_value))
    daemon.client.apply(manifests(unique, ref, context, second_value))

    def rebuilt() -> dict[str, Any] | None:
        item = daemon.resource("Image", unique)
        if item is None or item["status"]["observed"].get("imageId") == first_id:
            return None
        return item if item["status"]["phase"] == "Ready" else None

    second = daemon.wait_for("the rebuild with the new value", rebuilt, timeout_s=180)
    assert digest_in_image(docker_client, ref) == hashlib.sha256(second_value.encode()).hexdigest()
    assert second_value not in str(second) and second_value not in str(daemon.client.events())
    # Built twice (the unchanged value built nothing), the second time without the cache.
    causes = sorted(event["message"].rsplit(": ", 1)[1] for event in built_events(daemon, unique))
    assert causes == ["build secrets changed", "not found"]
    assert not root.exists() or not any(root.iterdir())


def test_without_buildkit_an_image_with_build_secrets_fails_naming_the_field(
    unique: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "Dockerfile").write_text(DOCKERFILE)
    monkeypatch.setenv("DOCKFORM_BUILDKIT", "0")
    classic = start_daemon(tmp_path_factory.mktemp("dockform-home"))
    try:
        value = f"classic-{unique}-value"
        classic.client.apply(manifests(unique, f"dockform-test/{unique}-c:1", context, value))
        failed = classic.wait_phase("Image", unique, "Failed", timeout_s=120)
        status = failed["status"]
        assert status["reason"] == "BuildFailed"
        assert "spec.build.secrets" in status["message"] and "BuildKit" in status["message"]
        assert value not in str(failed) and value not in str(classic.client.events())
    finally:
        teardown_daemon(classic)

"""Issue 2 end to end: Images and Containers converge on the real dockerd, and stay converged."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

import docker
import pytest

from dockform.api.client import ClientError
from tests.integration.engine.conftest import (
    Daemon,
    EventRecorder,
    fetch,
    host_port,
    is_ready,
    start_daemon,
    teardown_daemon,
)

pytestmark = pytest.mark.integration


def image_yaml(name: str, context: Path) -> str:
    return f"""
apiVersion: dockform/v1
kind: Image
metadata: {{name: {name}}}
spec:
  ref: dockform-test/{name}:latest
  build: {{context: {context}}}
"""


def container_yaml(name: str, image: str, greeting: str = "hello", extra: str = "") -> str:
    return f"""
apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}, labels: {{suite: engine}}}}
spec:
  image: dockform-test/{image}:latest
  command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
  env: {{GREETING: {greeting}}}
  ports: [{{containerPort: 8080}}]
  stopGracePeriod: 1s
{extra}"""


def apply(daemon: Daemon, *documents: str, **options: Any) -> dict[str, str]:
    result = daemon.client.apply("---\n".join(documents), **options)
    return {f"{r['kind']}/{r['name']}": r["action"] for r in result["results"]}


def test_apply_builds_and_serves_and_unchanged_reapply_is_silent(
    daemon: Daemon, app_dir: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    documents = (image_yaml(unique, app_dir), container_yaml(f"{unique}-web", unique))
    assert apply(daemon, *documents) == {
        f"Image/{unique}": "created",
        f"Container/{unique}-web": "created",
    }
    item = daemon.wait_phase("Container", f"{unique}-web", "Running", ready=True)
    assert fetch(host_port(item)) == "hello from a test\n"
    image = daemon.wait_phase("Image", unique, "Ready")
    assert image["status"]["observed"]["imageId"].startswith("sha256:")
    assert item["status"]["observedGeneration"] == item["generation"] == 1

    info = docker_client.containers.get(f"{unique}-web")
    assert info.labels["io.dockform.managed"] == "true"
    assert info.labels["io.dockform.kind"] == "Container"
    assert info.labels["io.dockform.name"] == f"{unique}-web"
    assert info.labels["dockform.test"] == "1"
    assert info.attrs["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostIp"] == "127.0.0.1"

    recorder = EventRecorder(docker_client, daemon)
    assert apply(daemon, *documents) == {
        f"Image/{unique}": "unchanged",
        f"Container/{unique}-web": "unchanged",
    }
    assert recorder.collect() == []
    assert docker_client.containers.get(f"{unique}-web").id == info.id


def test_removed_container_comes_back(
    daemon: Daemon, app_dir: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    apply(daemon, image_yaml(unique, app_dir), container_yaml(f"{unique}-web", unique))
    first = daemon.wait_phase("Container", f"{unique}-web", "Running", ready=True)
    old_id = first["status"]["observed"]["containerId"]
    docker_client.containers.get(old_id).remove(force=True)
    started = time.monotonic()

    def replaced() -> dict[str, Any] | None:
        try:
            container = docker_client.containers.get(f"{unique}-web")
        except docker.errors.NotFound:
            return None
        return container.attrs if container.id != old_id and container.status == "running" else None

    daemon.wait_for("replacement container running", replaced, timeout_s=15)
    elapsed = time.monotonic() - started
    print(f"drift repaired in {elapsed:.2f}s")
    item = daemon.wait_phase("Container", f"{unique}-web", "Running", ready=True)
    fetch(host_port(item))
    reasons = [
        event["reason"] for event in daemon.client.events(kind="Container", name=f"{unique}-web")
    ]
    assert "Created" in reasons and "Started" in reasons


def test_changing_one_env_value_replaces_only_that_container(
    daemon: Daemon, app_dir: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    apply(
        daemon,
        image_yaml(unique, app_dir),
        container_yaml(f"{unique}-a", unique),
        container_yaml(f"{unique}-b", unique),
    )
    a = daemon.wait_phase("Container", f"{unique}-a", "Running", ready=True)
    b = daemon.wait_phase("Container", f"{unique}-b", "Running", ready=True)
    results = apply(
        daemon,
        image_yaml(unique, app_dir),
        container_yaml(f"{unique}-a", unique, greeting="changed"),
        container_yaml(f"{unique}-b", unique),
    )
    assert results == {
        f"Image/{unique}": "unchanged",
        f"Container/{unique}-a": "configured",
        f"Container/{unique}-b": "unchanged",
    }

    def a_replaced() -> dict[str, Any] | None:
        item = daemon.resource("Container", f"{unique}-a")
        if (
            item
            and item["status"]["observed"].get("containerId")
            not in (None, a["status"]["observed"]["containerId"])
            and is_ready(item)
        ):
            return item
        return None

    new_a = daemon.wait_for("a replaced", a_replaced)
    assert new_a["generation"] == 2 and new_a["status"]["observedGeneration"] == 2
    env = docker_client.containers.get(f"{unique}-a").attrs["Config"]["Env"]
    assert "GREETING=changed" in env
    assert docker_client.containers.get(f"{unique}-b").id == b["status"]["observed"]["containerId"]


def test_changed_build_context_rebuilds_and_replaces_users(
    daemon: Daemon, app_dir: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    apply(daemon, image_yaml(unique, app_dir), container_yaml(f"{unique}-web", unique))
    item = daemon.wait_phase("Container", f"{unique}-web", "Running", ready=True)
    old_image = daemon.wait_phase("Image", unique, "Ready")["status"]["observed"]["imageId"]
    (app_dir / "www" / "index.html").write_text("version two\n")
    # Nothing in the manifest changed: the next resync (5 s in tests) sees the new context.
    apply(daemon, image_yaml(unique, app_dir), container_yaml(f"{unique}-web", unique))

    def rebuilt() -> dict[str, Any] | None:
        image = daemon.resource("Image", unique)
        return (
            image
            if image and image["status"]["observed"].get("imageId") not in (None, old_image)
            else None
        )

    daemon.wait_for("image rebuilt", rebuilt, timeout_s=30)

    def served_v2() -> bool:
        current = daemon.resource("Container", f"{unique}-web")
        if (
            not current
            or not is_ready(current)
            or current["status"]["observed"].get("containerId")
            == item["status"]["observed"]["containerId"]
        ):
            return False
        return fetch(host_port(current)) == "version two\n"

    daemon.wait_for("container serving the rebuilt image", served_v2, timeout_s=30)


def test_deleting_removes_the_container(
    daemon: Daemon, app_dir: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    apply(daemon, image_yaml(unique, app_dir), container_yaml(f"{unique}-web", unique))
    daemon.wait_phase("Container", f"{unique}-web", "Running", ready=True)
    result = daemon.cli("delete", f"container/{unique}-web")
    assert result.returncode == 0, result.stderr
    daemon.wait_gone("Container", f"{unique}-web")
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(f"{unique}-web")
    daemon.client.delete("images", unique)
    daemon.wait_gone("Image", unique)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(f"dockform-test/{unique}:latest")


def test_invalid_manifest_is_refused_with_line_and_changes_nothing(
    daemon: Daemon, app_dir: Path, unique: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    apply(daemon, image_yaml(unique, app_dir), container_yaml(f"{unique}-web", unique))
    item = daemon.wait_phase("Container", f"{unique}-web", "Running", ready=True)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        image_yaml(unique, app_dir)
        + "---\n"
        + container_yaml(f"{unique}-web", unique, greeting="other", extra="  colour: blue\n")
    )
    result = daemon.cli("apply", "-f", str(bad))
    assert result.returncode == 2
    assert "bad.yaml:" in result.stderr and "colour" in result.stderr
    assert "document 2" in result.stderr
    with pytest.raises(ClientError) as refused:
        daemon.client.apply(
            "kind: Container\napiVersion: dockform/v1\nmetadata: {name: x}\nspec: {image: [1]}\n"
        )
    assert refused.value.status == 422
    assert refused.value.issues[0]["line"] == 4
    assert refused.value.issues[0]["path"] == "spec.image"
    assert daemon.resource("Container", "x") is None
    time.sleep(0.5)
    now = daemon.resource("Container", f"{unique}-web")
    assert now is not None and now["resourceVersion"] == item["resourceVersion"]
    assert (
        docker_client.containers.get(f"{unique}-web").id
        == item["status"]["observed"]["containerId"]
    )


def test_name_taken_by_unmanaged_container_is_a_conflict(
    daemon: Daemon,
    app_dir: Path,
    unique: str,
    docker_client: docker.DockerClient,
    busybox_image: str,
) -> None:
    stranger = docker_client.containers.create(
        busybox_image, ["sleep", "60"], name=f"{unique}-web", labels={"dockform.test": "1"}
    )
    try:
        apply(daemon, image_yaml(unique, app_dir), container_yaml(f"{unique}-web", unique))
        item = daemon.wait_phase("Container", f"{unique}-web", "Failed")
        assert item["status"]["reason"] == "NameConflict"
        assert "docker rm" in item["status"]["message"]
        stranger.reload()
        assert stranger.status == "created"
        # Freeing the name lets the Container converge (the destroy event requeues it).
        stranger.remove(force=True)
        daemon.wait_phase("Container", f"{unique}-web", "Running", ready=True, timeout_s=30)
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            stranger.remove(force=True)


def test_container_waits_for_its_image(daemon: Daemon, unique: str) -> None:
    apply(daemon, container_yaml(f"{unique}-web", f"{unique}-missing"))
    item = daemon.wait_for(
        "Container waiting",
        lambda: (
            (i := daemon.resource("Container", f"{unique}-web"))
            and i["status"]["reason"] == "Waiting"
            and i
        ),
    )
    assert item["status"]["phase"] == "Pending"
    assert f"dockform-test/{unique}-missing:latest" in item["status"]["message"]


def test_image_load_from_tarball(
    daemon: Daemon,
    unique: str,
    tmp_path: Path,
    docker_client: docker.DockerClient,
    busybox_image: str,
) -> None:
    source = docker_client.images.get(busybox_image)
    source.tag(f"dockform-test/{unique}-src", "latest")
    tarball = tmp_path / "image.tar"
    with tarball.open("wb") as handle:
        for chunk in docker_client.images.get(f"dockform-test/{unique}-src:latest").save(
            named=True
        ):
            handle.write(chunk)
    docker_client.images.remove(f"dockform-test/{unique}-src:latest")
    manifest = f"""
apiVersion: dockform/v1
kind: Image
metadata: {{name: {unique}-loaded}}
spec:
  ref: dockform-test/{unique}-loaded:latest
  load: {{path: {tarball}}}
"""
    apply(daemon, manifest)
    item = daemon.wait_phase("Image", f"{unique}-loaded", "Ready")
    assert (
        docker_client.images.get(f"dockform-test/{unique}-loaded:latest").id
        == item["status"]["observed"]["imageId"]
    )
    # The Image goes first: while it exists, dockform loads a removed image again.
    daemon.client.delete("images", f"{unique}-loaded")
    daemon.wait_gone("Image", f"{unique}-loaded")
    docker_client.images.remove(f"dockform-test/{unique}-loaded:latest", force=True)


def test_socket_is_private(daemon: Daemon) -> None:
    assert stat.S_IMODE(os.stat(daemon.socket).st_mode) == 0o600


def test_restart_changes_nothing_and_sigterm_leaves_containers_running(
    tmp_path: Path,
    app_dir: Path,
    unique: str,
    docker_client: docker.DockerClient,
    docker_runtime: Any,
) -> None:
    home = tmp_path / "home"
    first = start_daemon(home)
    try:
        apply(first, image_yaml(unique, app_dir), container_yaml(f"{unique}-web", unique))
        item = first.wait_phase("Container", f"{unique}-web", "Running", ready=True)
        assert first.stop() == 0
        container = docker_client.containers.get(f"{unique}-web")
        assert (
            container.status == "running"
            and container.id == item["status"]["observed"]["containerId"]
        )
        recorder = EventRecorder(docker_client, first)
        second = start_daemon(home)
        first = second
        second.wait_phase("Container", f"{unique}-web", "Running", ready=True)
        assert second.client.healthz()
        assert recorder.collect(settle_s=3) == []
    finally:
        teardown_daemon(first)


def test_apply_from_stdin_and_directory_through_cli(
    daemon: Daemon, app_dir: Path, unique: str, tmp_path: Path
) -> None:
    manifests = tmp_path / "manifests" / "nested"
    manifests.mkdir(parents=True)
    # A relative build context is resolved against the manifest file's directory.
    relative = os.path.relpath(app_dir, manifests)
    (manifests / "app.yaml").write_text(image_yaml(unique, Path(relative)))
    result = daemon.cli("apply", "-f", str(tmp_path / "manifests"))
    assert result.returncode == 0, result.stderr
    assert f"image/{unique} created" in result.stdout
    result = daemon.cli("apply", "-f", "-", input_text=container_yaml(f"{unique}-web", unique))
    assert result.returncode == 0, result.stderr
    assert f"container/{unique}-web created" in result.stdout
    daemon.wait_phase("Container", f"{unique}-web", "Running", ready=True)
    table = daemon.cli("get", "containers")
    assert f"{unique}-web" in table.stdout and "Running" in table.stdout
    as_json = daemon.cli("get", "Container", f"{unique}-web", "-o", "json")
    assert '"phase": "Running"' in as_json.stdout
    described = daemon.cli("describe", f"container/{unique}-web")
    assert "Conditions:" in described.stdout and "Started" in described.stdout


def test_parallel_applies_do_not_corrupt_state(daemon: Daemon, app_dir: Path, unique: str) -> None:
    errors: list[Exception] = []

    def worker(index: int) -> None:
        try:
            apply(daemon, image_yaml(f"{unique}-{index}", app_dir))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for index in range(4):
        daemon.wait_phase("Image", f"{unique}-{index}", "Ready")

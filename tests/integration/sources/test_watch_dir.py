"""Watched directories end to end: `dockform daemon --watch DIR` on the real dockerd.

A manifest dropped in runs; an edit replaces only what changed; a file written in pieces or
saved the way editors save is never applied half-way; a broken save leaves the app running
and shows the error in GET /v1/sources and `dockform get sources`; deleting the file removes
the app.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.sources.conftest import Daemon, serving, web_yaml

pytestmark = pytest.mark.integration


def source(daemon: Daemon, name: str) -> dict[str, Any] | None:
    return next((item for item in daemon.client.sources() if item["name"] == name), None)


def container_id(daemon: Daemon, name: str) -> str:
    item = daemon.resource("Container", name)
    assert item is not None
    return str(item["status"]["observed"]["containerId"])


def test_a_dropped_manifest_runs_with_its_image_built_from_beside_it(
    watch_daemon: Daemon, watched: Path, app_dir: Path, unique: str
) -> None:
    folder = watched / unique
    shutil.copytree(app_dir, folder / "app")  # Dockerfile, busybox, www/: none is a manifest
    manifest = f"""apiVersion: dockform/v1
kind: Image
metadata: {{name: {unique}}}
spec: {{ref: "dockform-test/{unique}:latest", build: {{context: app}}}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {unique}-web}}
spec:
  image: dockform-test/{unique}:latest
  command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
  ports: [{{containerPort: 8080}}]
  stopGracePeriod: 1s
"""
    (folder / "app.yaml").write_text(manifest)

    watch_daemon.wait_for(
        "the app serving its page",
        lambda: serving(watch_daemon, f"{unique}-web", "hello from a test"),
        timeout_s=90,
    )
    record = source(watch_daemon, f"dir:{unique}/app.yaml")
    assert record is not None
    assert record["path"] == str(folder / "app.yaml")
    assert record["objects"] == [f"Container/{unique}-web", f"Image/{unique}"]
    assert record["lastError"] is None and record["lastAppliedAt"]
    image = watch_daemon.resource("Image", unique)
    assert image is not None and image["spec"]["build"]["context"] == str(folder / "app")


def test_an_edit_replaces_only_what_changed(
    watch_daemon: Daemon, watched: Path, unique: str
) -> None:
    path = watched / f"{unique}.yaml"
    path.write_text(web_yaml(f"{unique}-a", "one") + "---\n" + web_yaml(f"{unique}-b", "bee"))
    watch_daemon.wait_for("a", lambda: serving(watch_daemon, f"{unique}-a", "one"))
    watch_daemon.wait_for("b", lambda: serving(watch_daemon, f"{unique}-b", "bee"))
    a_before = container_id(watch_daemon, f"{unique}-a")
    b_before = container_id(watch_daemon, f"{unique}-b")

    path.write_text(web_yaml(f"{unique}-a", "two") + "---\n" + web_yaml(f"{unique}-b", "bee"))

    watch_daemon.wait_for("a serving two", lambda: serving(watch_daemon, f"{unique}-a", "two"))
    assert container_id(watch_daemon, f"{unique}-a") != a_before
    assert container_id(watch_daemon, f"{unique}-b") == b_before
    b = watch_daemon.resource("Container", f"{unique}-b")
    assert b is not None and b["generation"] == 1


def test_a_file_written_in_pieces_is_never_applied_partially(
    watch_daemon: Daemon, watched: Path, unique: str
) -> None:
    with (watched / f"{unique}.yaml").open("w") as handle:
        # The first piece alone is a complete, valid manifest of a different spec.
        handle.write(web_yaml(f"{unique}-web", "partial").replace("  stopGracePeriod: 1s\n", ""))
        handle.flush()
        time.sleep(1.0)  # ten debounce periods with the writer still at work
        handle.write("  stopGracePeriod: 1s\n---\n" + web_yaml(f"{unique}-other", "other"))
    watch_daemon.wait_for("the other", lambda: serving(watch_daemon, f"{unique}-other", "other"))
    web = watch_daemon.resource("Container", f"{unique}-web")
    assert web is not None
    assert web["generation"] == 1  # one spec was ever applied: the whole file's
    assert web["spec"]["stopGracePeriod"] == "1s"


def test_editor_saves_and_atomic_renames_never_take_the_app_down(
    watch_daemon: Daemon, watched: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    path = watched / f"{unique}.yaml"
    temporary = watched / f".{unique}.yaml.tmp"
    temporary.write_text(web_yaml(f"{unique}-web", "v1"))
    os.rename(temporary, path)  # an atomic write: a hidden temporary renamed into place
    watch_daemon.wait_for("v1", lambda: serving(watch_daemon, f"{unique}-web", "v1"))
    first_id = container_id(watch_daemon, f"{unique}-web")

    # vim: swap file, the original renamed to a backup, the new text written, backup dropped.
    swap = watched / f".{unique}.yaml.swp"
    swap.write_bytes(b"b0VIM 9.0\x00\x00 not yaml at all")
    os.rename(path, watched / f"{unique}.yaml~")
    path.write_text("# saved by an editor\n" + web_yaml(f"{unique}-web", "v1"))
    (watched / f"{unique}.yaml~").unlink()
    swap.unlink()

    def applied_again() -> bool:
        record = source(watch_daemon, f"dir:{unique}.yaml")
        return bool(record) and record["revision"] != first_revision  # type: ignore[index]

    first_revision = source(watch_daemon, f"dir:{unique}.yaml")["revision"]  # type: ignore[index]
    watch_daemon.wait_for("the saved file applied", applied_again)
    # Only the comment changed: the container was never deleted nor replaced.
    assert docker_client.containers.get(f"{unique}-web").id == first_id
    reasons = [
        event["reason"]
        for event in watch_daemon.client.events(kind=None, name=f"dir:{unique}.yaml", limit=50)
    ]
    assert "Deleted" not in reasons and "InvalidManifest" not in reasons
    names = [item["name"] for item in watch_daemon.client.sources()]
    assert not any(name.endswith((".swp", "~", ".tmp")) for name in names)


def test_a_broken_save_keeps_the_app_running_and_shows_the_error(
    watch_daemon: Daemon, watched: Path, unique: str
) -> None:
    path = watched / f"{unique}.yaml"
    path.write_text(web_yaml(f"{unique}-web", "good"))
    watch_daemon.wait_for("good", lambda: serving(watch_daemon, f"{unique}-web", "good"))
    running_id = container_id(watch_daemon, f"{unique}-web")

    broken = web_yaml(f"{unique}-web", "bad").replace("  env:", "  environment:")
    path.write_text(broken)
    line = broken.splitlines().index("  environment: {GREETING: bad}") + 1

    def error() -> str | None:
        record = source(watch_daemon, f"dir:{unique}.yaml")
        return record["lastError"] if record else None

    message = watch_daemon.wait_for("the source error", error)
    assert f"{path}:{line}" in message and "spec.environment" in message
    assert serving(watch_daemon, f"{unique}-web", "good")
    assert container_id(watch_daemon, f"{unique}-web") == running_id
    warnings = watch_daemon.client.events(name=f"dir:{unique}.yaml")
    assert any(
        event["type"] == "Warning" and event["reason"] == "InvalidManifest" for event in warnings
    )
    listed = watch_daemon.cli("get", "sources")
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if f"dir:{unique}.yaml" in row)
    assert "spec.environment" in line

    path.write_text(web_yaml(f"{unique}-web", "fixed"))
    watch_daemon.wait_for("fixed", lambda: serving(watch_daemon, f"{unique}-web", "fixed"))
    assert error() is None


def test_deleting_the_file_removes_the_app(
    watch_daemon: Daemon, watched: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    path = watched / f"{unique}.yaml"
    path.write_text(web_yaml(f"{unique}-web", "bye"))
    watch_daemon.wait_for("running", lambda: serving(watch_daemon, f"{unique}-web", "bye"))

    path.unlink()

    watch_daemon.wait_gone("Container", f"{unique}-web")
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(f"{unique}-web")
    assert source(watch_daemon, f"dir:{unique}.yaml") is None

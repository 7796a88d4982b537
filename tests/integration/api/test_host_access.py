"""Dangerous container settings: refused by a default daemon with file, line and field; run
by a daemon started with --allow-host-access."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.api.conftest import ApiDaemon, container_yaml, image_yaml

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ("  privileged: true\n", "spec.privileged"),
        ("  hostNetwork: true\n", "spec.hostNetwork"),
        ("  hostPID: true\n", "spec.hostPID"),
        ("  hostIPC: true\n", "spec.hostIPC"),
        ("  volumes: [{hostPath: /, mountPath: /host}]\n", "spec.volumes[0].hostPath"),
        ("  volumes: [{hostPath: /etc/ssl/, mountPath: /ssl}]\n", "spec.volumes[0].hostPath"),
        (
            "  volumes: [{hostPath: /var/run/../run/docker.sock, mountPath: /d.sock}]\n",
            "spec.volumes[0].hostPath",
        ),
    ],
)
def test_default_daemon_refuses_host_access(
    api_daemon: ApiDaemon, unique: str, extra: str, path: str
) -> None:
    body = container_yaml(unique, "whatever", extra=extra)
    with api_daemon.http() as http:
        for route, params in (
            ("/v1/apply", {}),
            ("/v1/apply", {"dryRun": "true"}),
            ("/v1/diff", {}),
        ):
            response = http.post(
                route, content=body, params=params, headers={"X-Dockform-Filename": "root.yaml"}
            )
            assert response.status_code == 403, response.text
            issue = response.json()["issues"][0]
            assert (issue["file"], issue["document"], issue["line"], issue["path"]) == (
                "root.yaml",
                1,
                8,
                path,
            )
            assert "--allow-host-access" in response.json()["error"]
        assert http.get(f"/v1/containers/{unique}").status_code == 404


def test_cli_names_the_users_file_and_line(
    api_daemon: ApiDaemon, unique: str, tmp_path: Path
) -> None:
    manifest = tmp_path / "root.yaml"
    manifest.write_text(
        "apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: "
        + unique
        + "}\n---\n"
        + container_yaml(unique, "whatever", extra="  hostNetwork: true\n")
    )
    result = api_daemon.cli("apply", "-f", str(manifest))
    assert result.returncode == 1
    assert f"{manifest}:12: document 2 (Container/{unique}): spec.hostNetwork" in result.stderr
    assert "--allow-host-access" in result.stderr
    assert api_daemon.daemon.resource("volumes", unique) is None  # all or nothing


def test_allowed_daemon_runs_host_access_containers(
    host_daemon: ApiDaemon,
    build_context: Any,
    unique: str,
    docker_client: docker.DockerClient,
) -> None:
    # This sandboxed dockerd cannot start privileged containers (runc may not apply the
    # capabilities), so the daemon is shown to accept privileged in a dry run and to run the
    # host namespaces and a mount under /etc for real.
    privileged = container_yaml(f"{unique}-priv", unique, extra="  privileged: true\n")
    extra = (
        "  hostPID: true\n"
        "  hostIPC: true\n"
        "  volumes: [{hostPath: /etc/hostname, mountPath: /host-hostname, readOnly: true}]\n"
    )
    body = (
        image_yaml(unique, build_context)
        + "---\n"
        + container_yaml(f"{unique}-host", unique, extra=extra)
    )
    with host_daemon.http() as http:
        dry = http.post("/v1/apply", content=privileged, params={"dryRun": "true"})
        assert dry.status_code == 200, dry.text
        assert dry.json()["results"][0]["action"] == "created"
        response = http.post("/v1/apply", content=body)
        assert response.status_code == 200, response.text
    host_daemon.daemon.wait_phase(
        "Container", f"{unique}-host", "Running", ready=True, timeout_s=120
    )
    host_config = docker_client.containers.get(f"{unique}-host").attrs["HostConfig"]
    assert host_config["PidMode"] == "host" and host_config["IpcMode"] == "host"
    mounts = docker_client.containers.get(f"{unique}-host").attrs["Mounts"]
    assert any(mount["Source"] == "/etc/hostname" for mount in mounts)

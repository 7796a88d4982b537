"""Host access is an allowlist, on a real daemon: every bypass of issue 16 is refused with the
field named, while host paths below the apply's own directory and a --host-path-root run."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.api.conftest import BUSYBOX, ApiDaemon, container_yaml, free_port
from tests.integration.engine.conftest import start_daemon, teardown_daemon

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def outside() -> Iterator[Path]:
    """A directory outside pytest's base temporary directory: the daemon's --host-path-root."""
    directory = Path(tempfile.mkdtemp(prefix="dockform-host-root-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def strict_daemon(
    tmp_path_factory: pytest.TempPathFactory, docker_runtime: Any, outside: Path
) -> Iterator[ApiDaemon]:
    """A default daemon that does not allow the test directories, only `outside`."""
    port = free_port()
    running = ApiDaemon(
        start_daemon(
            tmp_path_factory.mktemp("dockform-strict"),
            "--listen",
            f"tcp://127.0.0.1:{port}",
            "--host-path-root",
            str(outside),
            test_root=False,
        ),
        port,
    )
    yield running
    teardown_daemon(running.daemon)


def _volumes(host_path: str) -> str:
    return f"  volumes: [{{hostPath: '{host_path}', mountPath: /host}}]\n"


def _doc(kind: str, name: str, spec: str) -> str:
    return f"apiVersion: dockform/v1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec: {spec}\n"


BYPASSES: list[tuple[str, str, str]] = [
    *(
        (f"hostPath {path}", "container", path)
        for path in (
            "/proc/self/root/etc",
            "/root",
            "/var/lib/docker",
            "/proc",
            "/sys",
            "/dev",
            "/home",
            "/boot",
            "/var/run/docker/containerd/containerd.sock",
            "/run/containerd/containerd.sock",
        )
    ),
    ("volume bind /etc", "volume", "{driverOpts: {type: none, o: bind, device: /etc}}"),
    ("volume bind /run", "volume", "{driverOpts: {type: none, o: bind, device: /run}}"),
    ("build context /etc", "image", "{ref: leak, build: {context: /etc, dockerfile: DOCKERFILE}}"),
    ("load path", "image", "{ref: leak, load: {path: /etc/hostname}}"),
    ("network host", "network", ""),
    ("git file url", "git", "{url: 'file:///some/other/repo'}"),
    ("git local path", "git", "{url: /srv/some/repo}"),
]
FIELDS = {
    "container": "spec.volumes[0].hostPath",
    "volume": "spec.driverOpts.device",
    "network": "spec.networks[0]",
    "git": "spec.url",
}


@pytest.mark.parametrize(("case", "kind", "value"), BYPASSES, ids=[case for case, _, _ in BYPASSES])
def test_every_bypass_is_refused(
    strict_daemon: ApiDaemon, unique: str, tmp_path: Path, case: str, kind: str, value: str
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCOPY shadow /shadow\n")
    if kind == "container":
        body, field = container_yaml(unique, "whatever", extra=_volumes(value)), FIELDS[kind]
    elif kind == "network":
        body, field = (
            container_yaml(unique, "whatever", extra="  networks: [host]\n"),
            "spec.networks[0]",
        )
    elif kind == "volume":
        body, field = _doc("Volume", unique, value), FIELDS[kind]
    elif kind == "git":
        body, field = _doc("GitSource", unique, value), FIELDS[kind]
    else:
        body = _doc("Image", unique, value.replace("DOCKERFILE", str(dockerfile)))
        field = "spec.load.path" if "load" in value else "spec.build.context"
    with strict_daemon.http() as http:
        # Even with the test's own directory as the apply's root.
        response = http.post(
            "/v1/apply",
            content=body,
            params={"root": str(tmp_path)},
            headers={"X-Dockform-Filename": "bypass.yaml"},
        )
    assert response.status_code == 403, response.text
    issues = response.json()["issues"]
    assert field in [issue["path"] for issue in issues], issues
    assert all(issue["file"] == "bypass.yaml" and issue["line"] for issue in issues)
    for kind_name in ("Container", "Volume", "Image", "GitSource"):
        assert strict_daemon.daemon.resource(kind_name, unique) is None


def test_host_paths_below_the_apply_root_and_a_host_path_root_run(
    strict_daemon: ApiDaemon,
    unique: str,
    tmp_path: Path,
    outside: Path,
    docker_client: docker.DockerClient,
) -> None:
    shutil.copy(BUSYBOX, tmp_path / "busybox")
    (tmp_path / "Dockerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
    )
    (tmp_path / "data").mkdir()
    (outside / unique).mkdir()
    image = _doc(
        "Image", unique, f"{{ref: 'dockform-test/{unique}:latest', build: {{context: .}}}}"
    )
    mine = container_yaml(f"{unique}-mine", unique, extra=_volumes(str(tmp_path / "data")))
    rooted = container_yaml(f"{unique}-root", unique, extra=_volumes(str(outside / unique)))
    manifest = tmp_path / "app.yaml"
    manifest.write_text(image + "---\n" + mine + "---\n" + rooted)

    # Without the apply root (a bare HTTP request), the test directory is not allowed.
    with strict_daemon.http() as http:
        refused = http.post("/v1/apply", content=mine, params={"dryRun": "true"})
        assert refused.status_code == 403, refused.text

    result = strict_daemon.cli("apply", "-f", str(manifest))
    assert result.returncode == 0, result.stderr
    for name, source in (
        (f"{unique}-mine", tmp_path / "data"),
        (f"{unique}-root", outside / unique),
    ):
        strict_daemon.daemon.wait_phase("Container", name, "Running", ready=True, timeout_s=120)
        mounts = docker_client.containers.get(name).attrs["Mounts"]
        assert [mount["Source"] for mount in mounts] == [str(source)]

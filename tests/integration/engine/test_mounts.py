"""Issue 12 item 2 on the real dockerd: relative hostPaths (applied with the CLI from the
manifest's directory), createHostPath, SELinux relabel, propagation and tmpfs mounts reach the
Engine's fields and act inside the container; a missing source without createHostPath waits
for it, a propagation the host mount cannot give fails, and a created path outside the
allowed directories is refused, each with a message that says so."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from dockform.api.client import ClientError
from tests.integration.engine.conftest import Daemon

pytestmark = pytest.mark.integration


def mounts_yaml(name: str, image: str) -> str:
    return f"""apiVersion: dockform/v1
kind: Container
metadata: {{name: {name}}}
spec:
  image: {image}
  command: ["sleep", "600"]
  stopGracePeriod: 1s
  volumes:
    - {{hostPath: ./conf, mountPath: /conf, readOnly: true, selinux: z, propagation: rprivate}}
    - {{hostPath: ./made/deep, mountPath: /made, createHostPath: true}}
    - {{hostPath: ./plain, mountPath: /plain, propagation: private}}
    - {{tmpfs: {{size: 1Mi, mode: "1770"}}, mountPath: /scratch}}
"""


def test_mounts_reach_the_engine_and_act_inside_the_container(
    daemon: Daemon,
    unique: str,
    tmp_path: Path,
    docker_client: docker.DockerClient,
    busybox_image: str,
) -> None:
    app = tmp_path / "app"
    (app / "conf").mkdir(parents=True)
    (app / "conf" / "app.ini").write_text("answer=42\n")
    (app / "plain").mkdir()
    manifest = app / "app.yaml"
    manifest.write_text(mounts_yaml(f"{unique}-mounts", busybox_image))

    applied = daemon.cli("apply", "-f", str(manifest))
    assert applied.returncode == 0, applied.stderr
    daemon.wait_phase("Container", f"{unique}-mounts", "Running", timeout_s=60)

    stored = daemon.resource("Container", f"{unique}-mounts")
    assert stored is not None
    assert [mount.get("hostPath") for mount in stored["spec"]["volumes"]] == [
        str(app / "conf"),
        str(app / "made" / "deep"),
        str(app / "plain"),
        None,
    ]
    assert (app / "made" / "deep").is_dir()  # the engine made it

    host = docker_client.api.inspect_container(f"{unique}-mounts")["HostConfig"]
    assert host["Binds"] == [
        f"{app / 'conf'}:/conf:ro,z,rprivate",
        f"{app / 'made' / 'deep'}:/made:rw",
    ]
    assert host["Mounts"] == [
        {
            "Type": "bind",
            "Source": str(app / "plain"),
            "Target": "/plain",
            "BindOptions": {"Propagation": "private"},
        },
        {
            "Type": "tmpfs",
            "Target": "/scratch",
            "TmpfsOptions": {"SizeBytes": 1024 * 1024, "Mode": 0o1770},
        },
    ]

    container = docker_client.containers.get(f"{unique}-mounts")
    _, output = container.exec_run(
        [
            "sh",
            "-c",
            "cat /conf/app.ini; touch /conf/x 2>&1; echo made > /made/file; "
            "stat -c %a /scratch; df -k /scratch | tail -1; grep ' /plain ' /proc/self/mountinfo",
        ]
    )
    lines = output.decode().splitlines()
    assert lines[0] == "answer=42"
    assert "Read-only file system" in lines[1]
    assert lines[2] == "1770"
    assert lines[3].split()[1] == "1024"  # 1 KiB blocks: the size limit
    assert "shared:" not in lines[4] and "master:" not in lines[4]  # private
    assert (app / "made" / "deep" / "file").read_text() == "made\n"

    daemon.client.delete("containers", f"{unique}-mounts")
    daemon.wait_gone("Container", f"{unique}-mounts")


def test_bad_mounts_fail_with_messages_that_say_why(
    daemon: Daemon, unique: str, tmp_path: Path, busybox_image: str
) -> None:
    (tmp_path / "shareable").mkdir()
    manifest = f"""apiVersion: dockform/v1
kind: Container
metadata: {{name: {unique}-missing}}
spec:
  image: {busybox_image}
  command: ["sleep", "600"]
  volumes: [{{hostPath: {tmp_path / "absent"}, mountPath: /data}}]
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {unique}-shared}}
spec:
  image: {busybox_image}
  command: ["sleep", "600"]
  volumes: [{{hostPath: {tmp_path / "shareable"}, mountPath: /data, propagation: rshared}}]
"""
    daemon.client.apply(manifest)
    waiting = (
        f"waiting for hostPath {tmp_path / 'absent'} (spec.volumes[0]) to exist: create it, "
        "or set createHostPath: true"
    )

    def message() -> str | None:
        item = daemon.resource("Container", f"{unique}-missing")
        return item["status"]["message"] if item else None

    daemon.wait_for("the missing hostPath named", lambda: message() == waiting)
    assert daemon.wait_phase("Container", f"{unique}-missing", "Pending")
    assert not (tmp_path / "absent").exists()
    # This machine's / is a private mount, so rshared cannot be had (with a shared / it
    # would run): the engine's refusal, with what would fix it.
    shared = daemon.wait_phase("Container", f"{unique}-shared", "Failed", timeout_s=60)
    assert "is not a shared mount" in shared["status"]["message"]
    assert "mount --make-rshared" in shared["status"]["message"]

    # Once it exists, the next pass (the resync: 5 s here) creates the container.
    (tmp_path / "absent").mkdir()
    daemon.wait_phase("Container", f"{unique}-missing", "Running", timeout_s=60)

    for name in (f"{unique}-missing", f"{unique}-shared"):
        daemon.client.delete("containers", name)
        daemon.wait_gone("Container", name)


def test_a_created_host_path_outside_the_allowed_directories_is_refused(
    daemon: Daemon, unique: str, busybox_image: str
) -> None:
    outside = f"/srv/{unique}/data"
    manifest = f"""apiVersion: dockform/v1
kind: Container
metadata: {{name: {unique}-outside}}
spec:
  image: {busybox_image}
  volumes: [{{hostPath: {outside}, mountPath: /data, createHostPath: true}}]
"""
    with pytest.raises(ClientError) as refused:
        daemon.client.apply(manifest)
    assert refused.value.status == 403
    assert [issue["path"] for issue in refused.value.issues] == ["spec.volumes[0].hostPath"]
    assert "outside the directories the daemon allows" in refused.value.message
    assert daemon.resource("Container", f"{unique}-outside") is None
    assert not Path(outside).exists()

"""Issue 12 item 5 on the real dockerd: a Container reads its Secrets as files with the mode
asked (value, file and daemon-environment sources), an env from {secret: NAME}, a Config
mounted as a file; new Secret content replaces the container; the value shows in no API
answer, CLI output, the daemon's log or the store's file; the files go with the container."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.integration.engine.conftest import Daemon, start_daemon, teardown_daemon

pytestmark = pytest.mark.integration

VALUE = "s3cr3t-INTEG-9b71d"
VALUE2 = "s3cr3t-INTEG-second-44e0"
FILE_VALUE = "file-token-INTEG-c2a8"
ENV_VALUE = "env-value-INTEG-71f3"
VALUE3 = "shop-value-INTEG-9b41"
ENV_NAME = "DOCKFORM_IT_SECRET_71F3"


@pytest.fixture()
def secret_daemon(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    docker_runtime: object,
) -> Iterator[Daemon]:
    # The daemon inherits this environment: where the Secret with `env:` reads from.
    monkeypatch.setenv(ENV_NAME, ENV_VALUE)
    running = start_daemon(tmp_path_factory.mktemp("dockform-home"))
    monkeypatch.delenv(ENV_NAME)
    yield running
    teardown_daemon(running)


def manifests(p: str, image: str, value: str) -> str:
    return f"""
apiVersion: dockform/v1
kind: Secret
metadata: {{name: {p}-pw}}
spec: {{value: {value}}}
---
apiVersion: dockform/v1
kind: Secret
metadata: {{name: {p}-tok}}
spec: {{file: token.txt}}
---
apiVersion: dockform/v1
kind: Secret
metadata: {{name: {p}-envs}}
spec: {{env: {ENV_NAME}}}
---
apiVersion: dockform/v1
kind: Config
metadata: {{name: {p}-conf}}
spec: {{value: "listen 80"}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {p}-box}}
spec:
  image: {image}
  command: ["sleep", "600"]
  stopGracePeriod: 1s
  env: {{PLAIN: x, FROM_SECRET: {{secret: {p}-envs}}}}
  secrets:
    - {{name: {p}-pw, mode: "0440", uid: 1000, gid: 1001}}
    - {{name: {p}-tok, target: /etc/tok}}
  configs:
    - {{name: {p}-conf, target: /etc/app.conf}}
"""


def exec_output(client: docker.DockerClient, name: str, script: str) -> str:
    _, output = client.containers.get(name).exec_run(["sh", "-c", script])
    return str(output.decode())


def test_secrets_and_configs_in_a_container(
    secret_daemon: Daemon,
    unique: str,
    docker_client: docker.DockerClient,
    busybox_image: str,
    tmp_path: Path,
) -> None:
    daemon = secret_daemon
    (tmp_path / "token.txt").write_text(FILE_VALUE)
    app = tmp_path / "app.yaml"
    app.write_text(manifests(unique, busybox_image, VALUE))
    applied = daemon.cli("apply", "-f", str(app))
    assert applied.returncode == 0, applied.stderr
    box = f"{unique}-box"
    item = daemon.wait_phase("Container", box, "Running", timeout_s=60)
    first_id = item["status"]["observed"]["containerId"]

    output = exec_output(
        docker_client,
        box,
        f"stat -c '%a %u %g' /run/secrets/{unique}-pw; cat /run/secrets/{unique}-pw; echo; "
        "cat /etc/tok; echo; cat /etc/app.conf; echo; echo $FROM_SECRET; stat -c %a /etc/tok",
    )
    assert output.splitlines() == [
        "440 1000 1001",
        VALUE,
        FILE_VALUE,
        "listen 80",
        ENV_VALUE,
        "444",
    ]
    writes = exec_output(
        docker_client,
        box,
        f"echo x >> /run/secrets/{unique}-pw && echo WROTE; echo x >> /etc/app.conf && echo WROTE",
    )
    assert "WROTE" not in writes and "Read-only file system" in writes
    attrs = docker_client.api.inspect_container(box)
    mounts = {mount["Destination"]: mount for mount in attrs["Mounts"]}
    secret_source = Path(mounts[f"/run/secrets/{unique}-pw"]["Source"])
    assert all(not mounts[target]["RW"] for target in mounts)
    assert "/dockform/" in str(secret_source) and "/secrets/" in str(secret_source)
    assert stat.S_IMODE(os.stat(secret_source.parent).st_mode) == 0o700
    assert [entry for entry in attrs["Config"]["Env"] if entry.startswith("PLAIN=")] == ["PLAIN=x"]

    # New content replaces the container; an unchanged re-apply does not.
    again = daemon.cli("apply", "-f", str(app))
    assert again.returncode == 0 and "unchanged" in again.stdout, again.stdout
    app.write_text(manifests(unique, busybox_image, VALUE2))
    assert daemon.cli("apply", "-f", str(app)).returncode == 0

    def replaced() -> dict[str, object] | None:
        current = daemon.resource("Container", box)
        if current is None or current["status"]["phase"] != "Running":
            return None
        return current if current["status"]["observed"]["containerId"] != first_id else None

    daemon.wait_for("the container replaced", replaced, timeout_s=60)
    assert exec_output(docker_client, box, f"cat /run/secrets/{unique}-pw") == VALUE2

    # The value appears nowhere the daemon answers or writes.
    described = daemon.cli("describe", f"secret/{unique}-pw")
    assert described.returncode == 0 and "sha256" in described.stdout, described.stderr
    listed = daemon.cli("get", "secrets")
    assert f"{unique}-tok" in listed.stdout and "file:" in listed.stdout, listed.stderr
    seen = [
        json.dumps(daemon.client.list("secrets")),
        json.dumps(daemon.client.get("secrets", f"{unique}-pw")),
        json.dumps(daemon.client.events()),
        daemon.cli("get", "secrets").stdout,
        daemon.cli("get", "secrets", "-o", "yaml").stdout,
        daemon.cli("describe", f"secret/{unique}-pw").stdout,
        daemon.cli("describe", f"container/{box}").stdout,
        daemon.cli("events").stdout,
        daemon.cli("diff", "-f", str(app)).stdout,
        daemon.cli("apply", "-f", str(app), "--dry-run").stdout,
        daemon.log(),
    ]
    store_bytes = b"".join(
        path.read_bytes() for path in daemon.home.iterdir() if path.name.startswith("dockform.db")
    )
    for secret in (VALUE, VALUE2, FILE_VALUE, ENV_VALUE):
        assert not any(secret in text for text in seen), secret
        assert secret.encode() not in store_bytes
    assert "<redacted sha256:" in daemon.cli("get", "secrets", "-o", "yaml").stdout

    # Another namespace: its Container takes the Secret of its own namespace (same name, other
    # value), its files go under the namespace, and delete namespace removes it all.
    shop = f"{unique}-ns"
    other = tmp_path / "shop.yaml"
    other.write_text(
        f"""
apiVersion: dockform/v1
kind: Secret
metadata: {{name: {unique}-pw, namespace: {shop}}}
spec: {{value: {VALUE3}}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {unique}-box, namespace: {shop}}}
spec:
  image: {busybox_image}
  command: ["sleep", "600"]
  stopGracePeriod: 1s
  env: {{FROM_SECRET: {{secret: {unique}-pw}}}}
  secrets: [{{name: {unique}-pw}}]
"""
    )
    assert daemon.cli("apply", "-f", str(other)).returncode == 0
    engine_box = f"{shop}_{unique}-box"
    daemon.wait_for(
        "the namespaced container running",
        lambda: daemon.client.get("containers", box, shop)["status"]["phase"] == "Running" or None,
        timeout_s=60,
    )
    script = f"cat /run/secrets/{unique}-pw; echo; echo $FROM_SECRET"
    assert exec_output(docker_client, engine_box, script).splitlines() == [VALUE3, VALUE3]
    shop_mounts = docker_client.api.inspect_container(engine_box)["Mounts"]
    shop_source = Path(next(m["Source"] for m in shop_mounts if m["Destination"].endswith("-pw")))
    assert shop_source.parent.parent.name == shop and shop_source.parent.name == box
    in_shop = daemon.cli("get", "secrets", "-n", shop)
    assert in_shop.returncode == 0 and f"{unique}-pw" in in_shop.stdout, in_shop.stderr
    assert VALUE3 not in in_shop.stdout and f"{unique}-tok" not in in_shop.stdout
    assert exec_output(docker_client, box, f"cat /run/secrets/{unique}-pw") == VALUE2
    assert daemon.cli("delete", "namespace", shop).returncode == 0
    daemon.wait_for(
        f"namespace {shop} gone",
        lambda: not daemon.client.list("secrets", namespace=shop),
        timeout_s=60,
    )
    assert not shop_source.parent.exists()
    assert VALUE3 not in daemon.log()

    # Deleting the container removes its files from the tmpfs.
    daemon.client.delete("containers", box)
    daemon.wait_gone("Container", box)
    daemon.wait_for("its secret files removed", lambda: not secret_source.parent.exists())
    for kinds in ("secrets", "configs"):
        for item in daemon.client.list(kinds):
            daemon.client.delete(kinds, item["name"])
    daemon.wait_for(
        "secrets and configs deleted",
        lambda: not daemon.client.list("secrets") and not daemon.client.list("configs"),
    )
    # The daemon's tmpfs directory for this instance is empty now: the test's own, removed.
    instance_dir = secret_source.parents[3]  # <instance>/secrets/<namespace>/<container>/
    assert not any(path.is_file() for path in instance_dir.rglob("*"))
    shutil.rmtree(instance_dir)
    with contextlib.suppress(OSError):
        instance_dir.parent.rmdir()  # /dev/shm/dockform, when no one else uses it

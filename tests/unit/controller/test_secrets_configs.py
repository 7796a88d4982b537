"""Secrets and Configs through the manager, with a real store, the fake runtime and files in
tmp_path: containers wait for them, mount them as files, get env from them, and are replaced
when their content changes; the files go with the container."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockform.controller.actions import ContainerFile
from dockform.controller.container_files import ContainerFiles
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.controller.reconcilers.container_plan import (
    ContainerDesired,
    ContainerSnapshot,
    plan,
)
from dockform.manifests.loader import load_text
from dockform.manifests.models import ContainerSpec
from dockform.runtime.fake import FakeRuntime
from dockform.settings import Backoff, ControllerSettings
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from dockform.store.sealing import Sealer
from dockform.store.vault import SealBroken, Vault, seal_context
from tests.unit.controller.conftest import phase, wait

VALUE = "pa55-UNIT-7f3e9c"
SETTINGS = ControllerSettings(retry=Backoff(base_s=0.05, cap_s=0.5), resync_s=3600)


def secret(value: str = VALUE) -> str:
    return (
        "apiVersion: dockform/v1\nkind: Secret\nmetadata: {name: db-password}\n"
        f"spec: {{value: {value}}}\n"
    )


CONFIG = (
    "apiVersion: dockform/v1\nkind: Config\nmetadata: {name: app-conf}\nspec: {value: 'port=80'}\n"
)
WEB = """apiVersion: dockform/v1
kind: Container
metadata: {name: web}
spec:
  image: app:1
  env: {PLAIN: x, DB_PASSWORD: {secret: db-password}}
  secrets: [{name: db-password, mode: "0400", uid: 1000}]
  configs: [{name: app-conf, target: /etc/app.conf}]
"""


@pytest.fixture()
def runtime() -> FakeRuntime:
    fake = FakeRuntime()
    fake.add_image("app:1")
    return fake


@pytest.fixture()
def files(tmp_path: Path) -> ContainerFiles:
    vault = Vault.generate()
    return ContainerFiles(vault, tmp_path / "secrets", tmp_path / "configs", require_tmpfs=False)


@pytest.fixture()
def manager(store: Store, runtime: FakeRuntime, files: ContainerFiles) -> Iterator[Manager]:
    context = ReconcileContext(
        store=store, runtime=runtime, settings=SETTINGS, vault=files._vault, files=files
    )
    running = Manager(context)
    running.start()
    yield running
    running.stop()


@pytest.fixture()
def applier(store: Store, manager: Manager, files: ContainerFiles) -> Applier:
    return Applier(store, on_change=manager.desired_changed, sealer=Sealer(files._vault))


def created(runtime: FakeRuntime, name: str = "web"):  # type: ignore[no-untyped-def]
    return next(c for c in runtime.containers.values() if c.request.name == name).request


def test_a_missing_secret_blocks_the_container_naming_it(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    applier.apply(ApplyRequest(load_text(CONFIG + "---\n" + WEB)))
    wait(lambda: store.get("Container", "web").status.reason == "Waiting")  # type: ignore[union-attr]
    web = store.get("Container", "web")
    assert web is not None
    assert "Secret/db-password, which does not exist" in web.status.message
    assert not runtime.containers


def test_a_container_mounts_its_secret_and_config_and_gets_env(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager, files: ContainerFiles
) -> None:
    applier.apply(ApplyRequest(load_text(secret() + "---\n" + CONFIG + "---\n" + WEB)))
    wait(lambda: phase(store, "Container", "web") == "Running")
    request = created(runtime)
    assert request.env == {"PLAIN": "x", "DB_PASSWORD": VALUE}
    mounts = {mount.target: mount for mount in request.mounts}
    secret_mount = mounts["/run/secrets/db-password"]
    config_mount = mounts["/etc/app.conf"]
    assert secret_mount.read_only and config_mount.read_only
    assert Path(secret_mount.source).read_text() == VALUE
    assert Path(secret_mount.source).is_relative_to(files.secrets_root)
    info = os.stat(secret_mount.source)
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o400, 1000)
    assert Path(config_mount.source).read_text() == "port=80"
    assert stat.S_IMODE(os.stat(config_mount.source).st_mode) == 0o444
    assert stat.S_IMODE(os.stat(Path(secret_mount.source).parent).st_mode) == 0o700
    assert phase(store, "Secret", "db-password") == "Ready"


def test_new_secret_content_replaces_the_container_and_delete_removes_the_files(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager, files: ContainerFiles
) -> None:
    applier.apply(ApplyRequest(load_text(secret() + "---\n" + CONFIG + "---\n" + WEB)))
    wait(lambda: phase(store, "Container", "web") == "Running")
    assert manager.wait_idle(5)
    first = next(iter(runtime.containers))
    unchanged = applier.apply(ApplyRequest(load_text(secret() + "---\n" + CONFIG + "---\n" + WEB)))
    assert [result.action for result in unchanged] == ["unchanged"] * 3
    applier.apply(ApplyRequest(load_text(secret("other-value") + "---\n" + CONFIG + "---\n" + WEB)))
    wait(lambda: first not in runtime.containers and len(runtime.containers) == 1)
    wait(lambda: phase(store, "Container", "web") == "Running")
    request = created(runtime)
    assert request.env["DB_PASSWORD"] == "other-value"
    source = next(m.source for m in request.mounts if m.target == "/run/secrets/db-password")
    assert Path(source).read_text() == "other-value"

    applier.request_deletion("Container", "web")
    wait(lambda: store.get("Container", "web") is None)
    assert ("default", "web") not in files.containers()
    assert not runtime.containers


def _in(namespace: str, text: str) -> str:
    return text.replace("metadata: {name: ", f"metadata: {{namespace: {namespace}, name: ")


def test_a_container_takes_the_secrets_of_its_own_namespace_and_delete_namespace_drops_them(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager, files: ContainerFiles
) -> None:
    shop = _in("shop", secret("shop-value") + "---\n" + CONFIG + "---\n" + WEB)
    applier.apply(ApplyRequest(load_text(secret() + "---\n" + shop)))
    wait(lambda: getattr(store.get("Container", "web", "shop"), "status", None) is not None)
    wait(lambda: store.get("Container", "web", "shop").status.phase == "Running")  # type: ignore[union-attr]
    request = created(runtime, "shop_web")
    assert request.env["DB_PASSWORD"] == "shop-value"
    source = next(m.source for m in request.mounts if m.target == "/run/secrets/db-password")
    assert Path(source).read_text() == "shop-value"
    assert Path(source).parent == files.secrets_root / "shop" / "web"
    stored = store.get("Secret", "db-password", "shop")
    assert stored is not None and files._vault is not None
    assert files._vault.open(seal_context("Secret", "shop", "db-password"), stored.spec["sealed"])
    with pytest.raises(SealBroken):  # bound to its namespace: it opens as no other Secret
        files._vault.open(seal_context("Secret", "default", "db-password"), stored.spec["sealed"])

    deleted = applier.delete_namespace("shop")
    assert {(result.kind, result.name) for result in deleted} >= {
        ("Secret", "db-password"),
        ("Config", "app-conf"),
        ("Container", "web"),
    }
    wait(lambda: store.get("Container", "web", "shop") is None)
    wait(lambda: store.get("Secret", "db-password", "shop") is None)
    assert store.get("Secret", "db-password") is not None  # default's stays
    assert ("shop", "web") not in files.containers()
    assert not runtime.containers


# --- planner, golden text

FILE = ContainerFile(
    path="/run/x/web/0-pw", target="/run/secrets/pw", mode=0o400, uid=0, gid=0, payload="v1:x"
)


def _snapshot(**extra: object) -> ContainerSnapshot:
    return ContainerSnapshot(
        labelled=(),
        name_holder=None,
        image_id="sha256:1",
        image_ref="app:1",
        **extra,  # type: ignore[arg-type]
    )


def test_plan_writes_the_files_before_creating() -> None:
    spec = ContainerSpec.model_validate({"image": "app:1", "secrets": [{"name": "pw"}]})
    result = plan(
        ContainerDesired("web", spec, "h"),
        _snapshot(files=(FILE,), contents=("Secret/pw sha256:aa",)),
    )
    assert str(result) == (
        "#1 files:web, WriteContainerFiles, to mount\n"
        "#2 container:web, CreateContainer, not found\n"
        "#3 container:web, StartContainer, created"
    )
    create = result.actions[1]
    mounts = create.request.mounts  # type: ignore[attr-defined]
    assert [(m.target, m.source, m.type, m.read_only) for m in mounts] == [
        ("/run/secrets/pw", "/run/x/web/0-pw", "bind", True)
    ]


def test_plan_without_secrets_is_unchanged() -> None:
    spec = ContainerSpec.model_validate({"image": "app:1"})
    result = plan(ContainerDesired("web", spec, "h"), _snapshot())
    assert str(result) == (
        "#1 container:web, CreateContainer, not found\n#2 container:web, StartContainer, created"
    )


def test_plan_waits_naming_the_missing_secret() -> None:
    spec = ContainerSpec.model_validate({"image": "app:1", "secrets": [{"name": "pw"}]})
    waiting = ("Secret/pw, which does not exist (apply it, or stop using it in this Container)",)
    result = plan(ContainerDesired("web", spec, "h"), _snapshot(waiting=waiting))
    assert str(result) == f"blocked: Waiting: {waiting[0]}"

"""Build secrets of an Image: the planner hashes their digests and hands them on sealed; the
reconciler waits for their Secrets; the executor opens them into files that live only for the
build (`ContainerFiles.build_secrets`)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockform.controller.actions import SealedBuildSecret
from dockform.controller.container_files import ContainerFiles, FilesUnavailable
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.controller.reconcilers.image import (
    BuildSecretState,
    ImageDesired,
    ImageSnapshot,
    plan,
    requires,
    secrets_digest,
    wanted_hash,
)
from dockform.manifests.loader import load_text
from dockform.manifests.models import ImageSpec
from dockform.manifests.namespaces import ObjectKey
from dockform.runtime.fake import FakeRuntime
from dockform.runtime.types import BuildRequest, BuildResult, ImageInfo, managed_labels
from dockform.settings import Backoff, ControllerSettings
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from dockform.store.sealing import Sealer
from dockform.store.types import ResourceStatus
from dockform.store.vault import Vault
from tests.unit.controller.conftest import wait

SETTINGS = ControllerSettings(retry=Backoff(base_s=0.05, cap_s=0.5), resync_s=3600)

BUILD = {"build": {"context": "/src", "secrets": [{"name": "token"}, {"name": "npm", "id": "n"}]}}


def state(build_id: str, digest: str) -> BuildSecretState:
    return BuildSecretState(
        SealedBuildSecret(build_id, f"Secret/default/{build_id}", "v1:x"), digest
    )


def desired(secrets: tuple[BuildSecretState, ...]) -> ImageDesired:
    spec = ImageSpec.model_validate({"ref": "app:1", **BUILD})
    return ImageDesired("app", spec, "sh", 1, build_secrets=secrets)


def snapshot(found: ImageInfo | None, built_with: str = "") -> ImageSnapshot:
    return ImageSnapshot(
        image=found,
        source_digest="ctx",
        pulled_generation=0,
        loaded_fingerprint="",
        built_secrets_digest=built_with,
    )


def built(want: str) -> ImageInfo:
    return ImageInfo(
        id="sha256:" + "a" * 64, tags=("app:1",), labels=managed_labels("Image", "app", want)
    )


def test_the_hash_of_an_image_without_build_secrets_is_unchanged() -> None:
    assert wanted_hash("sh", "ctx") == wanted_hash("sh", "ctx", ())
    assert wanted_hash("sh", "ctx") != wanted_hash("sh", "ctx", (state("token", "d1"),))


def test_build_secrets_go_to_the_build_sealed_and_a_new_digest_rebuilds_without_cache() -> None:
    secrets = (state("token", "d1"), state("n", "d2"))
    first = plan(desired(secrets), snapshot(None))
    assert str(first) == "#1 image:app:1, BuildImage, not found"
    action = first.actions[0]
    assert [secret.id for secret in action.secrets] == ["token", "n"]  # type: ignore[attr-defined]
    assert action.request.secrets == ()  # type: ignore[attr-defined]  # the executor fills it
    assert action.request.no_cache  # type: ignore[attr-defined]  # no build had these yet

    present = built(wanted_hash("sh", "ctx", secrets))
    assert plan(desired(secrets), snapshot(present, secrets_digest(secrets))).empty
    changed = (state("token", "d1"), state("n", "d3"))
    rebuild = plan(desired(changed), snapshot(present, secrets_digest(secrets)))
    assert str(rebuild) == "#1 image:app:1, BuildImage, build secrets changed"
    # BuildKit's cache keys leave secrets out: the steps must run again.
    assert rebuild.actions[0].request.no_cache  # type: ignore[attr-defined]


def test_a_new_context_with_the_same_secrets_keeps_the_cache() -> None:
    secrets = (state("token", "d1"),)
    present = built(wanted_hash("sh", "old-ctx", secrets))
    rebuild = plan(desired(secrets), snapshot(present, secrets_digest(secrets)))
    assert str(rebuild) == "#1 image:app:1, BuildImage, build inputs changed"
    assert not rebuild.actions[0].request.no_cache  # type: ignore[attr-defined]


def test_an_image_requires_the_secrets_of_its_build() -> None:
    text = (
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: app, namespace: shop}\n"
        "spec: {ref: 'app:1', build: {context: /src, secrets: [{name: token}]}}\n"
    )
    applied = load_text(text)[0]
    resource = type("R", (), {"spec": applied.manifest.spec.dump(), "namespace": "shop"})()
    assert requires(resource) == [ObjectKey("Secret", "shop", "token")]  # type: ignore[arg-type]


def test_repeated_ids_are_named() -> None:
    spec = ImageSpec.model_validate(
        {"ref": "a:1", "build": {"secrets": [{"name": "a", "id": "x"}, {"name": "x"}]}}
    )
    assert spec.build is not None and spec.build.repeated_secret_ids() == ["x"]


IMAGE = """apiVersion: dockform/v1
kind: Image
metadata: {name: app}
spec: {ref: 'app:1', build: {context: CONTEXT, secrets: [{name: token, id: tok}]}}
"""
SECRET = "apiVersion: dockform/v1\nkind: Secret\nmetadata: {name: token}\nspec: {value: VALUE}\n"


class SeeingRuntime(FakeRuntime):
    """The fake engine, noting what each build's secret files held while it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict[str, tuple[str, bytes, int]]] = []

    def build_image(self, request: BuildRequest) -> BuildResult:
        self.seen.append(
            {
                secret.id: (
                    secret.src,
                    Path(secret.src).read_bytes(),
                    stat.S_IMODE(os.stat(Path(secret.src).parent).st_mode),
                )
                for secret in request.secrets
            }
        )
        return super().build_image(request)


@pytest.fixture()
def seeing() -> SeeingRuntime:
    return SeeingRuntime()


@pytest.fixture()
def running(store: Store, seeing: SeeingRuntime, tmp_path: Path) -> Iterator[Applier]:
    vault = Vault.generate()
    files = ContainerFiles(
        vault, tmp_path / "run" / "secrets", tmp_path / "configs", require_tmpfs=False
    )
    context = ReconcileContext(
        store=store, runtime=seeing, settings=SETTINGS, vault=vault, files=files
    )
    manager = Manager(context)
    manager.start()
    yield Applier(store, on_change=manager.desired_changed, sealer=Sealer(vault))
    manager.stop()


def image_status(store: Store) -> ResourceStatus:
    resource = store.get("Image", "app")
    assert resource is not None
    return resource.status


def test_the_image_waits_for_its_secret_then_builds_with_it_in_a_file_of_the_build_alone(
    running: Applier, store: Store, seeing: SeeingRuntime, tmp_path: Path
) -> None:
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\n")
    running.apply(ApplyRequest(load_text(IMAGE.replace("CONTEXT", str(context)))))
    wait(lambda: image_status(store).reason == "Waiting")
    message = image_status(store).message
    assert "Secret/token, which does not exist" in message and "spec.build.secrets" in message
    assert not seeing.seen

    running.apply(ApplyRequest(load_text(SECRET.replace("VALUE", "hunter2"))))
    wait(lambda: image_status(store).phase == "Ready")
    assert len(seeing.seen) == 1
    src, content, mode = seeing.seen[0]["tok"]
    assert content == b"hunter2" and mode == 0o700
    assert Path(src).is_relative_to(tmp_path / "run" / "builds")
    assert not Path(src).exists() and not Path(src).parent.exists()  # removed after the build

    # The same content again builds nothing; a new one rebuilds.
    running.apply(ApplyRequest(load_text(SECRET.replace("VALUE", "hunter2"))))
    running.apply(ApplyRequest(load_text(SECRET.replace("VALUE", "hunter3"))))
    wait(lambda: len(seeing.seen) == 2)
    assert seeing.seen[1]["tok"][1] == b"hunter3"
    events = " ".join(event.message for event in store.list_events())
    assert "hunter" not in events and "hunter" not in str(store.get("Image", "app"))


def test_the_build_files_go_even_when_the_build_fails(tmp_path: Path) -> None:
    vault = Vault.generate()
    files = ContainerFiles(vault, tmp_path / "secrets", tmp_path / "configs", require_tmpfs=False)
    sealed = SealedBuildSecret("tok", "Secret/default/t", vault.seal("Secret/default/t", b"x"))
    seen: list[Path] = []
    with pytest.raises(RuntimeError), files.build_secrets([sealed]) as mounted:
        seen = [Path(secret.src) for secret in mounted]
        assert seen[0].read_bytes() == b"x"
        raise RuntimeError("the build failed")
    assert seen and not seen[0].exists() and not seen[0].parent.exists()


def test_build_secrets_are_refused_off_a_tmpfs(tmp_path: Path) -> None:
    files = ContainerFiles(Vault.generate(), tmp_path / "secrets", tmp_path / "configs")
    with pytest.raises(FilesUnavailable, match="not a tmpfs"), files.build_secrets([]):
        pass


def test_the_build_files_of_a_dead_daemon_go_at_the_next_build(tmp_path: Path) -> None:
    files = ContainerFiles(
        Vault.generate(), tmp_path / "secrets", tmp_path / "configs", require_tmpfs=False
    )
    builds = tmp_path / "builds"
    stale = builds / "build-999999999-abcd"  # no such pid
    alive = builds / f"build-{os.getpid()}-efgh"
    for directory in (stale, alive):
        directory.mkdir(parents=True)
        (directory / "0-tok").write_text("left behind")
    with files.build_secrets([]):
        pass
    assert not stale.exists() and alive.exists()


def test_two_build_secrets_with_one_id_fail_the_image_naming_it(
    running: Applier, store: Store, seeing: SeeingRuntime, tmp_path: Path
) -> None:
    text = (
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: app}\n"
        f"spec: {{ref: 'app:1', build: {{context: {tmp_path}, "
        "secrets: [{name: token, id: tok}, {name: tok}]}}\n"
    )
    running.apply(ApplyRequest(load_text(text)))
    wait(lambda: image_status(store).phase == "Failed")
    assert image_status(store).reason == "InvalidSpec"
    assert "spec.build.secrets: two have the id tok" in image_status(store).message
    assert not seeing.seen

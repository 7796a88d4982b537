"""Mounts (issue 12 item 2) through the planner and the driver's pure conversion: what the
create request carries for each mount, which HostConfig field each lands in (Binds for a bind
that creates or relabels its source, Mounts for the rest), a propagation the host cannot give
refused as a request error with a hint, and a missing bind source waited for rather than
replacing a running copy. No Docker: pure plans, and the manager on the fake runtime."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import docker.types
import pytest
import requests

from dockform.controller.actions import CreateContainer
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.controller.reconcilers.container import bind_targets
from dockform.controller.reconcilers.container_plan import (
    ContainerDesired,
    container_hash,
    create_request,
    plan,
)
from dockform.manifests.hashing import spec_hash
from dockform.manifests.loader import load_text
from dockform.manifests.models import ContainerSpec
from dockform.manifests.namespaces import key
from dockform.runtime._docker_convert import mount_settings
from dockform.runtime._docker_errors import translate
from dockform.runtime.errors import InvalidRequest
from dockform.runtime.fake import FakeRuntime
from dockform.runtime.types import Mount
from dockform.settings import Backoff, ControllerSettings
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from tests.unit.controller.conftest import phase, wait
from tests.unit.controller.test_container_plan import IMAGE_ID, info, observed

VOLUMES: list[dict[str, Any]] = [
    {"volume": "data", "mountPath": "/data"},
    {"hostPath": "/srv/plain", "mountPath": "/plain", "readOnly": True},
    {"hostPath": "/srv/made", "mountPath": "/made", "createHostPath": True},
    {"hostPath": "/srv/label", "mountPath": "/label", "selinux": "Z", "readOnly": True},
    {"hostPath": "/srv/prop", "mountPath": "/prop", "propagation": "rslave"},
    {
        "hostPath": "/srv/all",
        "mountPath": "/all",
        "createHostPath": True,
        "selinux": "z",
        "propagation": "rprivate",
    },
    {"tmpfs": {"size": "64Mi", "mode": "1777"}, "mountPath": "/run"},
    {"tmpfs": {}, "mountPath": "/tmp", "readOnly": True},
]


def mounts(volumes: list[dict[str, Any]]) -> tuple[Mount, ...]:
    spec = ContainerSpec.model_validate({"image": "app:1", "volumes": volumes})
    return create_request("web", spec, "app:1", "hash", {"data": "app_data"}).mounts


def test_create_request_carries_each_mount_setting() -> None:
    assert mounts(VOLUMES) == (
        Mount("/data", "app_data", "volume"),
        Mount("/plain", "/srv/plain", "bind", read_only=True),
        Mount("/made", "/srv/made", "bind", create_host_path=True),
        Mount("/label", "/srv/label", "bind", read_only=True, selinux="Z"),
        Mount("/prop", "/srv/prop", "bind", propagation="rslave"),
        Mount(
            "/all", "/srv/all", "bind", create_host_path=True, selinux="z", propagation="rprivate"
        ),
        Mount("/run", "", "tmpfs", tmpfs_size_bytes=64 * 1024**2, tmpfs_mode=0o1777),
        Mount("/tmp", "", "tmpfs", read_only=True),
    )


def test_a_plain_mount_request_is_what_it_was_before() -> None:
    # Existing containers: no new field set, so the same Mount as before the fields existed.
    assert mounts([{"hostPath": "/srv/a", "mountPath": "/a"}]) == (
        Mount(target="/a", source="/srv/a", type="bind", read_only=False),
    )


def test_the_plan_creates_with_the_mounts_and_replaces_only_when_one_is_set() -> None:
    spec = ContainerSpec.model_validate({"image": "hello:latest", "volumes": VOLUMES[6:]})
    created = plan(ContainerDesired("web", spec, "h"), observed(None))
    assert str(created) == (
        "#1 container:web, CreateContainer, not found\n#2 container:web, StartContainer, created"
    )
    first = created.actions[0]
    assert isinstance(first, CreateContainer)
    assert [mount.type for mount in first.request.mounts] == ["tmpfs", "tmpfs"]

    # A container made before the new fields existed, from a spec with a plain bind.
    plain = {"image": "hello:latest", "volumes": [{"hostPath": "/srv/a", "mountPath": "/a"}]}
    old_hash = spec_hash("Container", plain)
    running = info(want_hash=container_hash(old_hash, IMAGE_ID))
    again = ContainerSpec.model_validate(plain)
    assert str(plan(ContainerDesired("web", again, old_hash), observed(running))) == (
        "(nothing to do)"
    )
    relabelled = {**plain, "volumes": [{**plain["volumes"][0], "selinux": "z"}]}
    new_hash = spec_hash("Container", relabelled)
    spec = ContainerSpec.model_validate(relabelled)
    assert "RemoveContainer, config hash changed" in str(
        plan(ContainerDesired("web", spec, new_hash), observed(running))
    )


def test_binds_that_create_or_relabel_go_in_binds_and_the_rest_in_mounts() -> None:
    binds, specs = mount_settings(mounts(VOLUMES))
    assert binds == ["/srv/made:/made:rw", "/srv/label:/label:ro,Z", "/srv/all:/all:rw,z,rprivate"]
    assert specs == [
        {"Target": "/data", "Source": "app_data", "Type": "volume", "ReadOnly": False},
        {"Target": "/plain", "Source": "/srv/plain", "Type": "bind", "ReadOnly": True},
        {
            "Target": "/prop",
            "Source": "/srv/prop",
            "Type": "bind",
            "ReadOnly": False,
            "BindOptions": {"Propagation": "rslave"},
        },
        {
            "Target": "/run",
            "Source": "",
            "Type": "tmpfs",
            "ReadOnly": False,
            "TmpfsOptions": {"SizeBytes": 64 * 1024**2, "Mode": 0o1777},
        },
        {"Target": "/tmp", "Source": "", "Type": "tmpfs", "ReadOnly": True, "TmpfsOptions": {}},
    ]
    # docker-py passes both through to HostConfig as they are.
    config = docker.types.HostConfig(version="1.41", binds=binds, mounts=specs)
    assert config["Binds"] == binds and config["Mounts"] == specs


def test_a_propagation_the_host_mount_cannot_give_is_a_request_error_with_a_hint() -> None:
    response = requests.Response()
    response.status_code = 500
    for words in ("not a shared mount", "not a shared or slave mount"):
        message = f"path /srv/prop is mounted on / but it is {words}"
        error = docker.errors.APIError(message, response=response, explanation=message)
        translated = translate(error, "start container web", starting=True)
        assert type(translated) is InvalidRequest and not translated.transient
        assert str(translated).startswith(f"start container web: {message} (the bind's")
        assert "mount --make-rshared /" in str(translated)


@pytest.fixture()
def running(store: Store, tmp_path: Path) -> Iterator[tuple[Manager, Applier, FakeRuntime]]:
    fake = FakeRuntime()
    fake.add_image("app:1")
    settings = ControllerSettings(retry=Backoff(base_s=0.05, cap_s=0.5), resync_s=3600)
    manager = Manager(ReconcileContext(store=store, runtime=fake, settings=settings))
    manager.start()
    yield manager, Applier(store, on_change=manager.desired_changed), fake
    manager.stop()


def web(host_path: Path, extra: str = "") -> str:
    return (
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\nspec:\n"
        f"  image: app:1\n  volumes: [{{hostPath: {host_path}, mountPath: /data{extra}}}]\n"
    )


def test_a_missing_bind_source_waits_and_never_replaces_a_running_copy(
    store: Store, tmp_path: Path, running: tuple[Manager, Applier, FakeRuntime]
) -> None:
    manager, applier, fake = running
    (tmp_path / "old").mkdir()
    applier.apply(ApplyRequest(load_text(web(tmp_path / "old"))))
    wait(lambda: phase(store, "Container", "web") == "Running")
    first = fake.inspect_container("web")
    assert first is not None

    # The new spec names a directory that is not there: the running copy stays.
    applier.apply(ApplyRequest(load_text(web(tmp_path / "new"))))
    wait(lambda: "new" in str(status_message(store)))
    assert status_message(store) == (
        f"(update waits for hostPath {tmp_path / 'new'} (spec.volumes[0]) to exist: create "
        "it, or set createHostPath: true)"
    )
    assert phase(store, "Container", "web") == "Running"
    current = fake.inspect_container("web")
    assert current is not None and current.id == first.id

    (tmp_path / "new").mkdir()
    manager.desired_changed([key("Container", "web")])
    wait(lambda: (now := fake.inspect_container("web")) is not None and now.id != first.id)

    # With createHostPath the engine makes it: nothing to wait for.
    applier.apply(ApplyRequest(load_text(web(tmp_path / "made", ", createHostPath: true"))))
    wait(
        lambda: (
            [str(c.request.mounts[0].source) for c in fake.containers.values()]
            == [str(tmp_path / "made")]
        )
    )
    assert not (tmp_path / "made").exists()  # the engine would make it; the fake does not


def status_message(store: Store) -> str | None:
    resource = store.get("Container", "web")
    return None if resource is None else resource.status.message


def test_binds_through_a_sources_symlink_are_pinned_in_the_hash(tmp_path: Path) -> None:
    git = tmp_path / "git" / "app"
    (git / "checkouts" / "c1" / "conf").mkdir(parents=True)
    (git / "checkouts" / "c2" / "conf").mkdir(parents=True)
    (git / "current").symlink_to("checkouts/c1")
    (tmp_path / "plain").mkdir()
    spec = ContainerSpec.model_validate(
        {
            "image": "app:1",
            "volumes": [
                {"hostPath": str(git / "current" / "conf"), "mountPath": "/conf"},
                {"hostPath": str(tmp_path / "plain"), "mountPath": "/plain"},
                {"tmpfs": {}, "mountPath": "/run"},
            ],
        }
    )
    roots = [str(tmp_path / "git")]
    assert bind_targets(spec, roots) == (str(git / "checkouts" / "c1" / "conf"),)
    assert bind_targets(spec, []) == ()  # outside every source: nothing pinned
    first = container_hash("spec", IMAGE_ID, bind_targets(spec, roots))
    (git / "current").unlink()
    (git / "current").symlink_to("checkouts/c2")
    assert container_hash("spec", IMAGE_ID, bind_targets(spec, roots)) != first
    # Without pinned binds the hash is what it always was.
    assert (
        container_hash("spec", IMAGE_ID) == hashlib.sha256(f"spec\n{IMAGE_ID}".encode()).hexdigest()
    )

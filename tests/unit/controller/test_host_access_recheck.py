"""The controller's host-access re-check: a host path that became a symlink after apply is
refused right before the engine call (TerminalError, reason HostAccessDenied) and nothing is
created; the daemon's roots and --allow-host-access still hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockform.controller.context import ReconcileContext
from dockform.controller.errors import TerminalError
from dockform.controller.host_access import require_host_access
from dockform.controller.manager import Manager
from dockform.manifests.loader import load_text
from dockform.manifests.models import ContainerSpec, VolumeSpec
from dockform.manifests.policy import container_host_paths, container_powers, volume_host_paths
from dockform.manifests.status import Reason
from dockform.runtime.fake import FakeRuntime
from dockform.settings import HostAccessSettings
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from tests.unit.controller.conftest import phase, wait


def _container(host_path: str, extra: str = "") -> ContainerSpec:
    return ContainerSpec.model_validate(
        {
            "image": "app:1",
            "volumes": [{"hostPath": host_path, "mountPath": "/d"}],
            **({} if not extra else {"networks": [extra]}),
        }
    )


def test_a_path_that_became_a_symlink_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    spec = _container(str(data))
    require_host_access(HostAccessSettings(), "Container/web", container_host_paths(spec))
    data.rmdir()
    data.symlink_to("/etc")
    with pytest.raises(TerminalError) as raised:
        require_host_access(HostAccessSettings(), "Container/web", container_host_paths(spec))
    assert raised.value.reason is Reason.HOST_ACCESS_DENIED
    assert "spec.volumes[0].hostPath" in str(raised.value) and "/etc" in str(raised.value)
    # A daemon root holds where it leads now; --allow-host-access allows anything.
    require_host_access(
        HostAccessSettings(roots=["/etc"]), "Container/web", container_host_paths(spec)
    )
    require_host_access(
        HostAccessSettings(allow_host_access=True), "Container/web", container_host_paths(spec)
    )


def test_powers_and_forbidden_places_are_refused_again() -> None:
    spec = _container("/var/lib/docker", extra="host")
    with pytest.raises(TerminalError) as raised:
        require_host_access(
            HostAccessSettings(roots=["/var/lib"]),
            "Container/web",
            container_host_paths(spec),
            container_powers(spec),
        )
    assert "spec.networks[0]" in str(raised.value)
    assert "spec.volumes[0].hostPath" in str(raised.value)
    bind = VolumeSpec.model_validate(
        {"driverOpts": {"type": "none", "o": "bind", "device": "/run"}}
    )
    with pytest.raises(TerminalError):
        require_host_access(HostAccessSettings(), "Volume/v", volume_host_paths(bind))


def test_the_container_reconciler_creates_nothing_when_refused(
    store: Store, tmp_path: Path
) -> None:
    runtime = FakeRuntime()
    runtime.add_image("app:1")
    data = tmp_path / "data"
    data.mkdir()
    text = (
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\n"
        f"spec: {{image: 'app:1', volumes: [{{hostPath: {data}, mountPath: /d}}]}}\n"
    )
    data.rmdir()
    data.symlink_to("/etc")  # after the apply-time check, before the reconcile
    manager = Manager(ReconcileContext(store=store, runtime=runtime))
    manager.start()
    try:
        Applier(store, on_change=manager.desired_changed).apply(
            ApplyRequest(manifests=load_text(text))
        )
        wait(lambda: phase(store, "Container", "web") == "Failed")
    finally:
        manager.stop()
    resource = store.get("Container", "web")
    assert resource is not None and resource.status.reason == Reason.HOST_ACCESS_DENIED
    assert runtime.list_containers({}) == []

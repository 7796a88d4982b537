"""Per-kind workers and timeouts: a build that blocks holds only Image workers, and a pass that
overruns its kind's timeout is reported (with its reconcile id) without its key ever being
reconciled twice at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.manifests.loader import load_text
from dockform.runtime.fake import FakeRuntime
from dockform.runtime.types import BuildRequest, BuildResult
from dockform.settings import Backoff, ControllerSettings, KindLimits
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from tests.unit.controller.conftest import phase, wait


class BlockingBuilds(FakeRuntime):
    """Builds wait for `release`; counts how many are inside `build_image` at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()
        self._count = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.builds = 0  # calls of build_image (the fake records a call once it runs)

    def build_image(self, request: BuildRequest) -> BuildResult:
        # Waits outside the fake's lock: only this call blocks, the engine answers the rest.
        with self._count:
            self.inside += 1
            self.builds += 1
            self.most_inside = max(self.most_inside, self.inside)
        self.entered.set()
        try:
            if not self.release.wait(30):
                raise AssertionError("the test never released the build")
            return super().build_image(request)
        finally:
            with self._count:
                self.inside -= 1


def image_and_container(context_dir: Path) -> str:
    return f"""
apiVersion: dockform/v1
kind: Image
metadata: {{name: slow}}
spec:
  ref: app:2
  build: {{context: {context_dir}}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: web}}
spec: {{image: app:1}}
"""


PULLED = """
apiVersion: dockform/v1
kind: Image
metadata: {name: pulled}
spec: {ref: "remote:1", pull: {}}
"""


@pytest.fixture()
def context_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "app"
    directory.mkdir()
    (directory / "Dockerfile").write_text("FROM scratch\n")
    return directory


@pytest.fixture()
def runtime() -> Iterator[BlockingBuilds]:
    fake = BlockingBuilds()
    fake.add_image("app:1")
    fake.add_remote_image("remote:1")
    yield fake
    fake.release.set()  # a failing test must not leave a pass blocked


def started(store: Store, runtime: FakeRuntime, image: KindLimits) -> tuple[Manager, Applier]:
    settings = ControllerSettings(
        retry=Backoff(base_s=0.05, cap_s=0.2),
        resync_s=3600,
        kinds={"Image": image, "Container": KindLimits(workers=1)},
    )
    manager = Manager(ReconcileContext(store=store, runtime=runtime, settings=settings))
    manager.start()
    return manager, Applier(store, on_change=manager.desired_changed)


def container_id(store: Store, name: str) -> str | None:
    resource = store.get("Container", name)
    return resource.status.observed.get("containerId") if resource else None


def test_a_blocked_build_holds_only_image_workers(
    store: Store, runtime: BlockingBuilds, context_dir: Path
) -> None:
    manager, applier = started(store, runtime, KindLimits(workers=1, timeout_s=60))
    try:
        applier.apply(ApplyRequest(load_text(image_and_container(context_dir))))
        assert runtime.entered.wait(10)
        wait(lambda: phase(store, "Container", "web") == "Running")
        old = container_id(store, "web")
        assert old is not None

        runtime.remove_container(old)  # by hand, while the build still blocks
        wait(lambda: container_id(store, "web") not in (None, old))
        repaired = runtime.inspect_container("web")
        assert repaired is not None and repaired.state == "running"
        assert runtime.inside == 1 and phase(store, "Image", "slow") != "Ready"

        runtime.release.set()
        wait(lambda: phase(store, "Image", "slow") == "Ready")
        assert runtime.builds == 1
    finally:
        manager.stop()


def test_a_pass_over_its_kinds_timeout_is_reported_and_never_doubled(
    store: Store, runtime: BlockingBuilds, context_dir: Path
) -> None:
    manager, applier = started(store, runtime, KindLimits(workers=1, timeout_s=0.3))
    try:
        applier.apply(ApplyRequest(load_text(image_and_container(context_dir).split("---")[0])))
        assert runtime.entered.wait(10)

        def timeouts() -> list[object]:
            events = store.list_events("Image", "slow")
            return [e for e in events if e.reason == "ReconcileTimeout" and e.type == "Warning"]

        wait(lambda: timeouts())
        (timeout,) = timeouts()
        assert timeout.reconcile_id is not None and timeout.reconcile_id.startswith("r-")  # type: ignore[attr-defined]
        assert "still running after 0.3s" in timeout.message  # type: ignore[attr-defined]
        # The event is recorded first, then the status.
        wait(lambda: store.get("Image", "slow").status.reason == "ReconcileTimeout")  # type: ignore[union-attr]
        slow = store.get("Image", "slow")
        assert slow is not None and slow.status.phase == "Pending"
        assert slow.status.next_retry_at is not None

        # The worker went on: another Image is reconciled while the build still blocks.
        applier.apply(ApplyRequest(load_text(PULLED), source="cli:pulled"))
        wait(lambda: phase(store, "Image", "pulled") == "Ready")

        # Retries come due meanwhile (backoff 0.05 s), but the key stays with its one pass.
        time.sleep(1.0)
        assert runtime.builds == 1
        assert runtime.most_inside == 1
        assert len(timeouts()) == 1 and timeouts()[0].count == 1  # type: ignore[attr-defined]

        runtime.release.set()
        wait(lambda: phase(store, "Image", "slow") == "Ready")
        assert manager.wait_idle(5)
        assert runtime.most_inside == 1
        assert runtime.builds == 1  # the retry found it built
        ready = store.get("Image", "slow")
        assert ready is not None and ready.status.last_error is None
    finally:
        manager.stop()

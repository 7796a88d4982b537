"""The manager with a real store and the fake runtime: triggers, ordering, retry policy."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator, Sequence

import pytest

from dockform.controller.context import ReconcileContext, Reconciler
from dockform.controller.manager import Manager
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.reconcilers import REGISTRATIONS, container
from dockform.controller.registry import KindRegistration
from dockform.manifests.loader import load_text
from dockform.manifests.namespaces import key
from dockform.runtime.errors import RuntimeUnavailable
from dockform.runtime.fake import FakeRuntime
from dockform.runtime.types import ContainerCreate, managed_labels
from dockform.settings import Backoff, ControllerSettings, KindLimits
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from dockform.store.types import Resource
from tests.unit.controller.conftest import phase, wait

APP = """
apiVersion: dockform/v1
kind: Network
metadata: {name: back}
---
apiVersion: dockform/v1
kind: Volume
metadata: {name: data}
---
apiVersion: dockform/v1
kind: Container
metadata: {name: db}
spec:
  image: app:1
  networks: [back]
  volumes: [{volume: data, mountPath: /data}]
  healthcheck: {command: ["true"], interval: 1s}
---
apiVersion: dockform/v1
kind: Container
metadata: {name: api}
spec:
  image: app:1
  networks: [back]
  dependsOn: [{name: db, condition: Healthy}]
"""


@pytest.fixture()
def runtime() -> FakeRuntime:
    fake = FakeRuntime()
    fake.add_image("app:1")
    return fake


SETTINGS = ControllerSettings(
    retry=Backoff(base_s=0.05, cap_s=0.5),
    resync_s=3600,
    kinds={"Container": KindLimits(workers=4)},
)


def started(
    context: ReconcileContext, registrations: Sequence[KindRegistration] = REGISTRATIONS
) -> Manager:
    manager = Manager(context, registrations)
    manager.start()
    return manager


@pytest.fixture()
def manager(store: Store, runtime: FakeRuntime) -> Iterator[Manager]:
    running = started(ReconcileContext(store=store, runtime=runtime, settings=SETTINGS))
    yield running
    running.stop()


@pytest.fixture()
def applier(store: Store, manager: Manager) -> Applier:
    """Writes desired state and tells the manager, as the daemon wires them."""
    return Applier(store, on_change=manager.desired_changed)


def test_healthy_dependency_gates_start_and_wakes_the_dependent(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    applier.apply(ApplyRequest(load_text(APP)))
    wait(lambda: phase(store, "Container", "db") == "Running")
    assert manager.wait_idle(5)
    api = store.get("Container", "api")
    assert api is not None and api.status.reason == "Waiting"
    assert "Container/db to be Healthy" in api.status.message
    assert not any(call.startswith("create_container api") for call in runtime.calls)

    db_id = store.get("Container", "db").status.observed["containerId"]  # type: ignore[union-attr]
    runtime.set_health(db_id, "healthy")  # emits a health_status event: no resync needed
    wait(lambda: phase(store, "Container", "api") == "Running", timeout_s=5)


def test_a_dependent_applied_later_is_woken_too(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    # The manager keeps who-depends-on-whom between status writes; an apply must refresh it.
    first, api = APP.rsplit("---", 1)
    applier.apply(ApplyRequest(load_text(first)))
    wait(lambda: phase(store, "Container", "db") == "Running")
    assert manager.wait_idle(5)
    applier.apply(ApplyRequest(load_text(api), source="cli:api"))
    wait(lambda: store.get("Container", "api").status.reason == "Waiting")  # type: ignore[union-attr]
    assert manager.wait_idle(5)

    db_id = store.get("Container", "db").status.observed["containerId"]  # type: ignore[union-attr]
    runtime.set_health(db_id, "healthy")
    wait(lambda: phase(store, "Container", "api") == "Running", timeout_s=5)


def test_unchanged_reapply_and_resync_make_no_mutating_calls(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    applier.apply(ApplyRequest(load_text(APP)))
    wait(lambda: phase(store, "Container", "db") == "Running")
    runtime.set_health(store.get("Container", "db").status.observed["containerId"], "healthy")  # type: ignore[union-attr]
    wait(lambda: phase(store, "Container", "api") == "Running")
    assert manager.wait_idle(5)
    before = list(runtime.calls)
    results = applier.apply(ApplyRequest(load_text(APP)))
    assert {result.action for result in results} == {"unchanged"}
    manager.resync()
    assert manager.wait_idle(5)
    mutating = [
        call
        for call in runtime.calls[len(before) :]
        if call.split()[0].startswith(("create", "start", "stop", "remove", "restart", "connect"))
    ]
    assert mutating == []


def test_deletion_removes_containers_before_their_network(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    applier.apply(ApplyRequest(load_text(APP)))
    wait(lambda: phase(store, "Container", "db") == "Running")
    for kind, name in (("Network", "back"), ("Container", "db"), ("Container", "api")):
        applier.request_deletion(kind, name)
    wait(lambda: store.get("Network", "back") is None)
    removes = [c for c in runtime.calls if c.startswith(("remove_container", "remove_network"))]
    assert removes[-1].startswith("remove_network")
    # The network goes once no container uses it; db's row may be removed a moment later.
    wait(lambda: store.get("Container", "db") is None)


def test_engine_failure_backs_off_and_recovers(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    runtime.fail_next("create_network", RuntimeUnavailable("engine restarting"))
    applier.apply(ApplyRequest(load_text(APP)))
    # The failed pass is recorded as a Warning event; the retry (after backoff) succeeds.
    wait(lambda: phase(store, "Network", "back") == "Ready")
    recovered = store.get("Network", "back")
    assert recovered is not None and recovered.status.last_error is None
    warnings = [e for e in store.list_events("Network", "back") if e.type == "Warning"]
    assert [e.reason for e in warnings] == ["EngineError"]
    assert "engine restarting" in warnings[0].message
    assert runtime.calls.count("create_network back") == 2


def test_removed_container_is_recreated_from_the_destroy_event(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    applier.apply(ApplyRequest(load_text(APP)))
    wait(lambda: phase(store, "Container", "db") == "Running")
    old = store.get("Container", "db").status.observed["containerId"]  # type: ignore[union-attr]
    runtime.remove_container(old)

    def replaced() -> bool:
        info = runtime.inspect_container("db")
        return info is not None and info.id != old and info.state == "running"

    wait(replaced)


def test_deleting_a_referenced_network_reports_its_referrers(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    applier.apply(ApplyRequest(load_text(APP)))
    wait(lambda: phase(store, "Container", "db") == "Running")
    applier.request_deletion("Network", "back")

    def reported() -> bool:
        events = store.list_events("Network", "back")
        return any(e.reason == "StillReferenced" for e in events)

    wait(reported)
    wait(lambda: phase(store, "Network", "back") == "Terminating")
    network = store.get("Network", "back")
    assert network is not None and network.status.phase == "Terminating"
    assert "Container/api" in network.status.message and "Container/db" in network.status.message


def test_reapply_during_teardown_calls_the_deletion_off(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    applier.apply(ApplyRequest(load_text(APP)))
    wait(lambda: phase(store, "Container", "db") == "Running")
    before = store.get("Container", "db")
    assert before is not None
    deleting = applier.request_deletion("Container", "db")
    # The teardown read `deleting`; an apply lands before the row is removed.
    applier.apply(ApplyRequest(load_text(APP)))
    manager._delete(manager.reconcilers["Container"], deleting)
    kept = store.get("Container", "db")
    assert kept is not None and not kept.deleting
    wait(lambda: (info := runtime.inspect_container("db")) is not None and info.state == "running")


class CountingReconciler:
    """Passes through to a reconciler and counts its reconcile passes per name."""

    def __init__(self, inner: Reconciler) -> None:
        self._inner = inner
        self.passes: Counter[str] = Counter()

    def reconcile(self, resource: Resource) -> Outcome:
        self.passes[resource.name] += 1
        return self._inner.reconcile(resource)

    def delete(self, resource: Resource) -> DeleteOutcome:
        return self._inner.delete(resource)

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        return self._inner.collect_garbage(owned)


def test_a_new_container_takes_one_pass_and_a_removal_one_more(
    store: Store, runtime: FakeRuntime
) -> None:
    # The pass that creates and starts a container observes the result; the create and start
    # events it caused are expected and trigger nothing. An outside removal still does.
    context = ReconcileContext(store=store, runtime=runtime, settings=SETTINGS)
    counting: list[CountingReconciler] = []

    def counted(context: ReconcileContext) -> Reconciler:
        counting.append(CountingReconciler(container.ContainerReconciler(context)))
        return counting[0]

    registrations = [
        dataclasses.replace(registration, reconciler=counted)
        if registration.kind == "Container"
        else registration
        for registration in REGISTRATIONS
    ]
    manager = started(context, registrations)
    applier = Applier(store, on_change=manager.desired_changed)
    try:
        applier.apply(ApplyRequest(load_text(SOLO)))
        wait(lambda: phase(store, "Container", "solo") == "Running")
        assert manager.wait_idle(5, settle_s=0.5)
        assert counting[0].passes["solo"] == 1
        assert context.expectations.pending() == 0

        solo_id = store.get("Container", "solo").status.observed["containerId"]  # type: ignore[union-attr]
        runtime.remove_container(solo_id)  # emits destroy: not expected, so it triggers
        wait(
            lambda: (
                store.get("Container", "solo").status.observed.get("containerId")
                not in (None, solo_id)
            )
        )  # type: ignore[union-attr]
        assert manager.wait_idle(5, settle_s=0.5)
        assert counting[0].passes["solo"] == 2
    finally:
        manager.stop()


SOLO = """
apiVersion: dockform/v1
kind: Container
metadata: {name: solo}
spec: {image: app:1}
"""


def test_desired_changed_queues_known_kinds_and_renews_the_dependency_index(
    store: Store, runtime: FakeRuntime
) -> None:
    idle = Manager(ReconcileContext(store=store, runtime=runtime))
    applier = Applier(store, on_change=idle.desired_changed)
    index = idle._dependencies()

    applier.apply(ApplyRequest(load_text(SOLO)))
    idle.desired_changed([key("Unknown", "x")])

    assert idle.pending() == 1  # Container/solo; no reconciler knows "Unknown"
    assert idle._dependencies() is not index  # rebuilt: desired state changed


def test_request_sync_queues_the_key_with_a_nudge_taken_once(
    store: Store, runtime: FakeRuntime
) -> None:
    context = ReconcileContext(store=store, runtime=runtime)
    idle = Manager(context)

    idle.request_sync("GitSource", "prod")

    assert idle.queues["GitSource"].pending() == 1
    assert context.nudges.take(key("GitSource", "prod"))
    assert not context.nudges.take(key("GitSource", "prod"))


def test_orphans_are_collected_at_start_not_at_the_first_resync(
    store: Store, runtime: FakeRuntime
) -> None:
    # A container of ours that no Container owns (left while the daemon was down) goes at
    # start; the resync is an hour away in these settings.
    orphan = runtime.create_container(
        ContainerCreate(
            name="ghost", image="app:1", labels=managed_labels("Container", "ghost", "h")
        )
    )
    runtime.start_container(orphan)
    manager = started(ReconcileContext(store=store, runtime=runtime, settings=SETTINGS))
    try:
        wait(lambda: store.list_events("Container", "ghost"), timeout_s=5)
        assert runtime.inspect_container(orphan) is None
        events = store.list_events("Container", "ghost")
        assert [event.reason for event in events] == ["GarbageCollected"]
    finally:
        manager.stop()


SHOP_JOBS = """
apiVersion: dockform/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec: {image: 'app:1', command: [migrate]}
---
apiVersion: dockform/v1
kind: Container
metadata: {name: web, namespace: shop}
spec:
  image: app:1
  dependsOn: [{name: migrate, kind: Job}]
"""


def _shop_phase(store: Store, kind: str, name: str) -> str:
    resource = store.get(kind, name, "shop")
    return resource.status.phase if resource else "<gone>"


def test_a_job_of_a_namespace_runs_there_and_goes_with_its_namespace(
    applier: Applier, store: Store, runtime: FakeRuntime, manager: Manager
) -> None:
    """Job/shop/migrate runs as shop_migrate on the namespace's implicit network; shop's web
    waits for it (not for a Job of default), and `delete namespace` tears both down."""
    applier.apply(ApplyRequest(load_text(SHOP_JOBS)))
    wait(lambda: _shop_phase(store, "Job", "migrate") == "Running")
    assert _shop_phase(store, "Container", "web") == "Pending"
    info = runtime.inspect_container("shop_migrate")
    assert info is not None and info.labels["io.dockform.namespace"] == "shop"
    assert list(info.networks) == ["shop_default"]
    runtime.kill(info.id, 0)
    wait(lambda: _shop_phase(store, "Job", "migrate") == "Succeeded")
    wait(lambda: _shop_phase(store, "Container", "web") == "Running")
    assert runtime.inspect_container("migrate") is None

    applier.delete_namespace("shop")
    wait(lambda: not store.list(namespace="shop"))
    assert runtime.inspect_container("shop_migrate") is None
    assert runtime.inspect_container("shop_web") is None

"""The manager: worker threads that drain the work queue, and the triggers that fill it.

Triggers: every committed write of desired state (`desired_changed`, which the store's
`Applier` calls), a one-shot nudge (`request_sync`), the Docker events stream
(managed objects removed, died, changed health), a periodic resync that also garbage-collects,
and every resource once at start. Workers re-read the resource and its observed objects on each
pass (level-triggered): what triggered a pass never matters, only what is true now.

The retry policy lives here alone: a TransientError or engine failure requeues with per-key
exponential backoff, a TerminalError records a Failed status and waits for a change or the
next resync, and `Outcome.requeue_after` polls without counting as a failure.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

from dockform.controller import metrics
from dockform.controller.dependencies import DependencyIndex, image_matches, referrers
from dockform.controller.expectations import Expectations
from dockform.controller.facade import NoSuchContainer
from dockform.controller.nudges import Nudges
from dockform.controller.queue import Key, WorkQueue
from dockform.controller.reconcilers.base import (
    DeleteOutcome,
    EventNote,
    Outcome,
    Reconciler,
    TerminalError,
    TransientError,
)
from dockform.controller.status import error_status, make_status
from dockform.runtime.errors import ObjectNotFound, RuntimeFailure
from dockform.runtime.interface import Runtime
from dockform.runtime.types import KIND_LABEL, MANAGED_LABEL, NAME_LABEL, RuntimeEvent
from dockform.store.errors import StaleResourceVersion
from dockform.store.repository import Store
from dockform.store.types import Resource

log = logging.getLogger("dockform.controller")

# Which Docker event actions can mean a managed object drifted from its desired state.
_CONTAINER_ACTIONS = frozenset(
    {
        "create",
        "start",
        "die",
        "destroy",
        "stop",
        "kill",
        "oom",
        "pause",
        "unpause",
        "rename",
        "health_status",
        "update",
        "restart",
    }
)


class Manager:
    def __init__(
        self,
        store: Store,
        runtime: Runtime,
        reconcilers: Mapping[str, Reconciler],
        *,
        workers: int = 8,
        resync_interval_s: float = 60.0,
        queue: WorkQueue | None = None,
        expectations: Expectations | None = None,
        nudges: Nudges | None = None,
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.reconcilers = dict(reconcilers)
        self.queue = queue or WorkQueue()
        self.expectations = expectations or Expectations()
        # Shared with the reconcilers (ReconcileContext.nudges), which take what is asked here.
        self.nudges = nudges or Nudges()
        self._workers = workers
        self._resync_interval_s = resync_interval_s
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._engine_connected = threading.Event()
        # Who depends on whom changes only with desired state: the index is rebuilt after a
        # write of desired state (desired_changed bumps _desired_version), not per status.
        self._desired_version = 0
        self._dependency_index: tuple[int, DependencyIndex] | None = None
        self._index_lock = threading.Lock()

    # --- life cycle

    def start(self) -> None:
        for index in range(self._workers):
            self._spawn(f"worker-{index}", self._work)
        self._spawn("runtime-events", self._watch_runtime_events)
        self._spawn("resync", self._resync_loop)
        self.enqueue_all()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self.queue.shutdown()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.1))

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"dockform-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def enqueue_all(self, *, background: bool = False) -> None:
        """Queue every resource. The periodic resync uses the background lane: what an event or
        a store write queues meanwhile goes first (see controller.queue)."""
        for key in self.store.keys():  # noqa: SIM118 - Store is not a mapping
            self.queue.add(key, background=background)

    def wait_idle(self, timeout_s: float = 30.0, settle_s: float = 0.2) -> bool:
        """True once the queue stays empty for `settle_s` (tests and `--wait` use it)."""
        deadline = time.monotonic() + timeout_s
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            if self.queue.pending() == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle_s:
                    return True
            else:
                quiet_since = None
            time.sleep(0.02)
        return False

    @property
    def engine_connected(self) -> bool:
        return self._engine_connected.is_set()

    # --- the facade the API uses (controller.facade.Controller)

    def engine_ok(self) -> bool:
        try:
            return self.runtime.ping()
        except RuntimeFailure:
            return False

    def queue_pending(self) -> int:
        return self.queue.pending()

    def container_logs(self, name: str, tail: int | None, follow: bool) -> Iterator[bytes]:
        """Logs of the managed container of Container/name; NoSuchContainer when there is none."""
        info = self.runtime.inspect_container(name)
        if info is None or not info.managed or info.labels.get(NAME_LABEL) != name:
            raise NoSuchContainer(f"Container/{name} has no container in Docker")
        try:
            return self.runtime.container_logs(info.id, tail, follow)
        except ObjectNotFound as error:
            raise NoSuchContainer(f"Container/{name}: {error}") from error

    def desired_changed(self, keys: Iterable[Key]) -> None:
        """A committed write changed the desired state of `keys`: look at them again."""
        self._bump_desired_version()
        for key in keys:
            if key[0] in self.reconcilers:
                self.queue.add(key)

    def request_sync(self, kind: str, name: str) -> None:
        """Act on `kind/name` now: a one-shot nudge its reconciler takes (ReconcileContext)."""
        self.nudges.request((kind, name))
        self.queue.add((kind, name))

    # --- triggers

    def _bump_desired_version(self) -> None:
        with self._index_lock:
            self._desired_version += 1

    def _watch_runtime_events(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self._engine_connected.set()
                for event in self.runtime.events(self._stop):
                    backoff = 0.5
                    self._on_runtime_event(event)
            except RuntimeFailure as error:
                self._engine_connected.clear()
                log.warning(
                    "Docker events stream broke (%s); reconnecting in %.1fs", error, backoff
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                # Events were missed while disconnected: look at everything again.
                self.enqueue_all()
            except Exception:
                log.exception("Docker events watcher failed; restarting it")
                self._stop.wait(1.0)

    def _on_runtime_event(self, event: RuntimeEvent) -> None:
        for key in self._keys_for_event(event):
            metrics.EVENTS_SEEN.labels(event.type).inc()
            self.queue.add(key)

    def _keys_for_event(self, event: RuntimeEvent) -> list[Key]:
        if event.type == "container":
            if event.action not in _CONTAINER_ACTIONS:
                return []
            if event.labels.get(MANAGED_LABEL) == "true" and event.labels.get(KIND_LABEL):
                key = (event.labels[KIND_LABEL], event.labels.get(NAME_LABEL, ""))
                if self.expectations.consume(*key, event.action):
                    return []  # caused and observed by a reconcile already
                return [key]
            # An unmanaged container may free or take a name a Container wants.
            name = event.labels.get("name", "")
            return [("Container", name)] if self.store.get("Container", name) else []
        if event.type in ("network", "volume") and event.action in ("create", "destroy"):
            kind = event.type.capitalize()
            name = event.labels.get("name", event.id)
            if self.store.get(kind, name) is not None:
                return [(kind, name)]
            return []
        if event.type == "image" and event.action in ("delete", "untag", "tag", "load"):
            name = event.labels.get("name", event.id)
            return [
                resource.key
                for resource in self.store.list("Image")
                if image_matches(resource, name) or name.startswith(str(resource.spec.get("ref")))
            ]
        return []

    def _resync_loop(self) -> None:
        while not self._stop.wait(self._resync_interval_s):
            self.resync()

    def resync(self) -> None:
        """Queue everything and remove managed objects no resource owns."""
        self.enqueue_all(background=True)
        self.collect_garbage()

    def collect_garbage(self) -> None:
        resources = self.store.list()
        for kind, reconciler in sorted(self.reconcilers.items()):
            owned = [resource for resource in resources if resource.kind == kind]
            try:
                notes = reconciler.collect_garbage(owned)
            except RuntimeFailure as error:
                log.warning("garbage collection of %s failed: %s", kind, error)
                continue
            for note in notes:
                self.store.record_event(kind, note.subject, note.type, note.reason, note.message)

    # --- workers

    def _work(self) -> None:
        while True:
            key = self.queue.get()
            if key is None:
                return
            metrics.QUEUE_DEPTH.set(self.queue.depth())
            try:
                self.process(key)
            except Exception:
                log.exception("reconcile of %s/%s crashed", *key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    def process(self, key: Key) -> None:
        kind, name = key
        reconciler = self.reconcilers.get(kind)
        resource = self.store.get(kind, name)
        if reconciler is None or resource is None:
            self.queue.forget(key)
            return
        started = time.perf_counter()
        try:
            if resource.deleting:
                result = self._delete(reconciler, resource)
            else:
                result = self._reconcile(reconciler, resource)
        except TerminalError as error:
            result = "terminal"
            self._record_failure(resource, error.reason, str(error), retry_in_s=None)
        except (TransientError, RuntimeFailure) as error:
            result = "error"
            reason = error.reason if isinstance(error, TransientError) else "EngineError"
            if isinstance(error, RuntimeFailure):
                metrics.ENGINE_ERRORS.labels(kind).inc()
            delay = self.queue.add_rate_limited(key)
            self._record_failure(resource, reason, str(error), retry_in_s=delay)
        finally:
            metrics.RECONCILE_SECONDS.labels(kind).observe(time.perf_counter() - started)
        metrics.RECONCILES.labels(kind, result).inc()

    def _reconcile(self, reconciler: Reconciler, resource: Resource) -> str:
        outcome: Outcome = reconciler.reconcile(resource)
        self.queue.forget(resource.key)
        self._record_events(resource, outcome.events)
        if self.store.write_status(resource.kind, resource.name, outcome.status):
            self._wake_dependents(resource)
        if outcome.requeue_after is not None:
            self.queue.add_after(resource.key, outcome.requeue_after)
            return "requeue"
        return "ok"

    def _delete(self, reconciler: Reconciler, resource: Resource) -> str:
        referenced_by = [
            f"{kind}/{name}" for kind, name in referrers(resource, self.store.list("Container"))
        ]
        if referenced_by:
            self.store.record_event(
                resource.kind,
                resource.name,
                "Warning",
                "StillReferenced",
                f"deleted while still referenced by {', '.join(referenced_by)}; they will wait "
                f"for {resource.kind}/{resource.name} until it is applied again",
            )
        outcome: DeleteOutcome = reconciler.delete(resource)
        self._record_events(resource, outcome.events)
        if not outcome.done:
            message = f"waiting: {outcome.waiting_for}"
            if referenced_by:
                message += f"; still referenced by {', '.join(referenced_by)}"
            status = make_status(
                resource,
                phase="Terminating",
                ready=False,
                reason="Terminating",
                message=message,
                progressing=True,
            )
            self.store.write_status(resource.kind, resource.name, status)
            self.queue.add_after(resource.key, outcome.requeue_after or 1.0)
            return "requeue"
        try:
            self.store.remove(
                resource.kind, resource.name, expected_version=resource.resource_version
            )
        except StaleResourceVersion:
            # Applied again while it was being torn down: the deletion is called off, and
            # the object is reconciled back into existence.
            self.queue.add(resource.key)
            return "requeue"
        self._bump_desired_version()  # the row is gone: the dependency index must not keep it
        self.store.record_event(
            resource.kind,
            resource.name,
            "Normal",
            "Deleted",
            f"{resource.kind}/{resource.name} deleted",
        )
        self.queue.forget(resource.key)
        # What the deleted object used may now be free to go (reverse dependency order).
        self._wake_dependents(resource)
        for kind in ("Network", "Volume", "Image"):
            for other in self.store.list(kind):
                if other.deleting:
                    self.queue.add(other.key)
        return "deleted"

    def _wake_dependents(self, resource: Resource) -> None:
        for key in self._dependencies().dependents(resource):
            self.queue.add(key)

    def _dependencies(self) -> DependencyIndex:
        with self._index_lock:
            version = self._desired_version
            cached = self._dependency_index
        if cached is not None and cached[0] == version:
            return cached[1]
        # The version is read before the Containers: a write landing in between makes this
        # index look older than it is, so the next call builds it again; never the reverse.
        index = DependencyIndex(self.store.list("Container"))
        with self._index_lock:
            self._dependency_index = (version, index)
        return index

    def _record_events(self, resource: Resource, events: tuple[EventNote, ...]) -> None:
        for note in events:
            self.store.record_event(
                resource.kind, resource.name, note.type, note.reason, note.message
            )

    def _record_failure(
        self, resource: Resource, reason: str, message: str, retry_in_s: float | None
    ) -> None:
        current = self.store.get(resource.kind, resource.name) or resource
        phase = "Failed" if retry_in_s is None else (current.status.phase or "Pending")
        if current.deleting:
            phase = "Terminating"
        status = error_status(current, reason, message, phase=phase, retry_in_s=retry_in_s)
        self.store.record_event(resource.kind, resource.name, "Warning", reason, message)
        if self.store.write_status(resource.kind, resource.name, status):
            self._wake_dependents(current)
        log.info("%s/%s: %s: %s", resource.kind, resource.name, reason, message)

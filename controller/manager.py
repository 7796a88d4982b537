"""The manager: per-kind work queues and workers, the triggers that fill them, and the one
retry rule. It names no kind: all it knows of kinds is their registrations
(`controller.registry`, listed in `controller.reconcilers.REGISTRATIONS`).

Triggers: desired-state writes (`desired_changed`, called by the apply path), the engine's
events stream (each kind's event mappers turn an event into keys), a periodic resync that
also garbage-collects (and once at start), and nudges (`request_sync`). Workers re-read the
resource and its observed objects on each pass (level-triggered): what triggered a pass never
matters, only what is true now.

Each kind has its own queue and its own workers (`KindLimits`), so a long image build or a
slow git fetch never holds the workers that repair containers. Every pass gets a reconcile id
(in its log lines and the events it records) and runs under the kind's timeout: a pass that
overruns it is recorded as a ReconcileTimeout and retried once it returns; its key is never
handed to a second worker meanwhile.

The retry rule (see `controller.errors`): TransientError, or an engine failure while
observing, requeues the key with per-key exponential backoff; TerminalError records Failed
and waits for a change (or the next resync); `Outcome.requeue_after` polls without counting
as a failure.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from dockform.controller import metrics
from dockform.controller.context import ReconcileContext, Reconciler
from dockform.controller.errors import ReconcileError, TerminalError
from dockform.controller.facade import SINGLE, LeadershipInfo, NoLogs
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.queue import Key, WorkQueue
from dockform.controller.reconcile_id import new_reconcile_id, reconcile_id, reconciling
from dockform.controller.reconcilers import REGISTRATIONS
from dockform.controller.registry import DependencyIndex, KindRegistration, Registry
from dockform.controller.status import error_status, make_status
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, ObjectKey, display
from dockform.manifests.status import EventType, Phase, Reason
from dockform.runtime.errors import RuntimeFailure
from dockform.runtime.types import RuntimeEvent
from dockform.settings import KindLimits
from dockform.store.apply import Applier
from dockform.store.errors import StaleResourceVersion, StoreError, StoreUnavailable
from dockform.store.types import Resource, StatusRead

log = logging.getLogger("dockform.controller")


class Manager:
    def __init__(
        self,
        context: ReconcileContext,
        registrations: Sequence[KindRegistration] = REGISTRATIONS,
    ) -> None:
        self.context = context
        self.store = context.store
        self.runtime = context.runtime
        self.settings = context.settings
        self.registry = Registry(registrations)
        self.reconcilers: dict[str, Reconciler] = {
            registration.kind: registration.reconciler(context) for registration in self.registry
        }
        self.limits: dict[str, KindLimits] = {
            registration.kind: self.settings.limits(registration.kind, registration.limits)
            for registration in self.registry
        }
        self.queues: dict[str, WorkQueue] = {
            kind: WorkQueue(
                backoff=self.settings.retry, background_workers=self.settings.resync_workers
            )
            for kind in self.registry.kinds
        }
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # Who requires whom changes only with desired state: the index is rebuilt after a
        # desired-state write (desired_changed bumps _desired_version), not per status write.
        self._desired_version = 0
        self._dependency_index: tuple[int, DependencyIndex] | None = None
        self._index_lock = threading.Lock()

    # --- life cycle

    def start(self) -> None:
        # Events were missed while the engine was away: look at everything again.
        self.context.gate.on_open = self.enqueue_all
        for registration in self.registry:
            kind = registration.kind
            work = functools.partial(self._work, self.queues[kind], registration.needs_engine)
            for index in range(self.limits[kind].workers):
                self._spawn(f"{kind.lower()}-{index}", work)
        self._spawn("runtime-events", self._watch_runtime_events)
        self._spawn("resync", self._resync_loop)
        self.enqueue_all()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self.context.gate.stop()
        for queue in self.queues.values():
            queue.shutdown()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.1))

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"dockform-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def enqueue(self, key: Key, *, background: bool = False) -> None:
        queue = self.queues.get(key.kind)
        if queue is not None:
            queue.add(key, background=background)

    def enqueue_all(self, *, background: bool = False) -> None:
        """Queue every resource. The periodic resync uses the background lane: what an event or
        a store write queues meanwhile goes first (see controller.queue)."""
        for key in self.store.keys():  # noqa: SIM118 - Store is not a mapping
            self.enqueue(key, background=background)

    def pending(self) -> int:
        return sum(queue.pending() for queue in self.queues.values())

    def wait_idle(self, timeout_s: float = 30.0, settle_s: float = 0.2) -> bool:
        """True once every queue stays empty for `settle_s` (tests and `--wait` use it)."""
        deadline = time.monotonic() + timeout_s
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            if self.pending() == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle_s:
                    return True
            else:
                quiet_since = None
            time.sleep(0.02)
        return False

    # --- the facade the API and the apply path use (controller.facade.Controller)

    def desired_changed(self, keys: Iterable[Key]) -> None:
        """The desired state of `keys` was written (created, changed, deletion requested)."""
        self._desired_written()
        for key in keys:
            self.enqueue(key)

    def _desired_written(self) -> None:
        with self._index_lock:
            self._desired_version += 1

    def request_sync(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> None:
        """Act on kind/name now, whatever its schedule (a webhook's "fetch now")."""
        key = ObjectKey(kind, namespace, name)
        self.context.nudges.request(key)
        self.enqueue(key)

    def engine_ok(self) -> bool:
        try:
            return self.runtime.ping()
        except RuntimeFailure:
            return False

    def queue_pending(self) -> int:
        return self.pending()

    def leadership(self) -> LeadershipInfo:
        return SINGLE

    def logs(
        self,
        kind: str,
        name: str,
        tail: int | None,
        follow: bool,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> Iterator[bytes]:
        """The output of kind/name's runtime object, read the way its kind registered."""
        registration = self.registry.get(kind)
        if registration is None or registration.logs is None:
            raise NoLogs(f"{kind} objects have no logs")
        resource = self.store.get(kind, name, namespace)
        if resource is None:
            raise NoLogs(f"{display(kind, namespace, name)} does not exist")
        return registration.logs(self.runtime, resource, tail, follow)

    # --- triggers

    def _watch_runtime_events(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                for event in self.runtime.events(self._stop):
                    failures = 0
                    self._on_runtime_event(event)
            except RuntimeFailure as error:
                delay = self.settings.engine_reconnect.delay(failures)
                failures += 1
                log.warning("Docker events stream broke (%s); reconnecting in %.1fs", error, delay)
                self._stop.wait(delay)
                # Events were missed while disconnected: look at everything again.
                self.enqueue_all()
            except Exception:
                log.exception("Docker events watcher failed; restarting it")
                self._stop.wait(1.0)

    def _on_runtime_event(self, event: RuntimeEvent) -> None:
        for key in self._keys_for_event(event):
            metrics.EVENTS_SEEN.labels(event.type).inc()
            self.enqueue(key)

    def _keys_for_event(self, event: RuntimeEvent) -> list[Key]:
        keys: list[Key] = []
        for registration in self.registry:
            for mapper in registration.event_mappers:
                for key in mapper(event, self.store):
                    if self.context.expectations.consume(key, event.action):
                        continue  # caused and observed by a reconcile already
                    keys.append(key)
        return keys

    def _resync_loop(self) -> None:
        # Orphans left while the daemon was down are collected at start, not a resync later.
        self._store_may_fail("garbage collection", self.collect_garbage)
        while not self._stop.wait(self.settings.resync_s):
            self._store_may_fail("resync", self.resync)

    @staticmethod
    def _store_may_fail(what: str, step: Callable[[], None]) -> None:
        """Run `step`; a store that fails it (a full disk, a locked database) is logged, and
        the loop that called goes on: the next round does the work again."""
        try:
            step()
        except StoreUnavailable as error:
            log.warning("%s skipped: %s", what, error)

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
            except (RuntimeFailure, ReconcileError) as error:
                log.warning("garbage collection of %s failed: %s", kind, error)
                continue
            for note in notes:
                self._record_event(ObjectKey(kind, note.subject_namespace, note.subject), note)

    # --- workers

    def _work(self, queue: WorkQueue, needs_engine: bool) -> None:
        gate = self.context.gate
        while True:
            key = queue.get()
            if key is None:
                return
            # While the engine is down, a key waits here for it (no pass, no error recorded);
            # the others wait in the queue, deduplicated.
            while needs_engine and not self._stop.is_set() and not gate.wait_open(1.0):
                pass
            metrics.QUEUE_DEPTH.set(sum(q.depth() for q in self.queues.values()))
            self._process_bounded(queue, key)

    def _process_bounded(self, queue: WorkQueue, key: Key) -> None:
        """Run one pass on a thread of its own and wait at most the kind's timeout for it.

        A pass that overruns is recorded as a ReconcileTimeout and retried with backoff; the
        key stays taken (never on two workers) until the pass returns, and the worker goes on
        with other keys meanwhile.
        """
        rid = new_reconcile_id()
        lock = threading.Lock()
        one_side_over = False

        def second_to_finish() -> bool:
            # The pass ending and the worker giving up race: the second of them calls done.
            nonlocal one_side_over
            with lock:
                if one_side_over:
                    return True
                one_side_over = True
                return False

        timeout_s = self.limits[key.kind].timeout_s
        until = time.monotonic() + timeout_s

        def run() -> None:
            try:
                with reconciling(rid, until):
                    self.process(key)
            except StoreUnavailable as error:
                # Status or events could not be written (a full disk, a locked database): no
                # bug, and nothing to record it in. Try the whole pass again later.
                delay = queue.add_rate_limited(key)
                log.warning("reconcile %s of %s: %s; retry in %.1fs", rid, key, error, delay)
            except Exception:
                log.exception("reconcile %s of %s crashed", rid, key)
                queue.add_rate_limited(key)
            finally:
                if second_to_finish():
                    queue.done(key)

        thread = threading.Thread(target=run, name=f"dockform-reconcile-{rid}", daemon=True)
        thread.start()
        thread.join(timeout_s)
        if second_to_finish():
            queue.done(key)  # the pass is over
            return
        with reconciling(rid):
            self._store_may_fail(
                f"recording the timeout of {key}",
                lambda: self._timed_out(queue, key, timeout_s),
            )

    def _timed_out(self, queue: WorkQueue, key: Key, timeout_s: float) -> None:
        delay = queue.add_rate_limited(key)  # first: the retry must not hang on the store
        metrics.RECONCILES.labels(key.kind, "timeout").inc()
        resource = self.store.get(key.kind, key.name, key.namespace)
        if resource is None:
            return
        message = (
            f"the reconcile is still running after {timeout_s:g}s (the kind's timeout); "
            "it is retried once it returns"
        )
        self._record_failure(resource, Reason.RECONCILE_TIMEOUT, message, retry_in_s=delay)

    def process(self, key: Key) -> None:
        kind = key.kind
        reconciler = self.reconcilers.get(kind)
        # Read before the resource it vouches for; None on a shared store, where it is a query.
        data_version = self.store.local_data_version
        resource = self.store.get(kind, key.name, key.namespace)
        queue = self.queues.get(kind)
        if reconciler is None or resource is None or queue is None:
            if queue is not None:
                queue.forget(key)
            return
        started = time.perf_counter()
        try:
            if resource.deleting:
                result = self._delete(reconciler, resource)
            else:
                result = self._reconcile(reconciler, resource, data_version)
        except TerminalError as error:
            result = "terminal"
            queue.forget(key)
            self._record_failure(resource, error.reason, str(error), retry_in_s=None)
        except (ReconcileError, RuntimeFailure) as error:
            result = "error"
            reason = error.reason if isinstance(error, ReconcileError) else Reason.ENGINE_ERROR
            if reason is Reason.ENGINE_ERROR:
                metrics.ENGINE_ERRORS.labels(kind).inc()
            delay = queue.add_rate_limited(key)
            self._record_failure(resource, reason, str(error), retry_in_s=delay)
        finally:
            metrics.RECONCILE_SECONDS.labels(kind).observe(time.perf_counter() - started)
        metrics.RECONCILES.labels(kind, result).inc()

    def _reconcile(
        self, reconciler: Reconciler, resource: Resource, data_version: int | None
    ) -> str:
        outcome: Outcome = reconciler.reconcile(resource)
        queue = self.queues[resource.kind]
        queue.forget(resource.key)
        self._record_events(resource, outcome.events)
        if self.store.write_status(
            resource.kind,
            resource.name,
            outcome.status,
            resource.namespace,
            read=None if data_version is None else StatusRead(resource.status, data_version),
        ):
            self._wake(self._dependencies().dependents(resource))
        if outcome.roll_back:
            self._roll_back(resource)
        if outcome.requeue_after is not None:
            queue.add_after(resource.key, outcome.requeue_after)
            return "requeue"
        return "ok"

    def _roll_back(self, resource: Resource) -> None:
        """A failed rollout asked for the previous revision: apply it as a new generation,
        pinned against the object's source (store.pins), as `dockform rollback` does."""
        try:
            Applier(self.store, on_change=self.desired_changed).rollback(
                resource.kind, resource.name, resource.namespace
            )
        except StoreError as error:
            log.warning("%s: the failed rollout cannot roll back: %s", resource.key, error)

    def _delete(self, reconciler: Reconciler, resource: Resource) -> str:
        index = self._dependencies()
        queue = self.queues[resource.kind]
        # Reverse dependency order: what requires this object and is being deleted too goes
        # first (its removal wakes this key again).
        first = [str(key) for key in index.dependents(resource) if index.deleting(key)]
        if first:
            self._terminating(resource, f"waiting for {', '.join(first)} to be deleted first")
            queue.add_after(resource.key, self.settings.delete_poll_s)
            return "requeue"
        referenced_by = [str(key) for key in index.referrers(resource)]
        if referenced_by:
            self._record_event(
                resource.key,
                EventNote(
                    EventType.WARNING,
                    Reason.STILL_REFERENCED,
                    f"deleted while still referenced by {', '.join(referenced_by)}; they will "
                    f"wait for {resource.key} until it is applied again",
                ),
            )
        outcome: DeleteOutcome = reconciler.delete(resource)
        self._record_events(resource, outcome.events)
        if not outcome.done:
            message = f"waiting: {outcome.waiting_for}"
            if referenced_by:
                message += f"; still referenced by {', '.join(referenced_by)}"
            self._terminating(resource, message)
            queue.add_after(resource.key, outcome.requeue_after or self.settings.delete_poll_s)
            return "requeue"
        try:
            self.store.remove(
                resource.kind,
                resource.name,
                namespace=resource.namespace,
                expected_version=resource.resource_version,
            )
            self._desired_written()
        except StaleResourceVersion:
            # Applied again while it was being torn down: the deletion is called off, and
            # the object is reconciled back into existence.
            queue.add(resource.key)
            return "requeue"
        self._record_event(
            resource.key, EventNote(EventType.NORMAL, Reason.DELETED, f"{resource.key} deleted")
        )
        queue.forget(resource.key)
        # Who used it now waits; what it used may now be free to go (reverse dependency order).
        self._wake(index.dependents(resource))
        self._wake(key for key in index.requirements(resource) if index.deleting(key))
        return "deleted"

    def _terminating(self, resource: Resource, message: str) -> None:
        status = make_status(
            resource,
            phase=Phase.TERMINATING,
            ready=False,
            reason=Reason.TERMINATING,
            message=message,
            progressing=True,
        )
        self.store.write_status(resource.kind, resource.name, status, resource.namespace)

    def _wake(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self.enqueue(key)

    def _dependencies(self) -> DependencyIndex:
        with self._index_lock:
            version = self._desired_version
            cached = self._dependency_index
        if cached is not None and cached[0] == version:
            return cached[1]
        # The version is read before the resources: a write landing in between makes this
        # index look older than it is, so the next call builds it again; never the reverse.
        index = DependencyIndex(self.store.list(), self.registry)
        with self._index_lock:
            self._dependency_index = (version, index)
        return index

    def _record_events(self, resource: Resource, events: tuple[EventNote, ...]) -> None:
        for note in events:
            self._record_event(resource.key, note)

    def _record_event(self, key: Key, note: EventNote) -> None:
        # Logged too: the log line carries the pass's id (ReconcileIdFilter), as the event does.
        log.info("%s: %s: %s", key, note.reason, note.message)
        self.store.record_event(
            key.kind,
            key.name,
            note.type,
            note.reason,
            note.message,
            namespace=key.namespace,
            reconcile_id=reconcile_id(),
        )

    def _record_failure(
        self, resource: Resource, reason: Reason, message: str, retry_in_s: float | None
    ) -> None:
        current = self.store.get(resource.kind, resource.name, resource.namespace) or resource
        phase = Phase.FAILED if retry_in_s is None else Phase(current.status.phase or Phase.PENDING)
        if current.deleting:
            phase = Phase.TERMINATING
        status = error_status(current, reason, message, phase=phase, retry_in_s=retry_in_s)
        self._record_event(resource.key, EventNote(EventType.WARNING, reason, message))
        if self.store.write_status(resource.kind, resource.name, status, resource.namespace):
            self._wake(self._dependencies().dependents(current))

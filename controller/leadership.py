"""Several daemons on one shared store: exactly one leads (reconciles), the others follow.

`LeaderElector` keeps trying to take or renew the store's lease (`store.leases`) every
`renew_s`; the lease lasts `ttl_s` on the database's clock. Locally, a leader trusts its lease
only until `ttl_s - margin_s` after the start of its last successful renewal, on this
process's monotonic clock: a leader that stalls (a long pause, a store it cannot reach) stops
acting before any other daemon may take over, and its store writes are fenced by the term in
any case (`store.leases.LeaseFence`).

`Leadership` is what the API talks to (`controller.facade.Controller`): while this daemon
leads, a running `Manager` made for the term; while it follows, an idle one (engine checks and
logs need no reconciling) and every desired-state change is published on the store's change
feed for the leader (`store.changes`), which listens and queues the keys.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from dockform.controller.facade import Controller, LeadershipInfo
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, ObjectKey
from dockform.store.changes import ChangeFeed
from dockform.store.errors import StoreError
from dockform.store.leases import LeaseFence, Leases

log = logging.getLogger("dockform.leader")

Key = ObjectKey
# How often a leader looks whether its local trust in the lease ran out between renewals.
EXPIRY_CHECK_S = 0.2


@dataclass(frozen=True)
class LeaseTiming:
    ttl_s: float = 10.0
    renew_s: float = 2.0
    # A leader stops acting this long before its lease could expire on the database's clock.
    margin_s: float = 2.0


class LeaderElector:
    def __init__(
        self,
        leases: Leases,
        fence: LeaseFence,
        *,
        timing: LeaseTiming = LeaseTiming(),
        on_lead: Callable[[int], None],
        on_follow: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._leases = leases
        self._fence = fence
        self._timing = timing
        self._on_lead = on_lead
        self._on_follow = on_follow
        self._clock = clock
        self._valid_until = 0.0
        self._leading = False
        self._leader: str | None = None
        self._term = 0
        self._error: str | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def holder(self) -> str:
        return self._fence.holder

    def start(self) -> None:
        # Two threads: a renewal can block on a store that stopped answering (a partition)
        # for as long as the driver waits, while the watch steps down on time regardless.
        self._threads = [
            threading.Thread(target=self._renew_loop, name="dockform-lease-renew", daemon=True),
            threading.Thread(target=self._watch_loop, name="dockform-lease-watch", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop electing; a leader steps down and releases its lease for a fast takeover."""
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        with self._lock:
            was_leading, term = self._leading, self._term
            self._leading = False
            self._valid_until = 0.0
        if was_leading:
            self._on_follow("this daemon stopped")
            try:
                self._leases.release(self._fence.name, self.holder, term)
            except StoreError as error:
                log.warning("could not release lease %s: %s", self._fence.name, error)

    def leading(self) -> bool:
        """Whether this daemon may act now: it holds the lease and trusts it locally."""
        with self._lock:
            return self._leading and self._clock() < self._valid_until

    def info(self) -> LeadershipInfo:
        with self._lock:
            leading = self._leading and self._clock() < self._valid_until
            return LeadershipInfo(
                role="leader" if leading else "follower",
                holder=self.holder,
                leader=self._leader,
                term=self._term,
                error=self._error,
            )

    def attempt(self) -> None:
        """One round: take or renew the lease, or learn who holds it; step up or down."""
        started = self._clock()
        try:
            attempt = self._leases.acquire_or_renew(
                self._fence.name, self.holder, self._timing.ttl_s
            )
        except StoreError as error:
            self._failed(str(error))
            return
        step_up = step_down = False
        with self._lock:
            self._error = None
            self._leader = attempt.lease.holder
            if attempt.leading:
                self._valid_until = started + self._timing.ttl_s - self._timing.margin_s
                step_up = not self._leading or self._term != attempt.lease.term
                self._leading = True
                self._term = attempt.lease.term
                self._fence.term = attempt.lease.term
            else:
                step_down = self._leading
                self._leading = False
                self._valid_until = 0.0
                self._term = attempt.lease.term
        if step_up:
            log.info("leading (lease %s, term %d)", self._fence.name, attempt.lease.term)
            self._on_lead(attempt.lease.term)
        elif step_down:
            log.warning("lease %s taken by %s: following", self._fence.name, attempt.lease.holder)
            self._on_follow(f"lease taken by {attempt.lease.holder}")

    def _failed(self, error: str) -> None:
        with self._lock:
            self._error = error
            expired = self._leading and self._clock() >= self._valid_until
            if expired:
                self._leading = False
                self._valid_until = 0.0
        log.warning("lease %s: the store does not answer: %s", self._fence.name, error)
        if expired:
            self._on_follow(f"the store does not answer: {error}")

    def _renew_loop(self) -> None:
        while not self._stop.is_set():
            self.attempt()
            self._stop.wait(self._timing.renew_s)

    def _watch_loop(self) -> None:
        while not self._stop.wait(EXPIRY_CHECK_S):
            self._expire_if_due()

    def _expire_if_due(self) -> None:
        with self._lock:
            due = self._leading and self._clock() >= self._valid_until
            if due:
                self._leading = False
        if due:
            log.warning("lease %s not renewed in time: stepping down", self._fence.name)
            self._on_follow("the lease could not be renewed in time")


class Leadership:
    """The controller the API sees on a daemon that shares its store (`Controller`)."""

    def __init__(
        self,
        elector_factory: Callable[[Callable[[int], None], Callable[[str], None]], LeaderElector],
        make_manager: Callable[[], Controller],
        idle: Controller,
        feed: ChangeFeed,
    ) -> None:
        self._make_manager = make_manager
        self._idle = idle
        self._feed = feed
        self._lock = threading.Lock()
        self._running: Controller | None = None
        self._elector = elector_factory(self._lead, self._follow)
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None

    def start(self) -> None:
        self._listener = threading.Thread(
            target=self._listen, name="dockform-change-feed", daemon=True
        )
        self._listener.start()
        self._elector.start()

    def stop(self) -> None:
        self._stop.set()
        self._elector.stop()
        if self._listener is not None:
            self._listener.join(5)

    def leading(self) -> bool:
        return self._elector.leading()

    # --- stepping up and down

    def _lead(self, term: int) -> None:
        manager = self._make_manager()
        with self._lock:
            previous, self._running = self._running, manager
        if previous is not None:
            _stop(previous)
        start = getattr(manager, "start", None)
        if start is not None:
            start()

    def _follow(self, why: str) -> None:
        with self._lock:
            previous, self._running = self._running, None
        if previous is not None:
            log.warning("stopped reconciling: %s", why)
            _stop(previous)

    def _current(self) -> Controller | None:
        with self._lock:
            return self._running

    # --- the change feed: applies taken by any daemon reach the leader

    def _listen(self) -> None:
        def delivered(keys: list[list[str]] | None, syncs: list[list[str]]) -> None:
            current = self._current()
            if current is None:
                return
            if keys is None:  # the feed reconnected: notifications may have been missed
                for_all = getattr(current, "enqueue_all", None)
                if for_all is not None:
                    for_all()
                return
            if keys:
                current.desired_changed([_key(key) for key in keys])
            for sync in syncs:
                sync_key = _key(sync)
                current.request_sync(sync_key.kind, sync_key.name, sync_key.namespace)

        self._feed.listen(self._stop, delivered)

    # --- Controller

    def desired_changed(self, keys: Iterable[Key]) -> None:
        keys = list(keys)
        current = self._current()
        if current is not None:
            current.desired_changed(keys)
        else:
            self._feed.publish(keys)

    def request_sync(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> None:
        current = self._current()
        if current is not None:
            current.request_sync(kind, name, namespace)
        else:
            self._feed.publish([], syncs=[ObjectKey(kind, namespace, name)])

    def engine_ok(self) -> bool:
        return (self._current() or self._idle).engine_ok()

    def queue_pending(self) -> int:
        current = self._current()
        return current.queue_pending() if current is not None else 0

    def logs(
        self,
        kind: str,
        name: str,
        tail: int | None,
        follow: bool,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> Iterator[bytes]:
        return (self._current() or self._idle).logs(kind, name, tail, follow, namespace)

    def leadership(self) -> LeadershipInfo:
        return self._elector.info()


def _stop(controller: Controller) -> None:
    stop = getattr(controller, "stop", None)
    if stop is not None:
        stop()


def _key(parts: list[str]) -> ObjectKey:
    """A key as the change feed carries it: [kind, namespace, name] (or [kind, name] from a
    daemon that predates namespaces: the default namespace)."""
    if len(parts) == 2:
        return ObjectKey(parts[0], DEFAULT_NAMESPACE, parts[1])
    return ObjectKey(parts[0], parts[1], parts[2])

"""A rate-limited, deduplicating work queue of (kind, namespace, name) keys.

Semantics follow client-go's workqueue, which the controller's correctness rests on:
- a key waiting in the queue is never queued twice (adds collapse);
- a key being processed is never handed to a second worker; if it is added meanwhile, it is
  queued again when `done` is called, so no change is lost;
- `add_rate_limited` delays a key exponentially per failure, up to a cap; `forget` resets it;
- `add_after` delays a key without counting a failure (polling, e.g. waiting for health);
- `add(key, background=True)` queues in a second lane that workers take only when the first
  is empty: the periodic resync's hundreds of keys never stand in front of a repair that an
  event asked for. An ordinary add of a key waiting in the background lane moves it forward.
  At most `background_workers` (one by default) keys of that lane are processed at once: a
  resync goes through its keys on one thread instead of all of them contending for the GIL.

Workers call `get()` (blocks), reconcile, then `done(key)`. The manager owns the retry policy.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque

from dockform.manifests.namespaces import ObjectKey
from dockform.settings import Backoff

Key = ObjectKey
DEFAULT_BACKOFF = Backoff(base_s=0.2, cap_s=60.0)


class WorkQueue:
    def __init__(self, backoff: Backoff = DEFAULT_BACKOFF, background_workers: int = 1) -> None:
        self._backoff = backoff
        self._lock = threading.Condition()
        self._queue: deque[Key] = deque()
        # The background lane and the dirty keys that belong to it.
        self._background: deque[Key] = deque()
        self._background_keys: set[Key] = set()
        self._background_workers = max(1, background_workers)
        self._processing_background: set[Key] = set()
        self._dirty: set[Key] = set()
        self._processing: set[Key] = set()
        self._failures: dict[Key, int] = {}
        self._delayed: list[tuple[float, int, Key]] = []
        self._delayed_due: dict[Key, float] = {}
        self._tiebreak = itertools.count()
        self._shutting_down = False

    # --- adding

    def add(self, key: Key, *, background: bool = False) -> None:
        with self._lock:
            self._add_locked(key, background)

    def _add_locked(self, key: Key, background: bool = False) -> None:
        if self._shutting_down:
            return
        if key in self._dirty:
            if not background and key in self._background_keys:
                self._background_keys.discard(key)  # moves to the first lane
                if key not in self._processing:
                    # Linear, but only for a key an event names while a resync queued it.
                    self._background.remove(key)
                    self._queue.append(key)
                    self._lock.notify()
            return
        self._dirty.add(key)
        self._delayed_due.pop(key, None)
        if background:
            self._background_keys.add(key)
        if key not in self._processing:
            self._lane(key).append(key)
            self._lock.notify()

    def _lane(self, key: Key) -> deque[Key]:
        return self._background if key in self._background_keys else self._queue

    def add_after(self, key: Key, delay_s: float) -> None:
        if delay_s <= 0:
            self.add(key)
            return
        due = time.monotonic() + delay_s
        with self._lock:
            if self._shutting_down:
                return
            current = self._delayed_due.get(key)
            if current is not None and current <= due:
                return  # an earlier wake-up is already scheduled
            self._delayed_due[key] = due
            heapq.heappush(self._delayed, (due, next(self._tiebreak), key))
            self._lock.notify()

    def add_rate_limited(self, key: Key) -> float:
        """Queue `key` after its backoff delay; returns the delay chosen."""
        with self._lock:
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
        delay = self._backoff.delay(failures)
        self.add_after(key, delay)
        return delay

    def forget(self, key: Key) -> None:
        with self._lock:
            self._failures.pop(key, None)

    # --- taking

    def get(self, timeout_s: float | None = None) -> Key | None:
        """The next key to process, or None on shutdown (or when timeout_s passes)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._lock:
            while True:
                self._promote_due_locked()
                key = self._next_key_locked()
                if key is not None:
                    self._dirty.discard(key)
                    self._processing.add(key)
                    return key
                if self._shutting_down:
                    return None
                wait = self._next_wait_locked(deadline)
                if wait is not None and wait <= 0:
                    return None
                self._lock.wait(wait)

    def _next_key_locked(self) -> Key | None:
        if self._queue:
            return self._queue.popleft()
        if self._background and len(self._processing_background) < self._background_workers:
            key = self._background.popleft()
            self._background_keys.discard(key)
            self._processing_background.add(key)
            return key
        return None

    def done(self, key: Key) -> None:
        with self._lock:
            self._processing.discard(key)
            if key in self._processing_background:
                self._processing_background.discard(key)
                self._lock.notify()  # a background slot is free
            if key in self._dirty:
                self._lane(key).append(key)
                self._lock.notify()

    def _promote_due_locked(self) -> None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            due, _, key = heapq.heappop(self._delayed)
            if self._delayed_due.get(key) != due:
                continue  # superseded by an earlier wake-up or an immediate add
            del self._delayed_due[key]
            self._add_locked(key)

    def _next_wait_locked(self, deadline: float | None) -> float | None:
        now = time.monotonic()
        waits = []
        if self._delayed:
            waits.append(max(self._delayed[0][0] - now, 0.0))
        if deadline is not None:
            remaining = deadline - now
            if remaining <= 0:
                return 0.0
            waits.append(remaining)
        return min(waits) if waits else None

    # --- introspection and shutdown

    def depth(self) -> int:
        """Keys waiting for a worker, in either lane."""
        with self._lock:
            return self._waiting_locked()

    def pending(self) -> int:
        """Keys queued, delayed or being processed: zero means the controller is idle."""
        with self._lock:
            return self._waiting_locked() + len(self._delayed_due) + len(self._processing)

    def _waiting_locked(self) -> int:
        # Every key that is dirty and not being processed waits in exactly one lane.
        return sum(1 for key in self._dirty if key not in self._processing)

    def shutdown(self) -> None:
        with self._lock:
            self._shutting_down = True
            self._lock.notify_all()

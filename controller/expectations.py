"""Docker events the controller caused itself, so they do not trigger a pass of their own.

The container reconciler creates and starts a container, then inspects it and writes the
status in the same pass. The `create` and `start` events that follow would queue another pass
that only observes what the first already saw: three more Engine calls per new container, on
a host where the Engine's CPU is what a cold start waits for. The reconciler notes each action
it completed here, and the manager drops the matching event once (like the "expectations" of
Kubernetes' ReplicaSet controller).

Nothing is lost by dropping one: the event repeats a fact the pass has already observed, and
any later event of the same object (die, destroy, a second start) is not expected and
triggers as usual. A note whose event never comes (the events stream reconnected, which
queues everything anyway) expires after `ttl_s`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from dockform.manifests.namespaces import ObjectKey

Expected = tuple[ObjectKey, str]  # (key, event action)

DEFAULT_TTL_S = 30.0


class Expectations:
    def __init__(
        self, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._due: dict[Expected, list[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = clock() + ttl_s

    def expect(self, key: ObjectKey, action: str) -> None:
        """The controller just did `action` to the object of `key`."""
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:  # notes whose event never came do not pile up
                self._sweep(now)
                self._next_sweep = now + self._ttl_s
            self._due.setdefault((key, action), []).append(now + self._ttl_s)

    def consume(self, key: ObjectKey, action: str) -> bool:
        """True (and forgotten) when this event was expected and has not expired."""
        expected = (key, action)
        now = self._clock()
        with self._lock:
            deadlines = [deadline for deadline in self._due.get(expected, []) if deadline > now]
            if not deadlines:
                self._due.pop(expected, None)
                return False
            deadlines.pop(0)
            if deadlines:
                self._due[expected] = deadlines
            else:
                del self._due[expected]
            return True

    def _sweep(self, now: float) -> None:
        for key, deadlines in list(self._due.items()):
            alive = [deadline for deadline in deadlines if deadline > now]
            if alive:
                self._due[key] = alive
            else:
                del self._due[key]

    def pending(self) -> int:
        with self._lock:
            return sum(len(deadlines) for deadlines in self._due.values())

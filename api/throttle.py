"""At most one act per key and period (`Throttle`): what keeps a flood of refused webhook calls
from writing a Warning event each (`api.routes.webhooks`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

# Keys remembered at most; past it the oldest are forgotten (a flood of distinct keys cannot
# grow it without bound).
MAX_KEYS = 1024


class Throttle:
    def __init__(self, period_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._period_s = period_s
        self._clock = clock
        self._last: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: Hashable) -> bool:
        """True when `key` was not allowed within the last period (and counts this one)."""
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._period_s:
                return False
            self._last.pop(key, None)
            self._last[key] = now
            while len(self._last) > MAX_KEYS:
                del self._last[next(iter(self._last))]
            return True

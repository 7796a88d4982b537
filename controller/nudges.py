"""One-shot "act now" requests per key, such as a webhook's "fetch this GitSource now".

`Manager.request_sync` records one and queues the key; the reconciler that can act on it takes
it (`take`) on its next pass. A nudge is kept in memory only: a daemon that stops before acting
loses it, and every reconciler looks at everything once at start anyway.
"""

from __future__ import annotations

import threading

Key = tuple[str, str]


class Nudges:
    """A thread-safe set of pending nudges: `request` adds, `take` answers True once."""

    def __init__(self) -> None:
        self._pending: set[Key] = set()
        self._lock = threading.Lock()

    def request(self, key: Key) -> None:
        with self._lock:
            self._pending.add(key)

    def take(self, key: Key) -> bool:
        """True when `key` was requested since the last take (and forget the request)."""
        with self._lock:
            if key not in self._pending:
                return False
            self._pending.discard(key)
            return True

"""Serialized answers, reused while the store has not been written to.

Reading and serializing an object costs the ORM and pydantic a few hundred microseconds, a
list of 1000 tens of milliseconds; in a steady state nothing changes between two reads, so the
bytes of the last answer are served again. Lists are keyed by (kind, label selector), single
objects by (kind, name). The guard is `Store.data_version`, read *before* the data, so a write
that lands during a read can only make an entry look older than it is, never newer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

LIST_ENTRIES = 64
OBJECT_ENTRIES = 4096


class ResponseCache:
    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def lookup(self, key: Hashable, version: int) -> bytes | None:
        """The cached body for `key` if it was rendered at `version`, else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def store(self, key: Hashable, version: int, body: bytes) -> None:
        with self._lock:
            self._entries[key] = (version, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def get_or_render(self, key: Hashable, version: int, render: Callable[[], bytes]) -> bytes:
        body = self.lookup(key, version)
        if body is None:
            body = render()
            self.store(key, version, body)
        return body

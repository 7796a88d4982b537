"""Serialized list responses, reused while the store has not been written to.

Listing 1000 objects costs tens of milliseconds of ORM and pydantic work; in a steady state
nothing changes between two lists, so the bytes of the last answer are served again. The key
is (kind, label selector); the guard is `Store.data_version`, read before the data, so a write
that lands during a read can only make the entry look older than it is, never newer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

CacheKey = tuple[str, tuple[tuple[str, str], ...]]

MAX_ENTRIES = 64


class ListCache:
    def __init__(self) -> None:
        self._entries: dict[CacheKey, tuple[int, bytes]] = {}
        self._lock = threading.Lock()

    def get_or_render(self, key: CacheKey, version: int, render: Callable[[], bytes]) -> bytes:
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] == version:
            return entry[1]
        body = render()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES and key not in self._entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (version, body)
        return body

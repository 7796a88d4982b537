"""Resources read by key, kept until the next write of the store.

A resync reads every resource by key once a minute; with hundreds of unchanged objects each
read (a joined SELECT and two ORM rows) was a sixth of an idle daemon's CPU. An answer is kept
with the `data_version` read before it and handed out again only while that version is still
the store's: any committed write of a resource or a status raises it, and the first read after
drops every kept answer. Only for SQLite, whose file the daemon's one `Store` alone writes (the
API's caches rely on the same); a shared store's version is itself a query, so there every read
asks the database. Two `Store` objects on one file do not see each other's writes here.
"""

from __future__ import annotations

import threading

from dockform.manifests.namespaces import ObjectKey
from dockform.store.types import Resource

# More keys than this at one version and the kept answers start again from none.
MAX_ENTRIES = 20_000


class ReadCache:
    def __init__(self) -> None:
        self._version = -1
        self._entries: dict[ObjectKey, Resource | None] = {}
        self._lock = threading.Lock()

    def get(self, key: ObjectKey, version: int) -> tuple[bool, Resource | None]:
        """(True, the answer read at `version`), or (False, None) when none is kept."""
        with self._lock:
            if version != self._version or key not in self._entries:
                return False, None
            return True, self._entries[key]

    def keep(self, key: ObjectKey, version: int, resource: Resource | None) -> None:
        """Keep what was read after `version` was read."""
        with self._lock:
            if version < self._version:
                return  # read before a write another reader has seen already
            if version > self._version or len(self._entries) >= MAX_ENTRIES:
                self._version = version
                self._entries = {}
            self._entries[key] = resource

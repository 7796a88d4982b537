"""One-shot requests to act on a key now, whatever its schedule (a webhook's "fetch now").

`POST /v1/gitsources/{name}/sync` asks the controller (`Manager.request_sync`), which records
the key here and queues it; the GitSource reconciler takes the request on its next pass and
fetches even though its interval has not passed. Kept in memory: a daemon that stops before
acting loses the request, and every GitSource is fetched at start anyway.
"""

from __future__ import annotations

import threading

from dockform.manifests.namespaces import ObjectKey

Key = ObjectKey


class Nudges:
    def __init__(self) -> None:
        self._requested: set[Key] = set()
        self._lock = threading.Lock()

    def request(self, key: Key) -> None:
        with self._lock:
            self._requested.add(key)

    def take(self, key: Key) -> bool:
        """True once per `request` of `key` since the last take."""
        with self._lock:
            if key not in self._requested:
                return False
            self._requested.discard(key)
            return True

"""What `inspect_image` answered, kept while the Engine's event stream is being read.

Every Container's pass asks for its image's id (a changed image replaces the container): with
500 containers and a resync a minute that is eight identical inspects a second, a sixth of an
idle daemon's CPU. An answer is reused only while someone reads the Engine's event stream
through this driver (the daemon always does): every image event on that stream (pull, tag,
untag, delete, load, import, build) drops all answers, as does every image call the driver
makes itself, and the stream ending. Without a live stream nothing is kept, so a caller that
changes images behind the driver's back and reads no events always sees the Engine's answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from dockform.runtime.types import ImageInfo

# At most this many refs are kept (a ref is a few hundred bytes of ImageInfo).
MAX_ENTRIES = 1024


class ImageCache:
    def __init__(self) -> None:
        self._entries: dict[str, ImageInfo | None] = {}
        self._streams = 0
        # Raised by every invalidation: an answer fetched before one is not kept.
        self._generation = 0
        self._lock = threading.Lock()

    def inspect(self, ref: str, fetch: Callable[[str], ImageInfo | None]) -> ImageInfo | None:
        with self._lock:
            if self._streams and ref in self._entries:
                return self._entries[ref]
            generation = self._generation
        info = fetch(ref)
        with self._lock:
            if self._streams and generation == self._generation:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[ref] = info
        return info

    def forget(self) -> None:
        """Images changed (or may have): drop every answer."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def stream_started(self) -> None:
        with self._lock:
            self._streams += 1
            self._generation += 1
            self._entries.clear()

    def stream_ended(self) -> None:
        with self._lock:
            self._streams -= 1
            self._generation += 1
            self._entries.clear()

"""Per-file debounce for watched directories: when is a changed file ready to be read?

Pure bookkeeping with the clock passed in (no threads, no I/O), so its rules are unit-tested
directly; `sources.watch` feeds it file-system events and asks which paths are due. A path is
due once no event touched it for `delay_s`. Where the platform reports closes (Linux
inotify), a file that was written to is also not due until its writer closed it: a file
written in pieces, with pauses longer than the debounce, is never read between two pieces.
A close that never comes (a lost event, a writer that never closes) stops mattering after
`write_grace_s`. Not thread-safe: the watcher holds its lock around every call.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Pending:
    last_event: float
    writing: bool
    not_before: float


class Debouncer:
    def __init__(
        self, delay_s: float = 0.1, write_grace_s: float = 30.0, track_writes: bool = True
    ) -> None:
        self._delay_s = delay_s
        self._write_grace_s = write_grace_s
        self._track_writes = track_writes
        self._pending: dict[str, _Pending] = {}

    def touch(self, path: str, now: float, writing: bool | None = None) -> None:
        """An event about `path`. `writing`: True after a write (the writer may go on), False
        after a close, a rename or a deletion (the content is final), None to keep as is."""
        entry = self._pending.get(path)
        if entry is None:
            entry = _Pending(last_event=now, writing=False, not_before=now)
            self._pending[path] = entry
        entry.last_event = now
        entry.not_before = now  # a retry's wait is for the old content: this is newer
        if writing is not None:
            entry.writing = writing and self._track_writes

    def retry(self, path: str, now: float, delay_s: float) -> None:
        """Look at `path` again after `delay_s` (it failed in a way that may pass)."""
        if path in self._pending:
            return  # a newer event already brings it back
        self._pending[path] = _Pending(
            last_event=now - self._delay_s, writing=False, not_before=now + delay_s
        )

    def pending(self, path: str) -> bool:
        return path in self._pending

    def due(self, now: float) -> list[str]:
        """Paths ready to be read now, sorted; they leave the debouncer."""
        ready = sorted(
            path for path, entry in self._pending.items() if self._ready_at(entry) <= now
        )
        for path in ready:
            del self._pending[path]
        return ready

    def next_deadline(self) -> float | None:
        """When the next path may become due (None when nothing is pending)."""
        if not self._pending:
            return None
        return min(self._ready_at(entry) for entry in self._pending.values())

    def _ready_at(self, entry: _Pending) -> float:
        quiet = entry.last_event + self._delay_s
        if entry.writing:
            quiet = max(quiet, entry.last_event + self._write_grace_s)
        return max(quiet, entry.not_before)

    def __len__(self) -> int:
        return len(self._pending)

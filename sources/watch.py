"""The watched-directory source: watchdog events in, `DirectorySync.sync` calls out.

    watchdog observer thread --events--> Debouncer (sources.debounce) --due paths--> worker
    thread --> DirectorySync.sync(path) (sources.directory) --> Applier.apply (store.apply)

Changes are picked up from file-system events (inotify on Linux), not by polling: an event
only schedules its path, and the worker reads the file once it has been quiet for the
debounce (about 100 ms) and, on Linux, closed by its writer. A close does not prove the writer
is done (it may reopen the file and go on): an apply that would remove objects waits until the
file has read the same for the settle time (`sources.directory`), and its path comes back to
the debouncer meanwhile, so a newer event still wins. The worker does all reading and
applying, one path at a time, so a source is never applied twice at once. A full rescan at
start and every `rescan_s` seconds catches what events miss (a lost event, a directory moved
in or out, a change while the daemon was down): it applies files whose content differs from
what was last applied and deletes the sources of files that are gone. Within one batch, files
present are handled before files gone, so a file moved to a new name hands its objects over
instead of deleting them first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from dockform.settings import Backoff, SourceSettings
from dockform.sources.debounce import Debouncer
from dockform.sources.directory import DirectorySync, FileOutcome
from dockform.sources.files import is_manifest_path

log = logging.getLogger("dockform.sources.watch")

_DEFAULTS = SourceSettings()
DEBOUNCE_S = _DEFAULTS.debounce_s
RESCAN_S = _DEFAULTS.rescan_s
WRITE_GRACE_S = _DEFAULTS.write_grace_s
# Opens and reads (our own included) are not changes: only these events are asked for.
EVENT_FILTER: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


def _reports_closes(observer: Any) -> bool:
    # Only inotify reports that a writer closed a file; elsewhere a quiet file counts as done.
    return type(observer).__name__.startswith("Inotify")


class _Handler(FileSystemEventHandler):
    def __init__(self, on_event: Callable[[FileSystemEvent], None]) -> None:
        self._on_event = on_event

    def dispatch(self, event: FileSystemEvent) -> None:
        self._on_event(event)


class DirectoryWatcher:
    """Watches `sync.roots` and keeps their files applied; `start()` / `stop()` with the daemon."""

    def __init__(
        self,
        sync: DirectorySync,
        *,
        debounce_s: float = DEBOUNCE_S,
        rescan_s: float = RESCAN_S,
        write_grace_s: float = WRITE_GRACE_S,
        retry: Backoff = _DEFAULTS.file_retry,
        observer_factory: Callable[[], Any] = Observer,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sync = sync
        self._rescan_s = rescan_s
        self._retry = retry
        self._clock = clock
        self._observer = observer_factory()
        self._debouncer = Debouncer(
            delay_s=debounce_s,
            write_grace_s=write_grace_s,
            track_writes=_reports_closes(self._observer),
        )
        self._lock = threading.Condition()
        self._stopping = False
        self._dirs_to_scan: set[str] = set()
        # Manifest paths seen (by an event or a scan), to find them again when their
        # directory is moved away: inotify then reports the directory only.
        self._known: set[str] = set()
        self._watches: dict[str, Any] = {}  # root -> watchdog's ObservedWatch
        self._dead: set[str] = set()  # roots whose watch stopped (the directory went away)
        self._failures: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self.scans = 0  # completed full scans (tests wait on it)

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        for root in self.sync.roots:
            self._watch(root)
        self._observer.start()
        self._thread = threading.Thread(target=self._run, name="dockform-watch", daemon=True)
        self._thread.start()
        log.info("watching %s", ", ".join(self.sync.roots))

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        self._observer.stop()
        self._observer.join(timeout_s)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _watch(self, root: str) -> None:
        if not os.path.isdir(root):
            log.warning("watched directory %s does not exist (yet); its sources are kept", root)
            return
        try:
            self._watches[root] = self._observer.schedule(
                _Handler(self._on_event), root, recursive=True, event_filter=EVENT_FILTER
            )
        except OSError as error:
            log.warning("cannot watch %s: %s; the rescan keeps it applied", root, error)

    # --- events (observer thread) --------------------------------------------------------------

    def _on_event(self, event: FileSystemEvent) -> None:
        now = self._clock()
        paths = [os.fsdecode(event.src_path)]
        if event.dest_path:
            paths.append(os.fsdecode(event.dest_path))
        with self._lock:
            if event.is_directory:
                self._on_directory_event(event, paths)
            else:
                writing = _writing(event)
                for index, path in enumerate(paths):
                    key = self.sync.key_of(path)  # a compose project's file: its compose file
                    if key is None:
                        continue
                    self._known.add(key)
                    # The source side of a move is gone, and the destination is complete.
                    self._debouncer.touch(key, now, False if index else writing)
            self._lock.notify_all()

    def _on_directory_event(self, event: FileSystemEvent, paths: list[str]) -> None:
        if event.event_type == "deleted" and paths[0] in self.sync.roots:
            # The watched directory itself went: its watch is dead. The rescan watches it
            # again when it comes back, and keeps its sources meanwhile.
            self._dead.add(paths[0])
            return
        now = self._clock()
        for path in paths:
            prefix = path.rstrip(os.sep) + os.sep
            for known in [known for known in self._known if known.startswith(prefix)]:
                self._debouncer.touch(known, now, False)
            project = self.sync.key_of(path)  # a directory of a compose project changed
            if project is not None:
                self._known.add(project)
                self._debouncer.touch(project, now, False)
            if event.event_type in ("created", "moved"):
                self._dirs_to_scan.add(path)

    # --- worker --------------------------------------------------------------------------------

    def _run(self) -> None:
        next_rescan = self._clock()  # the start scan
        while True:
            with self._lock:
                if self._stopping:
                    return
                now = self._clock()
                rescan = now >= next_rescan
                due = self._debouncer.due(now)
                dirs = sorted(self._dirs_to_scan)
                self._dirs_to_scan.clear()
                if not (rescan or due or dirs):
                    deadline = self._debouncer.next_deadline()
                    wake = next_rescan if deadline is None else min(deadline, next_rescan)
                    self._lock.wait(max(wake - now, 0.0))
                    continue
            if rescan:
                # Set first: a scan that fails (the store busy) waits for the next interval
                # instead of spinning.
                next_rescan = self._clock() + self._rescan_s
            try:
                if dirs:
                    self._scan_directories(dirs)
                if rescan:
                    due = sorted(set(due) | set(self._full_scan()))
            except Exception:
                log.exception(
                    "scanning the watched directories failed; retrying at the next rescan"
                )
            self._process(due)
            if rescan:
                self.scans += 1

    def _scan_directories(self, directories: Sequence[str]) -> None:
        """Files inside a directory created or moved in: events may predate its watch."""
        now = self._clock()
        with self._lock:
            for directory in directories:
                found = self.sync.walk(directory) if os.path.isdir(directory) else []
                for path in [directory, *found]:
                    key = self.sync.key_of(path)
                    if key is not None:
                        self._debouncer.touch(key, now, None)
            self._lock.notify_all()

    def _full_scan(self) -> list[str]:
        """Every path to look at now: files present, and recorded sources below the roots."""
        present: set[str] = set()
        for root in self.sync.roots:
            if not os.path.isdir(root):
                continue
            with self._lock:
                unwatched = root not in self._watches or root in self._dead
            if unwatched:
                self._rewatch(root)
            present.update(self.sync.walk(root))  # manifests and compose files, none hidden
        recorded = set(self.sync.recorded_paths())
        with self._lock:
            live = [root for root in self.sync.roots if os.path.isdir(root)]
            known = {p for p in self._known if any(is_manifest_path(r, p) for r in live)}
            # A path waiting for its writer stays with the debouncer.
            return sorted(
                path for path in present | recorded | known if not self._debouncer.pending(path)
            )

    def _rewatch(self, root: str) -> None:
        # Never called with our lock held: the observer holds its own lock while it hands
        # events to `_on_event`, which takes ours.
        old = self._watches.pop(root, None)
        if old is not None:
            with contextlib.suppress(KeyError, OSError):  # already gone with its directory
                self._observer.unschedule(old)
        with self._lock:
            self._dead.discard(root)
        self._watch(root)

    def _process(self, paths: Sequence[str]) -> None:
        # Files present first: a renamed file takes its objects over before the old name's
        # source would delete them.
        ordered = sorted(paths, key=lambda path: (not os.path.lexists(path), path))
        for path in ordered:
            with self._lock:
                if self._stopping:
                    return
            try:
                outcome = self.sync.sync(path, quiet=self._quiet)
            except Exception as error:  # one bad path must not stop the others
                log.exception("watched file %s failed", path)
                outcome = FileOutcome("", "failed", str(error), retry=True)
            self._after(path, outcome)

    def _quiet(self, path: str) -> bool:
        with self._lock:
            return not self._debouncer.pending(path)

    def _after(self, path: str, outcome: FileOutcome) -> None:
        with self._lock:
            if outcome.action in ("deleted", "ignored") and not os.path.lexists(path):
                self._known.discard(path)
            elif os.path.lexists(path):
                self._known.add(path)
            if outcome.retry_after_s is not None:
                # Settling (sources.directory) is waiting, not failing: no backoff.
                self._failures.pop(path, None)
                self._debouncer.retry(path, self._clock(), outcome.retry_after_s)
                self._lock.notify_all()
                return
            if not outcome.retry:
                self._failures.pop(path, None)
                return
            failures = self._failures.get(path, 0)
            self._failures[path] = failures + 1
            delay = min(self._retry.delay(failures), self._rescan_s)
            self._debouncer.retry(path, self._clock(), delay)
            self._lock.notify_all()
        log.debug(
            "%s: %s (%s); looking again in %.1fs", path, outcome.action, outcome.message, delay
        )


def _writing(event: FileSystemEvent) -> bool | None:
    """Whether an event leaves its file possibly half-written (see sources.debounce)."""
    if isinstance(event, FileModifiedEvent):
        return True
    if isinstance(event, FileCreatedEvent):
        return None  # created empty, or moved in complete: the writes that follow tell
    return False  # closed, deleted, moved

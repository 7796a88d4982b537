"""Watched directories, one file at a time: read, check, apply with prune, record the outcome.

Every `*.yaml` / `*.yml` below a watched directory is its own source, named
`dir:<path relative to the directory>`. `DirectorySync.sync(path)` looks at what is on disk now
(level-triggered: which event led here does not matter) and makes the store agree:

- a file present and valid is applied through the `store.apply.Applier` with prune, at
  revision = the sha256 of its bytes; an unchanged file is not applied again;
- a file gone deletes its source's objects and the source record (`Applier.forget_source`);
- a file that cannot be used (invalid YAML or manifest, binary, too large, no manifests, refused
  by the daemon's policy, an ownership conflict) is a Warning event and the source's
  `lastError`; nothing is deleted, and the objects of its last good version keep running;
- a file whose apply would remove running objects (documents gone from it) must settle first:
  its bytes must read the same for `settle_s` (1 s). The first look returns `settling` with
  the time left, and the look after that applies only if the bytes are identical. A file closed
  half-written and finished later (written, closed, reopened, appended) is thus never applied
  at its truncated content, which would prune the objects of its missing documents; applies
  that remove nothing keep the debounce's latency.

Events are about the source, not its objects: kind `Source`, name = the source name (cut to
the store's 255 characters). An empty file is left alone: it is what a writer makes first.

When two watched directories hold the same relative path, the first directory given wins and
the other file is reported (`Shadowed`) and not applied. A file moved or renamed inside the
watched directories keeps its objects running: the new source takes over the objects of a
`dir:` source whose file is gone, and the old source then has nothing left to prune.
`sources.watch` decides when to call `sync`; this module never waits or watches. A store that
fails (`StoreUnavailable`) is a `failed` outcome with `retry`: the watcher looks again later.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dockform.manifests.errors import ManifestError, ManifestIssue, file_issue
from dockform.manifests.host_paths import is_inside
from dockform.manifests.loader import LoadedManifest, load_text
from dockform.manifests.namespaces import parse_display
from dockform.manifests.source_names import (
    MAX_LENGTH,
    dir_path,
    dir_source,
    is_dir_source,
)
from dockform.manifests.status import EventType, Reason
from dockform.settings import SourceSettings
from dockform.sources.compose_normaliser import Normaliser, find_normaliser
from dockform.sources.compose_project import (
    ComposeProject,
    load_compose_project,
    project_file_of,
    walk_sources,
)
from dockform.sources.content import ContentStore
from dockform.sources.files import (
    FileChanging,
    FileProblem,
    ManifestCheck,
    is_manifest_name,
    is_manifest_path,
    read_manifest_file,
    summarize,
)
from dockform.sources.placement import WatchedPlacement, placed_paths
from dockform.store.apply import Applier, ApplyRequest, ObjectResult
from dockform.store.errors import StoreError, StoreUnavailable
from dockform.store.types import SourceRecord

log = logging.getLogger("dockform.sources.dir")

EVENT_KIND = "Source"
EVENT_NAME_LENGTH = 255

Action = Literal[
    "applied", "unchanged", "deleted", "invalid", "failed", "skipped", "settling", "ignored"
]

# How long a file's bytes must stay the same before an apply that removes objects is done.
# Longer than the pauses of writers that close a file and reopen it to go on (scripts writing
# in steps, `>` then `>>`, copies in pieces): removing a running app because a file was seen
# half-written costs far more than applying a removal one second later. A file left
# half-written for longer is applied as it is: the user's writer is done, as far as anyone
# can tell.
SETTLE_S = SourceSettings().settle_s


@dataclass(frozen=True)
class FileOutcome:
    """What `sync` did about one path; `retry` asks the caller to look again later, after
    `retry_after_s` when given (a file settling), else after its own backoff."""

    source: str
    action: Action
    message: str = ""
    retry: bool = False
    retry_after_s: float | None = None


class DirectorySync:
    def __init__(
        self,
        applier: Applier,
        roots: Sequence[str],
        check: ManifestCheck | None = None,
        *,
        settle_s: float = SETTLE_S,
        clock: Callable[[], float] = time.monotonic,
        content_root: Path | None = None,
        normaliser: Callable[[], Normaliser] = find_normaliser,
    ) -> None:
        self._applier = applier
        self._store = applier.store
        self.roots = [os.path.abspath(root) for root in roots]
        self._check = check
        # source -> (path, signature) of the last version looked at, so a rescan does not
        # read, parse and apply (or report) the same content again.
        self._seen: dict[str, tuple[str, str]] = {}
        self._settle_s = settle_s
        self._clock = clock
        # source -> (path, digest, when first read) of content waiting to settle.
        self._settling: dict[str, tuple[str, str, float]] = {}
        # Compose projects: copies of their read-only mounts (sources.content), how Compose
        # is run, and each project's writable binds inside its directory (its state: what
        # the app writes there is not a change of the project).
        self._content_root = content_root
        self._normaliser = normaliser
        self._state: dict[str, tuple[str, ...]] = {}
        self._content: dict[str, ContentStore] = {}

    # --- names ---------------------------------------------------------------------------------

    def source_of(self, path: str) -> str | None:
        """The source `path` feeds now: `dir:<relative path>` of a manifest, or of the
        compose file of the project `path` is in (any file of the project but its state);
        else None."""
        feeder = self._feeder(path)
        return None if feeder is None else dir_source(os.path.relpath(feeder[1], feeder[0]))

    def key_of(self, path: str) -> str | None:
        """The path the watcher looks at for a change at `path`: the file that feeds its
        source (a compose project's compose file), or None when no source cares."""
        feeder = self._feeder(path)
        return None if feeder is None else feeder[1]

    def _feeder(self, path: str) -> tuple[str, str] | None:
        """The watched directory and the file that feed the source `path` belongs to: the
        manifest itself, or its compose project's compose file (None for a project's state)."""
        for root in self.roots:
            project = project_file_of(root, path)
            if project is not None:
                if any(is_inside(path, state) for state in self._state.get(project, ())):
                    return None
                return root, project
            if is_manifest_path(root, path):
                return root, path
        return None

    def walk(self, directory: str) -> list[str]:
        """The files below `directory` that feed sources (see compose_project.walk_sources)."""
        return walk_sources(directory, is_manifest_name)

    def _own_source(self, path: str) -> str | None:
        """`dir:<relative path>` of a manifest file, wherever it is (inside a project too)."""
        for root in self.roots:
            if is_manifest_path(root, path):
                return dir_source(os.path.relpath(path, root))
        return None

    def _roots_of(self, path: str) -> list[str]:
        """The watched directory `path` is in: the host directory its manifests may name."""
        return [root for root in self.roots if is_manifest_path(root, path)][:1]

    def owner_path(self, source: str) -> str | None:
        """The file that feeds `source` now: the first watched directory holding it, as a
        manifest outside any compose project or as a project's compose file."""
        relative = dir_path(source)
        for root in self.roots:
            candidate = os.path.join(root, relative)
            if not (os.path.isfile(candidate) and is_manifest_path(root, candidate)):
                continue
            project = project_file_of(root, candidate)
            if project is None or project == candidate:
                return candidate
        return None

    def recorded_paths(self) -> list[str]:
        """Paths of the `dir:` sources recorded in the store below the watched directories.

        A directory that is missing right now (unmounted, being replaced) is left out, so its
        sources are not mistaken for deleted files.
        """
        live_roots = [root for root in self.roots if os.path.isdir(root)]
        paths: set[str] = set()
        for record in self._store.list_sources():
            if record.type != "dir" or not record.path:
                continue
            if any(is_manifest_path(root, record.path) for root in live_roots):
                paths.add(record.path)
        return sorted(paths)

    # --- sync ----------------------------------------------------------------------------------

    def sync(self, path: str, quiet: Callable[[str], bool] | None = None) -> FileOutcome:
        """Make the store agree with the file at `path` as it is now.

        `quiet(path)` is asked after the file is read and before anything is applied: False
        (a new event arrived meanwhile) drops what was read, the next look applies it.
        """
        path = os.path.abspath(path)
        source = self.source_of(path)
        if source is None:
            return FileOutcome("", "ignored", f"{path} is not a manifest below a watched directory")
        if len(source) > MAX_LENGTH:
            issue = file_issue(path, "path is too long for a source name; shorten it")
            return self._invalid(source[:MAX_LENGTH], path, [issue], "name-too-long")
        own = self._own_source(path)
        if own is not None and own != source and self._store.get_source(own) is not None:
            # A manifest file now inside a compose project: the project feeds it.
            return self._remove(own, path)
        owner = self.owner_path(source)
        if owner is None:
            return self._remove(source, path)
        if owner != path:
            if os.path.lexists(path):
                return self._shadowed(source, path, owner)
            path = owner  # this copy went away; the other directory's copy feeds the source now
        if any(project_file_of(root, path) == path for root in self.roots):
            return self._apply_compose(source, path, quiet)
        return self._apply(source, path, quiet)

    def _apply(self, source: str, path: str, quiet: Callable[[str], bool] | None) -> FileOutcome:
        try:
            file = read_manifest_file(path)
        except FileChanging as changing:
            return FileOutcome(source, "skipped", str(changing), retry=True)
        except FileProblem as problem:
            return self._invalid(source, path, [problem.issue], problem.signature)
        if file.size == 0:
            return FileOutcome(source, "skipped", f"{path} is empty")
        if self._seen.get(source) == (path, file.digest):
            return FileOutcome(source, "unchanged")
        record = self._store.get_source(source)
        if _applied_as_is(record, file.digest, path):
            # Applied at this content before (a restart): nothing to do.
            self._seen[source] = (path, file.digest)
            return FileOutcome(source, "unchanged")
        try:
            loaded = load_text(file.text, filename=path, base_dir=os.path.dirname(path))
        except ManifestError as error:
            return self._invalid(source, path, error.issues, file.digest)
        if not loaded:
            message = "no manifests in the file; delete the file to delete its objects"
            return self._invalid(source, path, [file_issue(path, message)], file.digest)
        issues = (
            self._check(loaded, {path: file.text}, self._roots_of(path))
            if self._check is not None
            else []
        )
        if issues:
            return self._invalid(source, path, issues, file.digest)
        return self._apply_loaded(source, path, loaded, file.digest, record, quiet)

    def _apply_loaded(
        self,
        source: str,
        path: str,
        loaded: Sequence[LoadedManifest],
        revision: str,
        record: SourceRecord | None,
        quiet: Callable[[str], bool] | None,
        note: str = "",
    ) -> FileOutcome:
        """Apply checked manifests as `source` at `revision`, with prune (settling first
        when that removes objects)."""
        settling = self._settling_outcome(source, path, revision, record, loaded)
        if settling is not None:
            return settling
        if quiet is not None and not quiet(path):
            return FileOutcome(source, "skipped", f"{path} changed again before it was applied")
        try:
            results = self._applier.apply(
                ApplyRequest(
                    manifests=loaded,
                    source=source,
                    prune=True,
                    force=self._takes_over(source, loaded),
                    revision=revision,
                    source_path=path,
                )
            )
        except StoreUnavailable as error:
            log.warning("applying %s failed in the store: %s", path, error)
            return FileOutcome(source, "failed", str(error), retry=True)
        except StoreError as error:
            return self._failed(source, path, str(error))
        self._seen[source] = (path, revision)
        self._settling.pop(source, None)
        changes = _changes(results)
        if changes:
            message = f"applied {path} (revision {revision[:12]}): {changes}{note}"
            self._event(source, EventType.NORMAL, Reason.APPLIED, message)
            log.info("%s: %s", source, message)
        return FileOutcome(source, "applied", changes or "no changes")

    # --- compose projects ----------------------------------------------------------------------

    def _apply_compose(
        self, source: str, path: str, quiet: Callable[[str], bool] | None
    ) -> FileOutcome:
        """The compose project whose compose file is `path`: normalised by Compose,
        translated, its read-only mounts copied (sources.placement), applied as its
        project's namespace with prune. Its revision is what it becomes, so a change of any
        file of the project (an override, `.env`, an env_file, a mounted file) that changes
        what runs is applied, and one that does not applies nothing."""
        directory = os.path.dirname(path)
        store = self._content_store(source)
        placement = WatchedPlacement(directory, store) if store is not None else None
        try:
            project = load_compose_project(directory, path, placement, normaliser=self._normaliser)
        except ManifestError as error:
            signature = "error:" + summarize(error.issues)
            return self._invalid(source, path, error.issues, signature)
        self._state[path] = _writable_binds(project, directory)
        if self._seen.get(source) == (path, project.revision):
            return FileOutcome(source, "unchanged")
        record = self._store.get_source(source)
        if _applied_as_is(record, project.revision, path):
            self._seen[source] = (path, project.revision)
            return FileOutcome(source, "unchanged")
        allowed = [*self._roots_of(path), *([str(store.root)] if store is not None else [])]
        issues = (
            self._check(project.manifests, {project.file: project.text}, allowed)
            if self._check is not None
            else []
        )
        if issues:
            return self._invalid(source, path, issues, "error:" + summarize(issues))
        if project.drops:
            dropped = "; ".join(str(drop) for drop in project.drops)
            self._event(
                source,
                EventType.NORMAL,
                Reason.FIELDS_DROPPED,
                f"compose fields dockform does not run: {dropped}",
            )
        outcome = self._apply_loaded(
            source,
            path,
            project.manifests,
            project.revision,
            record,
            quiet,
            note=f" (namespace {project.namespace})",
        )
        if outcome.action == "applied" and store is not None:
            store.prune(placed_paths(project.manifests, store.root))
        return outcome

    def _content_store(self, source: str) -> ContentStore | None:
        """The project's copies (kept, with the digests it already read, across syncs)."""
        if self._content_root is None:
            return None
        if source not in self._content:
            slug = hashlib.sha256(source.encode()).hexdigest()[:16]
            self._content[source] = ContentStore(self._content_root / slug)
        return self._content[source]

    def _settling_outcome(
        self,
        source: str,
        path: str,
        digest: str,
        record: SourceRecord | None,
        loaded: Sequence[LoadedManifest],
    ) -> FileOutcome | None:
        """`settling` while content that would remove objects has not read the same for
        `settle_s`; None when it may be applied now."""
        removed = self._removed_by(record, loaded)
        if not removed:
            self._settling.pop(source, None)
            return None
        now = self._clock()
        first = self._settling.get(source)
        if first is None or first[:2] != (path, digest):
            self._settling[source] = (path, digest, now)
            left = self._settle_s
        else:
            left = first[2] + self._settle_s - now
        if left <= 0:
            return None
        message = (
            f"{path} would remove {', '.join(removed)}: applied if it reads the same "
            f"{self._settle_s:g}s after it was first read"
        )
        return FileOutcome(source, "settling", message, retry=True, retry_after_s=left)

    def _removed_by(
        self, record: SourceRecord | None, loaded: Sequence[LoadedManifest]
    ) -> list[str]:
        """The source's live objects (not being deleted) that `loaded` leaves out."""
        if record is None:
            return []
        kept = {str(manifest.key) for manifest in loaded}
        removed = []
        for key in record.objects:
            if key in kept:
                continue
            kind, namespace, name = parse_display(key)
            current = self._store.get(kind, name, namespace)
            if current is not None and not current.deleting:
                removed.append(key)
        return removed

    def _takes_over(self, source: str, loaded: Sequence[LoadedManifest]) -> bool:
        """Whether this apply may take objects over: only when every object owned elsewhere
        belongs to a `dir:` source whose file is gone (the file was moved or renamed)."""
        orphaned = False
        for manifest in loaded:
            current = self._store.get(manifest.kind, manifest.name, manifest.namespace)
            if current is None or current.source == source:
                continue
            owner = current.source
            if not is_dir_source(owner) or self.owner_path(owner) is not None:
                return False  # owned by a live source: let the apply report the conflict
            orphaned = True
        return orphaned

    def _remove(self, source: str, path: str) -> FileOutcome:
        self._seen.pop(source, None)
        self._settling.pop(source, None)
        record = self._store.get_source(source)
        if record is None:
            return FileOutcome(source, "ignored", f"{path} is gone and was never applied")
        try:
            results = self._applier.forget_source(source)
        except StoreError as error:
            log.warning("deleting the objects of %s failed: %s", source, error)
            return FileOutcome(source, "failed", str(error), retry=True)
        if not results and record.path is None:
            # Only implied by objects still being torn down after an earlier deletion.
            return FileOutcome(source, "ignored", f"{path} is gone; its objects are going")
        pruned = ", ".join(f"{result.kind}/{result.name}" for result in results) or "nothing"
        message = f"{path} was removed: deleting {pruned}"
        self._event(source, EventType.NORMAL, Reason.DELETED, message)
        log.info("%s: %s", source, message)
        return FileOutcome(source, "deleted", message)

    def _invalid(
        self, source: str, path: str, issues: Sequence[ManifestIssue], signature: str
    ) -> FileOutcome:
        if signature and self._seen.get(source) == (path, signature):
            return FileOutcome(source, "unchanged")
        message = summarize(issues)
        self._record_error(source, path, message, Reason.INVALID_MANIFEST)
        if signature:
            self._seen[source] = (path, signature)
        return FileOutcome(source, "invalid", message, retry=not signature)

    def _failed(self, source: str, path: str, message: str) -> FileOutcome:
        # Not remembered as seen: a conflict may go away (the other owner lets go), so the
        # next rescan tries again.
        self._record_error(source, path, message, Reason.APPLY_FAILED)
        return FileOutcome(source, "failed", message)

    def _shadowed(self, source: str, path: str, owner: str) -> FileOutcome:
        message = f"{path} is not applied: {owner} already feeds source {source}"
        if self._seen.get("shadow:" + path) != (owner, ""):
            self._event(source, EventType.WARNING, Reason.SHADOWED, message)
            self._seen["shadow:" + path] = (owner, "")
        return FileOutcome(source, "skipped", message)

    def _record_error(self, source: str, path: str, message: str, reason: Reason) -> None:
        log.warning("%s: %s: %s", source, reason, message)
        try:
            record = self._store.upsert_source(source, "dir", path=path, last_error=message)
        except StoreError:
            log.exception("recording the error of %s failed", source)
            return
        kept = (
            f"nothing applied; its {len(record.objects)} objects keep their last good version"
            if record.objects
            else "nothing applied"
        )
        self._event(source, EventType.WARNING, reason, f"{kept}: {message}")

    def _event(self, source: str, type_: EventType, reason: Reason, message: str) -> None:
        try:
            self._store.record_event(EVENT_KIND, source[:EVENT_NAME_LENGTH], type_, reason, message)
        except StoreError:
            log.exception("recording an event of %s failed", source)


def _applied_as_is(record: SourceRecord | None, revision: str, path: str) -> bool:
    """The source was applied at `revision` from `path` and still owns objects. A source
    whose objects were all deleted by hand (`dockform delete`) is applied again, as its file
    still asks for them."""
    return (
        record is not None
        and (record.revision, record.path, record.last_error) == (revision, path, None)
        and bool(record.objects)
    )


def _writable_binds(project: ComposeProject, directory: str) -> tuple[str, ...]:
    """The project's writable hostPath mounts inside its directory: the app's state."""
    found = []
    for item in project.manifests:
        for mount in getattr(item.manifest.spec, "volumes", ()):
            path = mount.host_path
            if path is not None and not mount.read_only and is_inside(path, directory):
                found.append(path)
    return tuple(found)


def _changes(results: Sequence[ObjectResult]) -> str:
    return ", ".join(
        f"{result.kind}/{result.name} {result.action}" for result in results if result.changed
    )

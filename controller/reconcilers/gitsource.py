"""GitSource reconciler: poll a git branch, and apply its manifests at each new commit.

The git work (fetch, export the commit, load its manifests, apply them as source
`git:<name>` with prune) belongs to the sources layer, which the controller may not import:
this module names what it needs as Protocols (`GitSyncer`, `GitSyncResult`) and the daemon
hands in `sources.git.GitSync`, whose names match (structural typing).

Decide (pure, `fetch_wait`): fetch now when the spec changed, when a sync was requested
(`POST /v1/gitsources/{name}/sync` -> `Manager.request_sync`), when this process has not
fetched it yet, or once `interval` has passed since the last fetch; else wait out the rest.
A new commit is applied; the commit already applied for this generation is not.

    fetched and applied, or up to date -> Ready, requeue after interval (polling)
    the commit's manifests are invalid,   -> Failed, Warning event, the last good commit and
    or the apply was refused                  its objects stay; requeue after interval (the
                                              next commit may fix it: not a retry)
    fetch or export failed                -> TransientError: retried with backoff
    bad url, no such branch               -> Failed, requeue after interval
    suspend: true                         -> Suspended, no fetch
    deleted                               -> its objects are deleted unless spec.prune is false

Observed status: url, branch, path, commit, commitTime, objects, appliedGeneration,
fetchedAt, and failedCommit while the branch tip cannot be applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from dockform.controller.reconcilers.base import (
    DeleteOutcome,
    EventNote,
    Outcome,
    ReconcileContext,
    TerminalError,
    TransientError,
)
from dockform.controller.status import make_status
from dockform.manifests.models import GitSourceSpec
from dockform.manifests.units import parse_duration
from dockform.store.types import Resource, ResourceStatus

KIND = "GitSource"
MIN_INTERVAL_S = 1.0


class GitSyncResult(Protocol):
    """What a sync found and did (see `sources.git.GitSyncResult`)."""

    @property
    def commit(self) -> str | None: ...  # the branch tip fetched; None when the fetch failed

    @property
    def commit_time(self) -> str | None: ...

    @property
    def applied(self) -> bool: ...  # applied now (False: it was already applied, or failed)

    @property
    def objects(self) -> Sequence[str]: ...  # "Kind/name" of the applied commit

    @property
    def changes(self) -> Sequence[str]: ...  # "Kind/name created|configured|pruned"

    @property
    def error(self) -> str | None: ...

    @property
    def reason(self) -> str: ...  # CamelCase, for status and events

    @property
    def transient(self) -> bool: ...  # the error may pass by itself: retry with backoff


class GitSyncer(Protocol):
    def sync(self, name: str, spec: GitSourceSpec, applied_commit: str | None) -> GitSyncResult:
        """Fetch `spec.branch`; apply its tip unless it is `applied_commit`."""
        ...

    def forget(self, name: str, prune: bool) -> Sequence[str]:
        """The GitSource is gone: delete its objects (with `prune`); those deleted."""
        ...


@dataclass(frozen=True)
class LastFetch:
    at: float  # monotonic seconds
    generation: int


def fetch_wait(
    last: LastFetch | None, generation: int, interval_s: float, requested: bool, now: float
) -> float:
    """Seconds until the next fetch is due; 0 means fetch now."""
    if requested or last is None or last.generation != generation:
        return 0.0
    return max(last.at + interval_s - now, 0.0)


class GitSourceReconciler:
    kind = KIND

    def __init__(
        self,
        context: ReconcileContext,
        syncer: GitSyncer,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._nudges = context.nudges
        self._syncer = syncer
        self._clock = clock
        # Kept in memory on purpose: a restarted daemon fetches every GitSource once.
        self._last: dict[str, LastFetch] = {}

    def reconcile(self, resource: Resource) -> Outcome:
        spec = GitSourceSpec.model_validate(resource.spec)
        try:
            interval_s = max(parse_duration(spec.interval), MIN_INTERVAL_S)
        except ValueError as error:
            raise TerminalError(f"GitSource/{resource.name}: {error}", "InvalidSpec") from error
        requested = self._nudges.take((KIND, resource.name))
        if spec.suspend:
            self._last.pop(resource.name, None)
            return Outcome(status=_suspended(resource, spec))
        wait = fetch_wait(
            self._last.get(resource.name),
            resource.generation,
            interval_s,
            requested,
            self._clock(),
        )
        if wait > 0:
            return Outcome(status=resource.status, requeue_after=wait)
        previous = resource.status.observed
        applied_commit = (
            previous.get("commit")
            if previous.get("appliedGeneration") == resource.generation
            else None
        )
        result = self._syncer.sync(resource.name, spec, applied_commit)
        if result.transient:
            raise TransientError(
                f"GitSource/{resource.name}: {result.error}", reason=result.reason or "SyncFailed"
            )
        self._last[resource.name] = LastFetch(self._clock(), resource.generation)
        if result.error:
            return _failed(resource, spec, result, interval_s)
        return _synced(resource, spec, result, interval_s)

    def delete(self, resource: Resource) -> DeleteOutcome:
        spec = GitSourceSpec.model_validate(resource.spec)
        self._last.pop(resource.name, None)
        try:
            deleted = self._syncer.forget(resource.name, spec.prune)
        except Exception as error:  # the store refusing or busy: try the deletion again
            raise TransientError(
                f"deleting the objects of GitSource/{resource.name}: {error}", reason="PruneFailed"
            ) from error
        if not spec.prune:
            message = f"its objects are kept (prune: false), still owned by git:{resource.name}"
        elif deleted:
            message = f"deleting its objects: {', '.join(deleted)}"
        else:
            message = "it had no objects"
        return DeleteOutcome(done=True, events=(EventNote("Normal", "Pruned", message),))

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        return ()  # a GitSource owns no Docker objects; its objects are resources of their own


def _base_observed(spec: GitSourceSpec, previous: dict[str, Any]) -> dict[str, Any]:
    observed = dict(previous)
    observed.update(url=spec.url, branch=spec.branch, path=spec.path)
    observed["fetchedAt"] = datetime.now(UTC).isoformat()
    return observed


def _synced(
    resource: Resource, spec: GitSourceSpec, result: GitSyncResult, interval_s: float
) -> Outcome:
    observed = _base_observed(spec, resource.status.observed)
    observed.pop("failedCommit", None)
    observed.update(commit=result.commit, commitTime=result.commit_time)
    if result.applied:
        observed.update(objects=list(result.objects), appliedGeneration=resource.generation)
    commit = str(result.commit)[:12]
    count = len(observed.get("objects", []))
    status = make_status(
        resource,
        phase="Ready",
        ready=True,
        reason="Synced",
        message=f"commit {commit} of {spec.branch} is applied ({count} objects)",
        observed=observed,
    )
    events: tuple[EventNote, ...] = ()
    if result.applied:
        changes = ", ".join(result.changes) or "no changes"
        message = f"applied commit {commit} ({result.commit_time}): {changes}"
        events = (EventNote("Normal", "Synced", message),)
    return Outcome(status=status, events=events, requeue_after=interval_s)


def _failed(
    resource: Resource, spec: GitSourceSpec, result: GitSyncResult, interval_s: float
) -> Outcome:
    observed = _base_observed(spec, resource.status.observed)
    if result.commit:
        observed["failedCommit"] = result.commit
    else:
        observed.pop("failedCommit", None)  # nothing fetched: no commit to blame
    error = str(result.error)
    kept = observed.get("commit")
    keeping = f"; commit {str(kept)[:12]} stays applied" if kept else "; nothing is applied"
    status = make_status(
        resource,
        phase="Failed",
        ready=False,
        reason=result.reason or "SyncFailed",
        message=error + keeping,
        degraded=True,
        observed=observed,
        last_error=error,
    )
    note = EventNote("Warning", result.reason or "SyncFailed", error + keeping)
    return Outcome(status=status, events=(note,), requeue_after=interval_s)


def _suspended(resource: Resource, spec: GitSourceSpec) -> ResourceStatus:
    observed = dict(resource.status.observed)
    observed.update(url=spec.url, branch=spec.branch, path=spec.path)
    kept = observed.get("commit")
    message = "suspended: no fetch" + (f"; commit {str(kept)[:12]} stays applied" if kept else "")
    return make_status(
        resource,
        phase="Suspended",
        ready=True,
        reason="Suspended",
        message=message,
        observed=observed,
    )

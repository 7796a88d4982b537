"""GitSource reconciler: poll a git branch, and apply its manifests at each new commit.

The git work (fetch, export the commit, load its manifests, apply them as source
`git:<name>` with prune) belongs to the sources layer, which the controller may not import:
`controller.git` names what it needs as Protocols, the daemon hands in `sources.git.GitSync`,
and the executor runs the `SyncGitSource` / `ForgetGitSource` actions through it.

Decide (pure, `fetch_wait` and `plan`): fetch now when the spec changed, when a sync was
requested (`POST /v1/gitsources/{name}/sync` -> `Manager.request_sync`, a nudge), when this
process has not fetched it yet, or once `interval` has passed since the last fetch; else wait
out the rest.
A new commit is applied; the commit already applied for this generation is not.

    fetched and applied, or up to date -> Ready, requeue after interval (polling)
    the commit's manifests are invalid,   -> Failed, Warning event, the last good commit and
    or the apply was refused                  its objects stay; requeue after interval (the
                                              next commit may fix it: not a retry)
    fetch or export failed                -> TransientError: retried with backoff
    bad url, no such branch               -> Failed, requeue after interval
    suspend: true                         -> Suspended, no fetch
    deleted                               -> its objects are deleted unless spec.prune is false

Observed status (`GitSourceObserved`): url, branch, path, commit, commitTime, objects,
appliedGeneration, fetchedAt, and failedCommit while the branch tip cannot be applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dockform.controller.actions import ForgetGitSource, Plan, SyncGitSource
from dockform.controller.context import ReconcileContext
from dockform.controller.errors import TerminalError, TransientError
from dockform.controller.git import GitSyncResult
from dockform.controller.host_access import require_host_access
from dockform.controller.nudges import Nudges
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.registry import KindRegistration
from dockform.controller.status import make_status, observed_as
from dockform.manifests.kinds import Kind
from dockform.manifests.models import GitSourceSpec
from dockform.manifests.namespaces import qualified_name
from dockform.manifests.policy import gitsource_host_paths
from dockform.manifests.status import EventType, GitSourceObserved, Phase, Reason
from dockform.manifests.units import parse_duration
from dockform.settings import KindLimits
from dockform.store.types import Resource, ResourceStatus

KIND = Kind.GIT_SOURCE
MIN_INTERVAL_S = 1.0


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


def plan(name: str, spec: GitSourceSpec, applied_commit: str | None, wait_s: float) -> Plan:
    """Fetch (and apply a new commit) once the fetch is due; else nothing."""
    if wait_s > 0:
        return Plan()
    return Plan(
        actions=(
            SyncGitSource(cause="fetch due", name=name, spec=spec, applied_commit=applied_commit),
        )
    )


class GitSourceReconciler:
    def __init__(
        self, context: ReconcileContext, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._executor = context.executor
        self._host_access = context.host_access
        self._nudges: Nudges = context.nudges
        self._clock = clock
        # Kept in memory on purpose: a restarted daemon fetches every GitSource once.
        self._last: dict[str, LastFetch] = {}

    def reconcile(self, resource: Resource) -> Outcome:
        spec = GitSourceSpec.model_validate(resource.spec)
        try:
            interval_s = max(parse_duration(spec.interval), MIN_INTERVAL_S)
        except ValueError as error:
            raise TerminalError(
                f"GitSource/{resource.name}: {error}", reason=Reason.INVALID_SPEC
            ) from error
        requested = self._nudges.take(resource.key)
        qualified = qualified_name(resource.namespace, resource.name)
        if spec.suspend:
            self._last.pop(qualified, None)
            return Outcome(status=_suspended(resource, spec))
        wait = fetch_wait(
            self._last.get(qualified),
            resource.generation,
            interval_s,
            requested,
            self._clock(),
        )
        previous = observed_as(resource, GitSourceObserved)
        applied_commit = (
            previous.commit if previous.applied_generation == resource.generation else None
        )
        sync_plan = plan(qualified, spec, applied_commit, wait)
        if sync_plan.empty:
            return Outcome(status=resource.status, requeue_after=wait)
        require_host_access(
            self._host_access, f"{KIND}/{resource.name}", gitsource_host_paths(spec)
        )
        executed = self._executor.execute(sync_plan, resource.key)
        result: GitSyncResult = executed.output_of(SyncGitSource)
        if result.transient:
            raise TransientError(
                f"GitSource/{resource.name}: {result.error}",
                reason=_reason(result.reason, Reason.SYNC_FAILED),
            )
        self._last[qualified] = LastFetch(self._clock(), resource.generation)
        if result.error:
            return _failed(resource, spec, result, interval_s)
        return _synced(resource, spec, result, interval_s, tuple(executed.events))

    def delete(self, resource: Resource) -> DeleteOutcome:
        spec = GitSourceSpec.model_validate(resource.spec)
        qualified = qualified_name(resource.namespace, resource.name)
        self._last.pop(qualified, None)
        forget = Plan(actions=(ForgetGitSource(cause="deleted", name=qualified, prune=spec.prune),))
        executed = self._executor.execute(forget, resource.key)
        return DeleteOutcome(done=True, events=tuple(executed.events))

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        return ()  # a GitSource owns no Docker objects; its objects are resources of their own


def _reason(text: str, default: Reason) -> Reason:
    try:
        return Reason(text)
    except ValueError:
        return default


def _base_observed(spec: GitSourceSpec, resource: Resource) -> GitSourceObserved:
    return observed_as(resource, GitSourceObserved).model_copy(
        update={
            "url": spec.url,
            "branch": spec.branch,
            "path": spec.path,
            "fetched_at": datetime.now(UTC).isoformat(),
        }
    )


def _synced(
    resource: Resource,
    spec: GitSourceSpec,
    result: GitSyncResult,
    interval_s: float,
    events: tuple[EventNote, ...],
) -> Outcome:
    update: dict[str, object] = {
        "failed_commit": None,
        "commit": result.commit,
        "commit_time": result.commit_time,
    }
    if result.applied:
        update.update(objects=list(result.objects), applied_generation=resource.generation)
    observed = _base_observed(spec, resource).model_copy(update=update)
    commit = str(result.commit)[:12]
    count = len(observed.objects or [])
    status = make_status(
        resource,
        phase=Phase.READY,
        ready=True,
        reason=Reason.SYNCED,
        message=f"commit {commit} of {spec.branch} is applied ({count} objects)",
        observed=observed,
    )
    return Outcome(status=status, events=events, requeue_after=interval_s)


def _failed(
    resource: Resource, spec: GitSourceSpec, result: GitSyncResult, interval_s: float
) -> Outcome:
    # Nothing fetched: no commit to blame.
    observed = _base_observed(spec, resource).model_copy(
        update={"failed_commit": result.commit or None}
    )
    error = str(result.error)
    kept = observed.commit
    keeping = f"; commit {str(kept)[:12]} stays applied" if kept else "; nothing is applied"
    reason = _reason(result.reason, Reason.SYNC_FAILED)
    status = make_status(
        resource,
        phase=Phase.FAILED,
        ready=False,
        reason=reason,
        message=error + keeping,
        degraded=True,
        observed=observed,
        last_error=error,
    )
    note = EventNote(EventType.WARNING, reason, error + keeping)
    return Outcome(status=status, events=(note,), requeue_after=interval_s)


def _suspended(resource: Resource, spec: GitSourceSpec) -> ResourceStatus:
    observed = observed_as(resource, GitSourceObserved).model_copy(
        update={"url": spec.url, "branch": spec.branch, "path": spec.path}
    )
    kept = observed.commit
    message = "suspended: no fetch" + (f"; commit {str(kept)[:12]} stays applied" if kept else "")
    return make_status(
        resource,
        phase=Phase.SUSPENDED,
        ready=True,
        reason=Reason.SUSPENDED,
        message=message,
        observed=observed,
    )


REGISTRATION = KindRegistration(
    kind=KIND,
    spec_model=GitSourceSpec,
    observed_model=GitSourceObserved,
    reconciler=GitSourceReconciler,
    # A fetch may take minutes (its own timeouts bound it): never on the workers of others.
    limits=KindLimits(workers=2, timeout_s=600.0),
    needs_engine=False,
)

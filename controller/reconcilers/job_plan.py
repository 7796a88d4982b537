"""Job planning, pure: decide `plan(desired, observed) -> JobPlan` for a container run to
completion once per generation. No I/O here; `job.py` observes and executes.

What runs is identified by its run hash: the Job's spec hash (which leaves out dependsOn,
backoffLimit and ttlAfterFinished) combined with the resolved image id, stamped on the
container as its spec-hash label. Two records say what already ran: the container itself
while it exists (its hash, its attempt number, its exit code), and the Job's status
(`JobObserved`: the run hash, attempts and, once finished, the result), which outlives the
container. A run hash recorded with a result never runs again, so neither a daemon restart
nor a resync nor `ttlAfterFinished` re-runs a Job; a new run hash (spec or image changed)
does. A finished run is recorded in the pass that sees it finish and the container is removed
(ttl) only in a later pass, so a crash between the two never loses the record.

An attempt that exits non-zero is retried after `backoff.delay(attempt - 1)` (10 s, 20 s,
40 s ... 6 min by default) until `backoffLimit` retries are spent: then the Job is Failed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from dockform.controller.actions import (
    Action,
    CreateContainer,
    Plan,
    RemoveContainer,
    StartContainer,
    StopContainer,
)
from dockform.controller.reconcilers.container_plan import (
    container_hash,
    create_request,
    in_namespace,
)
from dockform.controller.reconcilers.container_plan import garbage_plan as container_garbage_plan
from dockform.controller.reconcilers.provenance import made_for, with_provenance
from dockform.manifests.kinds import Kind
from dockform.manifests.models import JobSpec
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, engine_name
from dockform.manifests.status import JobObserved, Reason
from dockform.manifests.units import parse_duration
from dockform.runtime.types import (
    HASH_LABEL,
    ContainerCreate,
    ContainerInfo,
    ContainerSummary,
    managed_labels,
    owned_by,
)
from dockform.settings import Backoff

KIND = Kind.JOB
ATTEMPT_LABEL = "io.dockform.job-attempt"
# Engine states in which an attempt is still under way.
_UNDER_WAY = frozenset({"running", "restarting", "paused", "removing"})
SUCCEEDED = "Succeeded"
FAILED = "Failed"


class Verdict(StrEnum):
    """Where the Job stands after the plan: its status follows from this."""

    CONFLICT = "NameConflict"
    WAITING = "Waiting"
    RUNNING = "Running"
    BACK_OFF = "BackOff"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


@dataclass(frozen=True)
class JobDesired:
    name: str
    spec: JobSpec
    spec_hash: str
    generation: int
    backoff: Backoff
    namespace: str = DEFAULT_NAMESPACE

    @property
    def engine_name(self) -> str:
        """The Docker name of the Job's container: `{namespace}_{name}` outside `default`."""
        return engine_name(self.namespace, self.name)


@dataclass(frozen=True)
class JobSnapshot:
    """One snapshot: the containers labelled as this Job's, whoever holds its name, what it
    needs (resolved image, unmet dependencies), the record its status keeps, and now."""

    labelled: tuple[ContainerSummary, ...]
    name_holder: ContainerInfo | None
    image_id: str | None
    image_ref: str
    record: JobObserved
    now: datetime
    waiting: tuple[str, ...] = ()
    volume_names: tuple[tuple[str, str], ...] = ()
    # Network name -> engine network, for those that differ (outside `default`).
    network_names: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class JobPlan:
    """The plan, and the run it leaves: its verdict, hash, attempt (1-based) and, for a
    finished attempt, its exit code; `finished_now` when this pass is the first to see the
    attempt finish (it records the result and its output, and says so in an event)."""

    plan: Plan
    verdict: Verdict
    run_hash: str | None = None
    attempt: int = 0
    exit_code: int | None = None
    finished_now: bool = False
    # Seconds until the next attempt (BackOff) or the ttl removal (finished), when one is due.
    retry_in_s: float | None = None
    # The spec hash the run is of (so that a Job waiting for its inputs knows whether the
    # result it recorded is still for its spec).
    run_spec_hash: str | None = None

    def __str__(self) -> str:
        facts = f"verdict: {self.verdict}, attempt {self.attempt}"
        if self.exit_code is not None:
            facts += f", exit code {self.exit_code}"
        if self.finished_now:
            facts += ", finished now"
        return f"{self.plan}\n{facts}"


def owns(
    info: ContainerInfo | ContainerSummary, name: str, namespace: str = DEFAULT_NAMESPACE
) -> bool:
    return owned_by(info.labels, KIND, name, namespace)


def job_create_request(
    desired: JobDesired,
    image_ref: str,
    run_hash: str,
    volume_names: dict[str, str],
    attempt: int,
    network_names: dict[str, str] | None = None,
) -> ContainerCreate:
    """A Container's request for the Job's spec (networks by engine name, its namespace's
    implicit one added; named `{namespace}_{name}` outside `default`, its short name an alias),
    labelled as the Job's of its namespace, with its attempt."""
    spec = in_namespace(desired.spec, desired.namespace, network_names or {})
    request = create_request(
        desired.name, spec, image_ref, run_hash, volume_names, desired.namespace
    )
    labels = {
        **desired.spec.labels,
        **managed_labels(KIND, desired.name, run_hash, desired.namespace),
        ATTEMPT_LABEL: str(attempt),
    }
    return dataclasses.replace(request, labels=labels, restart_policy="no")


def attempt_of(info: ContainerInfo) -> int:
    try:
        return max(int(info.labels.get(ATTEMPT_LABEL, "1")), 1)
    except ValueError:
        return 1


def seconds_between(earlier: str | None, now: datetime) -> float | None:
    """Seconds from the RFC 3339 `earlier` (the engine's or ours) to `now`; None if unset."""
    if not earlier or earlier.startswith("0001-"):
        return None
    try:
        moment = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((now - moment).total_seconds(), 0.0)


def plan(desired: JobDesired, observed: JobSnapshot) -> JobPlan:
    decided = _plan(desired, observed)
    current = decided.run_hash is not None and decided.run_hash == _want(desired, observed)
    spec_hash = desired.spec_hash if current else observed.record.run_spec_hash
    return dataclasses.replace(decided, run_spec_hash=spec_hash)


def _want(desired: JobDesired, observed: JobSnapshot) -> str | None:
    """The run hash of what should run now; None while its inputs are not ready."""
    if observed.waiting or observed.image_id is None:
        return None
    return container_hash(desired.spec_hash, observed.image_id)


def _plan(desired: JobDesired, observed: JobSnapshot) -> JobPlan:
    name = desired.engine_name
    holder = observed.name_holder
    record = observed.record
    if holder is not None and not owns(holder, desired.name, desired.namespace):
        return JobPlan(
            Plan(
                blocked_reason=Reason.NAME_CONFLICT,
                blocked_message=(
                    f"the Docker name {name!r} is taken by container {holder.id[:12]}, which "
                    "dockform does not manage as this Job; remove or rename it (docker rm), or "
                    "rename this Job"
                ),
            ),
            Verdict.CONFLICT,
        )
    strays = tuple(
        RemoveContainer(cause="stray copy of this job's container", container=info.id)
        for info in sorted(observed.labelled, key=lambda info: info.id)
        if info.name != name
    )
    want = _want(desired, observed)
    # 1. This run finished already (or, while its inputs are not ready, the last run of this
    # spec did: an image being rebuilt keeps the last result until the new one is there).
    same_spec = record.run_spec_hash in (None, desired.spec_hash)
    if (
        record.result
        and record.run_hash
        and (want == record.run_hash or (want is None and same_spec))
    ):
        return _finished(desired, observed, strays)
    # 2. An attempt of this run (or, while waiting, one under way of this spec's recorded
    # run) has its container.
    run_hash = want or record.run_hash
    followed = want is not None or (not record.result and same_spec)
    if followed and holder is not None and run_hash and holder.labels.get(HASH_LABEL) == run_hash:
        return _follow(desired, observed, holder, run_hash, strays)
    # 3. Nothing can start yet.
    if want is None:
        reason = "; ".join(observed.waiting) or f"image {observed.image_ref} is not present"
        return JobPlan(
            Plan(actions=strays, blocked_reason=Reason.WAITING, blocked_message=reason),
            Verdict.WAITING,
        )
    # 4. A new run, or the next attempt of one whose container went away mid-attempt.
    attempt = 1
    if record.run_hash == want and not record.result:
        attempt = (record.attempts or 0) + 1
    if attempt > desired.spec.backoff_limit + 1:
        return JobPlan(
            Plan(actions=strays),
            Verdict.FAILED,
            run_hash=want,
            attempt=attempt - 1,
            exit_code=record.exit_code,
            finished_now=True,
        )
    total = desired.spec.backoff_limit + 1
    cause = "new run" if attempt == 1 else f"attempt {attempt} of {total}, its container was gone"
    removal_cause = "spec or image changed" if record.run_hash else "not this run's container"
    return JobPlan(
        Plan(
            actions=(
                *strays,
                *_replace(desired, holder, removal_cause),
                *_create(desired, observed, want, attempt, cause),
            )
        ),
        Verdict.RUNNING,
        run_hash=want,
        attempt=attempt,
    )


def _finished(desired: JobDesired, observed: JobSnapshot, strays: tuple[Action, ...]) -> JobPlan:
    """A finished run: nothing runs again. Its container goes once ttlAfterFinished passed."""
    record = observed.record
    holder = observed.name_holder
    verdict = Verdict.SUCCEEDED if record.result == SUCCEEDED else Verdict.FAILED
    done = JobPlan(
        Plan(actions=strays),
        verdict,
        run_hash=record.run_hash,
        attempt=record.attempts or 0,
        exit_code=record.exit_code,
    )
    ttl = desired.spec.ttl_after_finished
    if holder is None or ttl is None:
        return done
    if holder.labels.get(HASH_LABEL) != record.run_hash:
        # A copy of an older run (a crash mid-replace): it has no use.
        removal = RemoveContainer(cause="container of an earlier run", container=holder.id)
        return dataclasses.replace(done, plan=Plan(actions=(*strays, removal)))
    ttl_s = parse_duration(ttl)
    since = seconds_between(record.finished_at, observed.now)
    if since is not None and since < ttl_s:
        return dataclasses.replace(done, retry_in_s=ttl_s - since)
    removal = RemoveContainer(cause=f"ttlAfterFinished {ttl} passed", container=holder.id)
    return dataclasses.replace(done, plan=Plan(actions=(*strays, removal)))


def _follow(
    desired: JobDesired,
    observed: JobSnapshot,
    holder: ContainerInfo,
    run_hash: str,
    strays: tuple[Action, ...],
) -> JobPlan:
    """An attempt with a container: under way, finished, or due for its next attempt."""
    attempt = attempt_of(holder)
    record = observed.record
    running = JobPlan(Plan(actions=strays), Verdict.RUNNING, run_hash=run_hash, attempt=attempt)
    if holder.state in _UNDER_WAY:
        return running
    if holder.state == "created" and not holder.error:
        start = StartContainer(cause="created but not started", container=holder.id)
        return dataclasses.replace(running, plan=Plan(actions=(*strays, start)))
    # Exited, dead, or never started (the engine refused: no such executable, say).
    exit_code = holder.exit_code if holder.exit_code is not None else -1
    # Whether the record has this attempt's end yet (each attempt has its own container).
    first_look = not (
        record.container_id == holder.id
        and record.finished_at is not None
        and record.finished_at == holder.finished_at
    )
    if exit_code == 0 and holder.state == "exited":
        return JobPlan(
            Plan(actions=strays),
            Verdict.SUCCEEDED,
            run_hash=run_hash,
            attempt=attempt,
            exit_code=0,
            finished_now=first_look or record.result != SUCCEEDED,
        )
    if attempt > desired.spec.backoff_limit:
        return JobPlan(
            Plan(actions=strays),
            Verdict.FAILED,
            run_hash=run_hash,
            attempt=attempt,
            exit_code=exit_code,
            finished_now=first_look or record.result != FAILED,
        )
    delay = desired.backoff.delay(attempt - 1)
    since = seconds_between(holder.finished_at, observed.now)
    if since is None and not first_look:
        since = seconds_between(record.finished_at, observed.now)
    if since is None or since < delay:
        left = delay if since is None else delay - since
        return JobPlan(
            Plan(actions=strays, requeue_after=left),
            Verdict.BACK_OFF,
            run_hash=run_hash,
            attempt=attempt,
            exit_code=exit_code,
            finished_now=first_look,
            retry_in_s=left,
        )
    cause = f"attempt {attempt} exited with code {exit_code}"
    actions = (
        *strays,
        RemoveContainer(cause=cause, container=holder.id),
        *_create(
            desired,
            observed,
            run_hash,
            attempt + 1,
            f"attempt {attempt + 1} of {desired.spec.backoff_limit + 1}",
            replacing=True,
        ),
    )
    return JobPlan(
        Plan(actions=actions),
        Verdict.RUNNING,
        run_hash=run_hash,
        attempt=attempt + 1,
        exit_code=exit_code,
        finished_now=first_look,
    )


def _replace(desired: JobDesired, holder: ContainerInfo | None, cause: str) -> tuple[Action, ...]:
    if holder is None:
        return ()
    stop: tuple[Action, ...] = ()
    if holder.state == "running":
        grace = int(parse_duration(desired.spec.stop_grace_period))
        stop = (StopContainer(cause=cause, container=holder.id, timeout_s=grace),)
    return (*stop, RemoveContainer(cause=cause, container=holder.id))


def _create(
    desired: JobDesired,
    observed: JobSnapshot,
    run_hash: str,
    attempt: int,
    cause: str,
    *,
    replacing: bool = False,
) -> tuple[Action, ...]:
    request = job_create_request(
        desired,
        observed.image_ref,
        run_hash,
        dict(observed.volume_names),
        attempt,
        dict(observed.network_names),
    )
    made = made_for(desired.generation, observed.image_id, (), ())
    previous = observed.name_holder.labels if observed.name_holder is not None else None
    request = with_provenance(request, made, cause, previous)
    return (
        CreateContainer(cause=cause, request=request, replacing=replacing),
        StartContainer(cause="created", container=desired.engine_name),
    )


def garbage_plan(managed: Sequence[ContainerSummary], owned: set[tuple[str, str]]) -> Plan:
    """Job containers that no Job owns (by namespace, name and labels)."""
    return container_garbage_plan(managed, owned, KIND)

"""Job reconciler: a container run to completion once per generation.

Observe one snapshot (the Job's container, its image and dependencies as a Container's, the
record its status keeps, and the last lines of output of an attempt that just finished),
plan (`job_plan.plan`, pure), execute with the shared executor, report. A Job's spec is a
Container's, so it waits for the same things (image, networks, volumes, dependsOn) and the
same host-access re-check applies before its container is created or started.

Status: phase Pending (waiting), Running (an attempt under way, or BackOff before the next),
Succeeded (exit code 0; Ready) or Failed (the last of 1 + backoffLimit attempts exited
non-zero), with `JobObserved`: exit code, attempts, start and finish times, output tail and
the record of what ran (see `job_plan`). Containers wait for a Job with `dependsOn: [{name,
kind: Job, condition: Completed}]`: its recorded success, which outlives its container.

Namespaces as a Container's: the Job's container is `{namespace}_{name}` outside `default`,
labelled with its namespace, on the namespace's networks (the implicit `default` when it
names none) with its short name as alias; everything it needs resolves in its namespace.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from dockform.controller.actions import CreateContainer, StartContainer
from dockform.controller.context import ReconcileContext
from dockform.controller.errors import TransientError
from dockform.controller.event_mappers import labelled_objects, named_objects
from dockform.controller.facade import NoLogs
from dockform.controller.host_access import require_host_access
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.reconcilers.container import ContainerReconciler, requires
from dockform.controller.reconcilers.container_plan import delete_plan
from dockform.controller.reconcilers.job_plan import (
    FAILED,
    KIND,
    SUCCEEDED,
    JobDesired,
    JobPlan,
    JobSnapshot,
    Verdict,
    garbage_plan,
    owns,
    plan,
)
from dockform.controller.registry import KindRegistration
from dockform.controller.status import make_status, observed_as
from dockform.manifests.models import JobSpec
from dockform.manifests.policy import container_host_paths, container_powers
from dockform.manifests.status import EventType, JobObserved, Phase, Reason
from dockform.manifests.units import parse_duration
from dockform.runtime.errors import ObjectNotFound, RuntimeFailure
from dockform.runtime.interface import Runtime
from dockform.runtime.types import (
    KIND_LABEL,
    MANAGED_LABEL,
    NAME_LABEL,
    ContainerInfo,
    ContainerSummary,
    label_namespace,
)
from dockform.settings import KindLimits
from dockform.store.types import Resource, ResourceStatus

OUTPUT_LINES = 20  # kept in status.observed.outputTail
EVENT_LINES = 5  # of them, in the event that says how an attempt ended
_CONTAINER_ACTIONS = frozenset({"create", "start", "die", "destroy", "stop", "kill", "oom"})


class JobReconciler(ContainerReconciler):
    """Reuses the Container reconciler's observation of what a container needs (image,
    networks, volumes, dependsOn): a Job's spec is a Container's."""

    def __init__(self, context: ReconcileContext) -> None:
        super().__init__(context)
        self._job_retry = context.settings.job_retry

    # --- observe

    def _labelled_job(self, resource: Resource) -> list[ContainerSummary]:
        """Containers labelled as this Job's (of its namespace only: another namespace's Job
        of the same name carries the same name label)."""
        found = self._runtime.list_containers({KIND_LABEL: KIND, NAME_LABEL: resource.name})
        return [info for info in found if label_namespace(info.labels) == resource.namespace]

    def observe_job(self, resource: Resource, spec: JobSpec) -> JobSnapshot:
        image_id, image_ref, waiting, volume_names, network_names = self._dependency_state(
            resource, spec
        )
        return JobSnapshot(
            labelled=tuple(self._labelled_job(resource)),
            name_holder=self._runtime.inspect_container(resource.engine_name),
            image_id=image_id,
            image_ref=image_ref,
            record=observed_as(resource, JobObserved),
            now=datetime.now(UTC),
            waiting=tuple(waiting),
            volume_names=tuple(sorted(volume_names.items())),
            network_names=tuple(sorted(network_names.items())),
        )

    def _output_tail(self, holder: ContainerInfo | None) -> list[str] | None:
        """The last lines a finished container wrote; None when there is nothing to read."""
        if holder is None:
            return None
        try:
            chunks = self._runtime.container_logs(holder.id, OUTPUT_LINES, False)
            text = b"".join(chunks).decode("utf-8", errors="replace")
        except RuntimeFailure:
            return None
        return [line.rstrip("\r") for line in text.splitlines()][-OUTPUT_LINES:]

    # --- reconcile

    def reconcile(self, resource: Resource) -> Outcome:
        spec = JobSpec.model_validate(resource.spec)
        observed = self.observe_job(resource, spec)
        desired = JobDesired(
            resource.name,
            spec,
            resource.spec_hash,
            resource.generation,
            self._job_retry,
            resource.namespace,
        )
        job_plan = plan(desired, observed)
        # The output of an attempt that just finished, read before its container may go.
        tail = self._output_tail(observed.name_holder) if job_plan.finished_now else None
        if any(
            isinstance(action, (CreateContainer, StartContainer))
            for action in job_plan.plan.actions
        ):
            require_host_access(
                self._host_access,
                str(resource.key),
                container_host_paths(spec),
                container_powers(spec),
            )
        executed = self._executor.execute(job_plan.plan, resource.key)
        current = observed.name_holder
        if not job_plan.plan.empty:
            current = self._runtime.inspect_container(resource.engine_name)
        if current is not None and not owns(current, resource.name, resource.namespace):
            current = None
        facts = _facts(resource, observed, job_plan, current, tail)
        events = [*executed.events, *_attempt_events(spec, job_plan, facts)]
        return Outcome(
            status=_status(resource, spec, job_plan, facts),
            events=tuple(events),
            requeue_after=job_plan.retry_in_s
            if job_plan.retry_in_s is not None
            else job_plan.plan.requeue_after,
        )

    # --- delete and garbage collection

    def delete(self, resource: Resource) -> DeleteOutcome:
        spec = JobSpec.model_validate(resource.spec)
        grace = int(parse_duration(spec.stop_grace_period))
        labelled = self._labelled_job(resource)
        executed = self._executor.execute(delete_plan(labelled, grace), resource.key)
        return DeleteOutcome(done=True, events=tuple(executed.events))

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        managed = self._runtime.list_containers({MANAGED_LABEL: "true", KIND_LABEL: KIND})
        garbage = garbage_plan(managed, {(resource.namespace, resource.name) for resource in owned})
        return self._executor.collect_garbage(garbage, KIND)


def _facts(
    resource: Resource,
    observed: JobSnapshot,
    job_plan: JobPlan,
    current: ContainerInfo | None,
    tail: list[str] | None,
) -> JobObserved:
    record = observed.record
    if job_plan.verdict in (Verdict.CONFLICT, Verdict.WAITING) and not record.run_hash:
        return JobObserved()
    finished = job_plan.verdict in (Verdict.SUCCEEDED, Verdict.FAILED)
    result = {Verdict.SUCCEEDED: SUCCEEDED, Verdict.FAILED: FAILED}.get(job_plan.verdict)
    if job_plan.verdict is Verdict.WAITING:
        result = record.result  # a run waiting for inputs keeps the last one's record
    holder = observed.name_holder
    same_run = record.run_hash == job_plan.run_hash
    facts = record.model_copy(
        update={
            "run_hash": job_plan.run_hash or record.run_hash,
            "run_spec_hash": job_plan.run_spec_hash or record.run_spec_hash,
            "attempts": job_plan.attempt or record.attempts,
            "result": result,
        }
    )
    if job_plan.finished_now and holder is not None:
        # The attempt just seen to finish: its times, exit code and output.
        facts = facts.model_copy(
            update={
                "exit_code": job_plan.exit_code,
                "started_at": holder.started_at,
                "finished_at": holder.finished_at,
                "output_tail": tail if tail is not None else record.output_tail,
            }
        )
    elif job_plan.finished_now:
        facts = facts.model_copy(update={"exit_code": job_plan.exit_code})
    if finished and (job_plan.finished_now or not same_run or record.completed_generation is None):
        facts = facts.model_copy(
            update={
                "completed_generation": resource.generation,
                "completed_image_id": holder.image_id if holder is not None else observed.image_id,
            }
        )
    if not finished and not same_run and job_plan.verdict is not Verdict.WAITING:
        # A new run: the last one's record no longer describes what runs. (A Job waiting for
        # its inputs keeps it: the spec may come back to what that run ran.)
        facts = facts.model_copy(
            update={
                "exit_code": None,
                "finished_at": None,
                "output_tail": None,
                "completed_generation": None,
                "completed_image_id": None,
                "container_removed": None,
            }
        )
    if current is None:
        return facts.model_copy(
            update={
                "container_id": None,
                "state": None,
                "container_removed": True
                if finished and (record.container_id or record.container_removed)
                else None,
            }
        )
    started = current.started_at if current.state in ("running", "paused") else None
    return facts.model_copy(
        update={
            "container_id": current.id,
            "state": current.state,
            "image_id": current.image_id,
            "started_at": started or facts.started_at,
            "container_removed": None,
        }
    )


def _output_note(facts: JobObserved) -> str:
    lines = (facts.output_tail or [])[-EVENT_LINES:]
    if not lines:
        return "; no output"
    return "; last output: " + " | ".join(lines)


def _attempt_events(spec: JobSpec, job_plan: JobPlan, facts: JobObserved) -> list[EventNote]:
    """One event for each attempt this pass saw finish."""
    if not job_plan.finished_now:
        return []
    total = spec.backoff_limit + 1
    code = job_plan.exit_code
    if job_plan.verdict is Verdict.SUCCEEDED:
        message = f"attempt {job_plan.attempt} exited with code 0{_output_note(facts)}"
        return [EventNote(EventType.NORMAL, Reason.COMPLETED, message)]
    if job_plan.verdict is Verdict.FAILED:
        message = (
            f"attempt {job_plan.attempt} of {total} exited with code {code}; backoffLimit "
            f"{spec.backoff_limit} reached, the Job failed{_output_note(facts)}"
        )
        return [EventNote(EventType.WARNING, Reason.BACKOFF_LIMIT_EXCEEDED, message)]
    failed_attempt = job_plan.attempt - (1 if job_plan.verdict is Verdict.RUNNING else 0)
    when = (
        f"next attempt in {job_plan.retry_in_s:.0f}s"
        if job_plan.retry_in_s is not None
        else "next attempt now"
    )
    message = (
        f"attempt {failed_attempt} of {total} exited with code {code}; {when}{_output_note(facts)}"
    )
    return [EventNote(EventType.WARNING, Reason.BACK_OFF, message)]


def _status(
    resource: Resource, spec: JobSpec, job_plan: JobPlan, facts: JobObserved
) -> ResourceStatus:
    total = spec.backoff_limit + 1
    attempt = job_plan.attempt
    verdict = job_plan.verdict
    if verdict is Verdict.CONFLICT:
        return make_status(
            resource,
            phase=Phase.FAILED,
            ready=False,
            reason=Reason.NAME_CONFLICT,
            message=job_plan.plan.blocked_message,
            degraded=True,
            observed=facts,
        )
    if verdict is Verdict.WAITING:
        message = f"waiting for {job_plan.plan.blocked_message}"
        return make_status(
            resource,
            phase=Phase.PENDING,
            ready=False,
            reason=Reason.WAITING,
            message=message,
            progressing=True,
            observed=facts,
        )
    if verdict is Verdict.SUCCEEDED:
        kept = ""
        if facts.container_removed:
            kept = "; its container was removed (ttlAfterFinished)"
        return make_status(
            resource,
            phase=Phase.SUCCEEDED,
            ready=True,
            reason=Reason.COMPLETED,
            message=f"exited with code 0 on attempt {attempt}{kept}",
            observed=facts,
        )
    if verdict is Verdict.FAILED:
        return make_status(
            resource,
            phase=Phase.FAILED,
            ready=False,
            reason=Reason.BACKOFF_LIMIT_EXCEEDED,
            message=f"attempt {attempt} of {total} exited with code {job_plan.exit_code}"
            f"{_output_note(facts)}; it runs again when its spec or image changes",
            degraded=True,
            observed=facts,
        )
    if verdict is Verdict.BACK_OFF:
        retry_in = job_plan.retry_in_s or 0.0
        return make_status(
            resource,
            phase=Phase.RUNNING,
            ready=False,
            reason=Reason.BACK_OFF,
            message=f"attempt {attempt} of {total} exited with code {job_plan.exit_code}; "
            f"next attempt in {retry_in:.0f}s",
            progressing=True,
            degraded=True,
            observed=facts,
            next_retry_at=datetime.now(UTC) + timedelta(seconds=retry_in),
        )
    if facts.state is None:
        raise TransientError(f"the container of {resource.key} vanished while starting")
    since = f" since {facts.started_at}" if facts.started_at else ""
    return make_status(
        resource,
        phase=Phase.RUNNING,
        ready=False,
        reason=Reason.RUNNING,
        message=f"attempt {attempt} of {total} running{since}",
        progressing=True,
        observed=facts,
    )


def job_logs(
    runtime: Runtime, resource: Resource, tail: int | None, follow: bool
) -> Iterator[bytes]:
    """Output of the Job's container; NoLogs once it is gone (ttlAfterFinished)."""
    info = runtime.inspect_container(resource.engine_name)
    if info is None or not owns(info, resource.name, resource.namespace):
        raise NoLogs(
            f"{resource.key} has no container in Docker (its last output lines are in "
            "status.observed.outputTail)"
        )
    try:
        return runtime.container_logs(info.id, tail, follow)
    except ObjectNotFound as error:
        raise NoLogs(f"{resource.key}: {error}") from error


REGISTRATION = KindRegistration(
    kind=KIND,
    spec_model=JobSpec,
    observed_model=JobObserved,
    reconciler=JobReconciler,
    event_mappers=(
        labelled_objects("container", KIND, _CONTAINER_ACTIONS),
        named_objects("container", KIND, _CONTAINER_ACTIONS, unmanaged_only=True),
    ),
    # The same references as a Container: its image, networks, volumes and dependsOn.
    requires=requires,
    logs=job_logs,
    limits=KindLimits(workers=4, timeout_s=300.0),
)

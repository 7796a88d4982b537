"""A replicated Container's observe and status (the plan is `container_replicas`).

Observe: every replica's name (`NAME-1` .. `NAME-N`: whoever holds it, with its timings), the
old copies a start-first replace moved aside, and the pause the last status recorded. Status:
`readyReplicas/replicas`, each replica with the spec generation it runs, and the rollout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dockform.controller.actions import Plan
from dockform.controller.outcomes import EventNote, Outcome
from dockform.controller.reconcilers import provenance
from dockform.controller.reconcilers.container_plan import container_name, start_period_left
from dockform.controller.reconcilers.container_replicas import (
    ReplicasDecision,
    ReplicaSlot,
    Rollout,
    is_ready,
    retired_name,
)
from dockform.controller.reconcilers.container_timing import (
    running_for,
    stopped_for,
    unhealthy_restarts_after,
)
from dockform.controller.status import make_status, observed_as
from dockform.manifests.models import ContainerSpec
from dockform.manifests.status import (
    ContainerObserved,
    EventType,
    Phase,
    Reason,
    ReplicaObserved,
    RolloutObserved,
)
from dockform.runtime.interface import Runtime
from dockform.runtime.types import (
    HASH_LABEL,
    MADE_BECAUSE_LABEL,
    MADE_FOR_LABEL,
    ContainerInfo,
    ContainerSummary,
)
from dockform.store.types import Resource

PLACEMENT_IGNORED = "placement is for Swarm: one host ignores it"


def observe_replicas(
    runtime: Runtime,
    resource: Resource,
    spec: ContainerSpec,
    labelled: Sequence[ContainerSummary],
    unhealthy_due: Callable[[ContainerInfo | None], bool],
) -> tuple[tuple[ReplicaSlot, ...], tuple[ContainerSummary, ...]]:
    """Each replica's slot, and the old copies (`NAME-i.old`) of replicas that remain."""
    slots = []
    names = []
    for index in range(1, (spec.replicas or 0) + 1):
        name = container_name(resource.namespace, resource.name, index)
        names.append(name)
        holder = runtime.inspect_container(name)
        slots.append(
            ReplicaSlot(
                index=index,
                holder=holder,
                labelled=tuple(info for info in labelled if info.name == name),
                running_for_s=running_for(holder),
                stopped_for_s=stopped_for(holder),
                unhealthy_restart_due=unhealthy_due(holder),
            )
        )
    retired_names = {retired_name(name) for name in names}
    retired = tuple(info for info in labelled if info.name in retired_names)
    return tuple(slots), retired


def paused_hash(resource: Resource) -> str | None:
    """The container hash whose rollout the last status paused."""
    rollout = observed_as(resource, ContainerObserved).rollout
    if rollout is None or rollout.state != Reason.ROLLOUT_PAUSED:
        return None
    return rollout.spec_hash


def inspect_replicas(
    runtime: Runtime, resource: Resource, spec: ContainerSpec
) -> list[ContainerInfo | None]:
    return [
        runtime.inspect_container(container_name(resource.namespace, resource.name, index))
        for index in range(1, (spec.replicas or 0) + 1)
    ]


def replicated_outcome(
    resource: Resource,
    spec: ContainerSpec,
    decision: ReplicasDecision,
    current: Sequence[ContainerInfo | None],
    events: Sequence[EventNote],
    unhealthy_retry_in: Callable[[ContainerInfo, ContainerObserved], float | None],
) -> Outcome:
    plan = decision.plan
    facts = _facts(resource, decision.rollout, current, plan)
    count = spec.replicas or 0
    ready = facts.ready_replicas or 0
    notes = list(events)
    phase, reason, message, degraded = _summary(spec, plan, decision.rollout, current, ready)
    if spec.placement is not None:
        message = f"{message}; {PLACEMENT_IGNORED}" if message else PLACEMENT_IGNORED
    if reason in (Reason.NAME_CONFLICT, Reason.INVALID_SPEC):
        notes.append(EventNote(EventType.WARNING, reason, plan.blocked_message))
    if decision.roll_back and decision.rollout is not None:
        notes.append(EventNote(EventType.WARNING, Reason.ROLLED_BACK, decision.rollout.message))
    progressing = reason in (Reason.ROLLING_OUT, Reason.WAITING, Reason.HEALTH_STARTING)
    status = make_status(
        resource,
        phase=phase,
        ready=ready == count and reason not in (Reason.INVALID_SPEC, Reason.NAME_CONFLICT),
        reason=reason,
        message=message,
        progressing=progressing,
        degraded=degraded,
        observed=facts,
    )
    retries = [
        retry
        for info in current
        if info is not None
        and info.health == "unhealthy"
        and (retry := unhealthy_retry_in(info, facts)) is not None
    ]
    due = [time for time in (plan.requeue_after, *retries) if time is not None]
    return Outcome(
        status=status,
        events=tuple(notes),
        requeue_after=min(due) if due else None,
        roll_back=decision.roll_back,
    )


def _summary(
    spec: ContainerSpec,
    plan: Plan,
    rollout: Rollout | None,
    current: Sequence[ContainerInfo | None],
    ready: int,
) -> tuple[Phase, Reason, str, bool]:
    """(phase, reason, message, degraded) of the replicas as they are now."""
    count = spec.replicas or 0
    counted = f"{ready}/{count} replicas ready"
    if plan.blocked_reason in (Reason.INVALID_SPEC, Reason.NAME_CONFLICT):
        return Phase.FAILED, plan.blocked_reason, plan.blocked_message, True
    if plan.blocked_reason is Reason.WAITING and not any(current):
        return Phase.PENDING, Reason.WAITING, f"waiting for {plan.blocked_message}", False
    if rollout is not None and rollout.state is not Reason.RUNNING:
        degraded = rollout.state is not Reason.ROLLING_OUT
        return Phase.RUNNING, rollout.state, f"{counted}; {rollout.message}", degraded
    if ready == count:
        healthy = count > 0 and all(info and info.health == "healthy" for info in current)
        message = counted if count else "scaled to 0 replicas"
        return Phase.RUNNING, Reason.HEALTHY if healthy else Reason.RUNNING, message, False
    states = [info.state if info else "missing" for info in current]
    details = ", ".join(
        f"{info.name} {_state_of(info)}" for info in current if info and not is_ready(info)
    )
    message = f"{counted}: {details}" if details else counted
    if any(info and info.health == "unhealthy" for info in current):
        return Phase.RUNNING, Reason.UNHEALTHY, message, True
    if any(state in ("exited", "dead", "restarting") for state in states):
        return Phase.RUNNING if ready else Phase.FAILED, Reason.EXITED, message, True
    if any(info and info.health == "starting" for info in current):
        return Phase.RUNNING, Reason.HEALTH_STARTING, message, False
    return Phase.RUNNING if ready else Phase.PENDING, Reason.WAITING, message, False


def _state_of(info: ContainerInfo) -> str:
    if info.state in ("exited", "dead"):
        return f"exited ({info.exit_code})"
    if info.state == "running" and info.health:
        return info.health
    return info.state


def _facts(
    resource: Resource,
    rollout: Rollout | None,
    current: Sequence[ContainerInfo | None],
    plan: Plan,
) -> ContainerObserved:
    previous = observed_as(resource, ContainerObserved)
    restarts, last_restart = unhealthy_restarts_after(previous, plan)
    present = [info for info in current if info is not None]
    if present and all(info.health == "healthy" for info in present):
        restarts, last_restart = 0, None
    want = rollout.spec_hash if rollout is not None else None
    replicas = [
        ReplicaObserved(
            name=info.name,
            container_id=info.id,
            state=info.state,
            health=info.health,
            restart_count=info.restart_count,
            exit_code=info.exit_code,
            generation=provenance.made_for_generation(info.labels),
            up_to_date=want is not None and info.labels.get(HASH_LABEL) == want,
        )
        for info in present
    ]
    first = present[0] if present else None
    running = [info for info in present if info.state == "running"]
    shown = running[0] if running else first
    count = len(current)
    all_healthy = (
        count > 0 and len(present) == count and all(info.health == "healthy" for info in present)
    )
    rollout_facts = None
    if rollout is not None:
        rollout_facts = RolloutObserved(
            state=str(rollout.state),
            generation=resource.generation,
            updated=sum(1 for replica in replicas if replica.up_to_date),
            replicas=count,
            message=rollout.message,
            spec_hash=rollout.spec_hash,
        )
    elif previous.rollout is not None:
        rollout_facts = previous.rollout
    return ContainerObserved(
        container_id=first.id if first else None,
        state=shown.state if shown else None,
        health="healthy" if all_healthy else (first.health if first else None),
        restart_count=sum(info.restart_count or 0 for info in present) if present else None,
        image_id=first.image_id if first else None,
        addresses=dict(sorted(first.networks.items())) if first else {},
        ports=published_ports(present),
        unhealthy_restarts=restarts,
        last_unhealthy_restart=last_restart,
        made_for=provenance.read(first.labels, MADE_FOR_LABEL) if first else None,
        made_because=provenance.read(first.labels, MADE_BECAUSE_LABEL) if first else None,
        replicas=count,
        ready_replicas=sum(1 for info in present if is_ready(info)),
        replica_statuses=replicas,
        rollout=rollout_facts,
    )


def published_ports(infos: Sequence[ContainerInfo]) -> list[str]:
    """Every port the containers publish, `hostIP:hostPort->containerPort/protocol`, sorted."""
    return sorted(
        f"{port.host_ip}:{port.host_port}->{port.container_port}/{port.protocol}"
        for info in infos
        for port in info.ports
    )


def unhealthy_retry_in(
    spec: ContainerSpec, until_backoff: Callable[[ContainerObserved], float]
) -> Callable[[ContainerInfo, ContainerObserved], float | None]:
    """Seconds until dockform restarts an unhealthy replica (None: restartOnUnhealthy is
    false)."""

    def retry_in(info: ContainerInfo, facts: ContainerObserved) -> float | None:
        if not spec.restart_on_unhealthy:
            return None
        return max(until_backoff(facts), start_period_left(spec, running_for(info)))

    return retry_in

"""Replicas of a Container, pure: what to make, replace, keep and remove, and how a new spec
rolls out batch by batch. No I/O here; `container_replicated.py` observes and executes.

A replicated Container (`replicas: N`) runs N containers `NAME-1` .. `NAME-N`. Each is planned
by `container_plan.plan` on its own, so each is repaired alone, and all carry the alias NAME
on their networks. A new spec rolls out `update.parallelism` replicas at a time: the next
batch waits until every replica of the new spec is ready (running, healthy when it has a
healthcheck) and has run for `monitor` + `delay`. A replica of the new spec that fails while
replicas of the old one remain (it exits, restarts or turns unhealthy) stops the rollout:
`pause` holds the rest on the old spec until the spec changes again; `rollback` asks for the
previous revision (the manager applies it, pinned, as `dockform rollback` does).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from dockform.controller.actions import Action, Plan, RemoveContainer, StopContainer
from dockform.controller.reconcilers.container_plan import (
    RETIRED_SUFFIX,
    ContainerDesired,
    ContainerSnapshot,
    container_hash,
    container_name,
    owns,
    plan,
)
from dockform.manifests.models import ContainerSpec
from dockform.manifests.status import Reason
from dockform.manifests.units import parse_duration
from dockform.runtime.types import HASH_LABEL, ContainerInfo, ContainerSummary

# How soon to look again at a batch still starting (events usually come first).
_STARTING_POLL_S = 2.0


@dataclass(frozen=True)
class ReplicaSlot:
    """Replica `index` as observed: whoever holds its name, the labelled containers of that
    name, and its timings (for Docker's restart grace and the unhealthy backoff)."""

    index: int
    holder: ContainerInfo | None
    labelled: tuple[ContainerSummary, ...] = ()
    running_for_s: float | None = None
    stopped_for_s: float | None = None
    unhealthy_restart_due: bool = False


@dataclass(frozen=True)
class ReplicasSnapshot:
    # What every replica needs (image, dependencies, contents), with every labelled container.
    shared: ContainerSnapshot
    slots: tuple[ReplicaSlot, ...]
    # Old copies moved aside by a start-first replace (`NAME-i.old`), while they exist.
    retired: tuple[ContainerSummary, ...] = ()
    # The container hash whose rollout the last status paused (a pause holds for it).
    paused_hash: str | None = None
    # The resource runs a rollback's pin now: a failing rollout pauses instead of rolling
    # back again (to the spec that failed).
    pinned: bool = False


@dataclass(frozen=True)
class Rollout:
    state: Reason  # ROLLING_OUT | ROLLOUT_PAUSED | ROLLED_BACK, or RUNNING once complete
    message: str = ""
    spec_hash: str | None = None


@dataclass(frozen=True)
class ReplicasDecision:
    plan: Plan
    rollout: Rollout | None = None  # None until the new hash is known (waiting)
    roll_back: bool = False  # ask the manager for the previous revision


def replica_conflicts(spec: ContainerSpec) -> str:
    """Why these replicas cannot all run on one host, or "": a fixed hostPort or address
    is held by one container only."""
    fixed_ports = [
        f"{port.host_port}:{port.container_port}" for port in spec.ports if port.host_port
    ]
    count = spec.replicas or 0
    if fixed_ports and count > 1:
        return (
            f"spec.ports {', '.join(fixed_ports)}: a fixed hostPort is held by one container, "
            f"so {count} replicas cannot share it on one host; leave hostPort out (Docker "
            "picks a free port for each replica) or set replicas: 1"
        )
    if fixed_ports and spec.update.order == "start-first":
        return (
            f"spec.ports {', '.join(fixed_ports)}: update.order start-first starts the new "
            "replica while the old one holds its hostPort; use stop-first, or leave hostPort out"
        )
    fixed_addresses = [
        network.name
        for network in spec.network_attachments()
        if network.ipv4_address or network.ipv6_address
    ]
    if fixed_addresses and count > 1:
        return (
            f"spec.networks {', '.join(fixed_addresses)}: a fixed address is held by one "
            f"container, so {count} replicas cannot share it; leave the address out"
        )
    return ""


def retired_name(slot_name: str) -> str:
    return f"{slot_name}{RETIRED_SUFFIX}"


def plan_replicas(desired: ContainerDesired, observed: ReplicasSnapshot) -> ReplicasDecision:
    spec = desired.spec
    problem = replica_conflicts(spec)
    if problem:
        return ReplicasDecision(Plan(blocked_reason=Reason.INVALID_SPEC, blocked_message=problem))
    count = spec.replicas or 0
    slot_names = {slot.index: _slot_name(desired, slot.index) for slot in observed.slots}
    grace = int(parse_duration(spec.stop_grace_period))
    surplus = _surplus(desired, observed.shared.labelled, set(slot_names.values()), count, grace)
    want_hash = _want_hash(desired, observed.shared)
    if want_hash is None:
        # Waiting (a dependency, the image): each replica's plan says so.
        return ReplicasDecision(_combined(surplus, _slot_plans(desired, observed, set())))
    fresh = [slot for slot in observed.slots if slot.holder and _hash(slot.holder) == want_hash]
    outdated = [
        slot.index
        for slot in observed.slots
        if slot.holder is not None
        and owns(slot.holder, desired.name, desired.namespace)
        and _hash(slot.holder) != want_hash
        and slot.holder.state == "running"
    ]
    retired = _retired_plan(desired, observed, fresh, grace)
    rollout, held, due = _rollout(desired, observed, want_hash, fresh, outdated)
    slot_plans = _slot_plans(desired, observed, held)
    combined = _combined((*surplus, *retired.actions), slot_plans)
    requeue = [time for time in (combined.requeue_after, due, retired.requeue_after) if time]
    combined = dataclasses.replace(combined, requeue_after=min(requeue) if requeue else None)
    return ReplicasDecision(
        combined,
        rollout,
        roll_back=rollout.state is Reason.ROLLED_BACK,
    )


def _rollout(
    desired: ContainerDesired,
    observed: ReplicasSnapshot,
    want_hash: str,
    fresh: Sequence[ReplicaSlot],
    outdated: Sequence[int],
) -> tuple[Rollout, set[int], float | None]:
    """The rollout's state, the replicas held on their old spec now, and when to look
    again (a batch settling)."""
    update = desired.spec.update
    if not outdated:
        return Rollout(Reason.RUNNING, spec_hash=want_hash), set(), None
    held = set(outdated)
    failures = [why for slot in fresh if (why := failing(slot, desired.spec))]
    if failures:
        what = "; ".join(failures)
        if update.failure_action == "rollback" and not observed.pinned:
            message = f"{what}: rolling back to the previous revision"
            return Rollout(Reason.ROLLED_BACK, message, want_hash), held, None
        message = f"{what}: paused with {len(outdated)} replica(s) on the previous spec"
        if update.failure_action == "rollback":
            message += " (the rolled-back spec fails too; apply a fixed one)"
        else:
            message += "; apply a fixed spec, or `dockform rollback`"
        return Rollout(Reason.ROLLOUT_PAUSED, message, want_hash), held, None
    if observed.paused_hash == want_hash:
        message = f"paused with {len(outdated)} replica(s) on the previous spec"
        return Rollout(Reason.ROLLOUT_PAUSED, message, want_hash), held, None
    settle = parse_duration(update.monitor) + parse_duration(update.delay)
    starting = [slot.index for slot in fresh if not is_ready(slot.holder)]
    youngest = min((slot.running_for_s or 0.0 for slot in fresh), default=settle)
    waiting_retired = bool(observed.retired)
    progress = f"{len(fresh)} of {len(fresh) + len(outdated)} replica(s) updated"
    if starting or waiting_retired:
        shown = ", ".join(_slot_name(desired, index) for index in starting) or "old copies"
        message = f"{progress}; waiting for {shown} to be ready"
        return Rollout(Reason.ROLLING_OUT, message, want_hash), held, _STARTING_POLL_S
    if youngest < settle:
        left = settle - youngest
        message = f"{progress}; next batch in {left:.0f}s (monitor + delay)"
        return Rollout(Reason.ROLLING_OUT, message, want_hash), held, left
    batch = sorted(outdated)[: update.parallelism]
    held -= set(batch)
    shown = ", ".join(_slot_name(desired, index) for index in batch)
    message = f"{progress}; replacing {shown}"
    return Rollout(Reason.ROLLING_OUT, message, want_hash), held, None


def failing(slot: ReplicaSlot, spec: ContainerSpec) -> str:
    """How a replica of the new spec fails, or "" when it does not (yet)."""
    info = slot.holder
    if info is None:
        return ""
    name = info.name
    if info.state in ("exited", "dead"):
        done = info.exit_code == 0 and spec.restart_policy in ("Never", "OnFailure")
        return "" if done else f"{name} exited with code {info.exit_code}"
    if info.state == "restarting":
        return f"{name} is restarting (exit code {info.exit_code})"
    if info.restart_count:
        return f"{name} restarted {info.restart_count} time(s)"
    if info.health == "unhealthy":
        return f"{name} is unhealthy"
    return ""


def is_ready(info: ContainerInfo | None) -> bool:
    return info is not None and info.state == "running" and info.health in (None, "healthy")


def _slot_name(desired: ContainerDesired, index: int) -> str:
    return container_name(desired.namespace, desired.name, index)


def _hash(info: ContainerInfo) -> str | None:
    return info.labels.get(HASH_LABEL)


def _want_hash(desired: ContainerDesired, shared: ContainerSnapshot) -> str | None:
    if shared.waiting or shared.image_id is None:
        return None
    return container_hash(desired.spec_hash, shared.image_id, shared.bind_targets, shared.contents)


def _surplus(
    desired: ContainerDesired,
    labelled: Sequence[ContainerSummary],
    slot_names: set[str],
    count: int,
    grace: int,
) -> tuple[Action, ...]:
    """Stop and remove labelled containers that are no replica of `count` (scaled down, the
    one container of before `replicas` was set, a stray copy); old copies of replicas that
    remain are `_retired_plan`'s."""
    keep = slot_names | {retired_name(name) for name in slot_names}
    actions: list[Action] = []
    for info in sorted(labelled, key=lambda info: info.name):
        if info.name in keep:
            continue
        cause = f"scaled to {count} replica(s)"
        if info.state == "running":
            actions.append(StopContainer(cause=cause, container=info.id, timeout_s=grace))
        actions.append(RemoveContainer(cause=cause, container=info.id))
    return tuple(actions)


def _retired_plan(
    desired: ContainerDesired, observed: ReplicasSnapshot, fresh: Sequence[ReplicaSlot], grace: int
) -> Plan:
    """Remove each old copy once its successor is ready (or gone); keep it running until."""
    successors = {_slot_name(desired, slot.index): slot for slot in fresh}
    actions: list[Action] = []
    waiting = False
    for info in observed.retired:
        successor = successors.get(info.name.removesuffix(RETIRED_SUFFIX))
        if successor is not None and not is_ready(successor.holder):
            waiting = True
            continue
        cause = f"its successor {info.name.removesuffix(RETIRED_SUFFIX)} is ready"
        if info.state == "running":
            actions.append(StopContainer(cause=cause, container=info.id, timeout_s=grace))
        actions.append(RemoveContainer(cause=cause, container=info.id))
    return Plan(actions=tuple(actions), requeue_after=_STARTING_POLL_S if waiting else None)


def _slot_plans(
    desired: ContainerDesired, observed: ReplicasSnapshot, held: set[int]
) -> list[Plan]:
    start_first = desired.spec.update.order == "start-first"
    plans = []
    for slot in observed.slots:
        one = dataclasses.replace(
            desired, replica=slot.index, hold_replace=slot.index in held, start_first=start_first
        )
        snapshot = dataclasses.replace(
            observed.shared,
            labelled=slot.labelled,
            name_holder=slot.holder,
            running_for_s=slot.running_for_s,
            stopped_for_s=slot.stopped_for_s,
            unhealthy_restart_due=slot.unhealthy_restart_due,
        )
        plans.append(plan(one, snapshot))
    return plans


def _combined(first: Sequence[Action], plans: Sequence[Plan]) -> Plan:
    """One plan of the replicas' plans: their actions in replica order; a name conflict
    before a wait as the reason nothing more is done; the soonest requeue."""
    actions = [*first]
    blocked = None
    for each in plans:
        actions += each.actions
        if each.blocked_reason is not None and (
            blocked is None or each.blocked_reason is Reason.NAME_CONFLICT
        ):
            blocked = each
    requeue = [each.requeue_after for each in plans if each.requeue_after is not None]
    return Plan(
        actions=tuple(actions),
        blocked_reason=blocked.blocked_reason if blocked else None,
        blocked_message=blocked.blocked_message if blocked else "",
        requeue_after=min(requeue) if requeue else None,
    )

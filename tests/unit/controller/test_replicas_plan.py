"""Golden-text tests of the replica planner (container_replicas): no Docker, no store."""

from __future__ import annotations

import dataclasses
from typing import Any

from dockform.controller.reconcilers.container_plan import (
    ContainerDesired,
    ContainerSnapshot,
    container_hash,
    plan,
)
from dockform.controller.reconcilers.container_replicas import (
    ReplicaSlot,
    ReplicasSnapshot,
    plan_replicas,
    replica_conflicts,
)
from dockform.manifests.models import ContainerSpec
from dockform.manifests.status import Reason
from dockform.runtime.types import HASH_LABEL, ContainerInfo, managed_labels

SPEC_HASH = "spec-hash-1"
IMAGE_ID = "sha256:" + "a" * 64
NEW = container_hash(SPEC_HASH, IMAGE_ID)


def desired(replicas: int, **spec: Any) -> ContainerDesired:
    body = {"image": "hello:latest", "replicas": replicas, **spec}
    return ContainerDesired("web", ContainerSpec.model_validate(body), SPEC_HASH)


def replica(
    index: int | str,
    *,
    want_hash: str = NEW,
    state: str = "running",
    health: str | None = None,
    restart_count: int = 0,
) -> ContainerInfo:
    name = f"web-{index}"
    return ContainerInfo(
        id=f"id-{index}",
        name=name,
        image_id=IMAGE_ID,
        labels=managed_labels("Container", "web", want_hash),
        state=state,
        health=health,
        restart_count=restart_count,
        exit_code=None if state == "running" else 3,
        started_at=None,
        finished_at=None,
        networks={},
    )


def snapshot(
    count: int,
    holders: dict[int, ContainerInfo],
    *extra: ContainerInfo,
    running_for_s: float = 60.0,
    **more: Any,
) -> ReplicasSnapshot:
    everything = [*holders.values(), *extra]
    shared = ContainerSnapshot(
        labelled=tuple(info.summary() for info in everything),
        name_holder=None,
        image_id=IMAGE_ID,
        image_ref="hello:latest",
    )
    slots = tuple(
        ReplicaSlot(
            index=index,
            holder=holders.get(index),
            labelled=tuple(info.summary() for info in everything if info.name == f"web-{index}"),
            running_for_s=running_for_s if holders.get(index) else None,
        )
        for index in range(1, count + 1)
    )
    retired = tuple(info.summary() for info in extra if info.name.endswith(".old"))
    return ReplicasSnapshot(shared=shared, slots=slots, retired=retired, **more)


def test_missing_replicas_are_created_each_under_its_own_name() -> None:
    decision = plan_replicas(desired(2), snapshot(2, {}))
    assert str(decision.plan) == (
        "#1 container:web-1, CreateContainer, not found\n"
        "#2 container:web-1, StartContainer, created\n"
        "#3 container:web-2, CreateContainer, not found\n"
        "#4 container:web-2, StartContainer, created"
    )
    creates = [action for action in decision.plan.actions if hasattr(action, "request")]
    assert [action.request.labels["io.dockform.replica"] for action in creates] == ["1", "2"]
    assert all(action.request.network_aliases == ("web",) for action in creates)


def test_scaling_down_stops_and_removes_the_highest_replicas_only() -> None:
    holders = {1: replica(1), 2: replica(2)}
    decision = plan_replicas(desired(1), snapshot(1, {1: holders[1]}, holders[2]))
    assert str(decision.plan) == (
        "#1 container:id-2, StopContainer, scaled to 1 replica(s)\n"
        "#2 container:id-2, RemoveContainer, scaled to 1 replica(s)"
    )


def test_a_new_spec_replaces_one_batch_and_holds_the_rest() -> None:
    holders = {index: replica(index, want_hash="old") for index in (1, 2, 3)}
    decision = plan_replicas(desired(3, update={"parallelism": 2}), snapshot(3, holders))
    assert str(decision.plan) == (
        "#1 container:id-1, StopContainer, config hash changed\n"
        "#2 container:id-1, RemoveContainer, config hash changed\n"
        "#3 container:web-1, CreateContainer, config hash changed\n"
        "#4 container:web-1, StartContainer, created\n"
        "#5 container:id-2, StopContainer, config hash changed\n"
        "#6 container:id-2, RemoveContainer, config hash changed\n"
        "#7 container:web-2, CreateContainer, config hash changed\n"
        "#8 container:web-2, StartContainer, created"
    )
    assert decision.rollout is not None and decision.rollout.state is Reason.ROLLING_OUT


def test_the_next_batch_waits_for_health_then_for_monitor_and_delay() -> None:
    holders = {1: replica(1, health="starting"), 2: replica(2, want_hash="old")}
    waiting = plan_replicas(desired(2), snapshot(2, holders))
    assert waiting.plan.empty and waiting.plan.requeue_after is not None
    assert waiting.rollout is not None and "waiting for web-1" in waiting.rollout.message

    holders[1] = replica(1, health="healthy")
    update = {"monitor": "10s", "delay": "5s"}
    settling = plan_replicas(desired(2, update=update), snapshot(2, holders, running_for_s=3.0))
    assert settling.plan.empty and settling.plan.requeue_after == 12.0

    done = plan_replicas(desired(2, update=update), snapshot(2, holders, running_for_s=15.0))
    assert "#1 container:id-2, StopContainer, config hash changed" in str(done.plan)


def test_a_failing_new_replica_pauses_the_rollout() -> None:
    holders = {1: replica(1, state="restarting"), 2: replica(2, want_hash="old")}
    decision = plan_replicas(desired(2), snapshot(2, holders))
    assert decision.plan.empty and not decision.roll_back
    assert decision.rollout is not None and decision.rollout.state is Reason.ROLLOUT_PAUSED
    assert "web-1 is restarting" in decision.rollout.message

    # The pause holds for this spec even when the failed replica looks fine again.
    holders[1] = replica(1)
    still = plan_replicas(desired(2), snapshot(2, holders, paused_hash=NEW))
    assert still.plan.empty and still.rollout is not None
    assert still.rollout.state is Reason.ROLLOUT_PAUSED


def test_failure_action_rollback_asks_for_the_previous_revision_once() -> None:
    holders = {1: replica(1, restart_count=2), 2: replica(2, want_hash="old")}
    rollback = desired(2, update={"failureAction": "rollback"})
    decision = plan_replicas(rollback, snapshot(2, holders))
    assert decision.roll_back and decision.plan.empty
    # Already a rollback's spec (pinned): pause rather than roll back to the failing one.
    again = plan_replicas(rollback, snapshot(2, holders, pinned=True))
    assert not again.roll_back and again.rollout is not None
    assert again.rollout.state is Reason.ROLLOUT_PAUSED


def test_start_first_renames_the_old_copy_and_keeps_it_until_its_successor_is_ready() -> None:
    holders = {1: replica(1, want_hash="old")}
    start_first = desired(1, update={"order": "start-first"})
    decision = plan_replicas(start_first, snapshot(1, holders))
    assert str(decision.plan) == (
        "#1 container:id-1, RenameContainer, config hash changed; its successor starts first\n"
        "#2 container:web-1, CreateContainer, config hash changed\n"
        "#3 container:web-1, StartContainer, created"
    )
    old = replica("1.old", want_hash="old")
    starting = plan_replicas(start_first, snapshot(1, {1: replica(1, health="starting")}, old))
    assert starting.plan.empty
    ready = plan_replicas(start_first, snapshot(1, {1: replica(1, health="healthy")}, old))
    assert str(ready.plan) == (
        "#1 container:id-1.old, StopContainer, its successor web-1 is ready\n"
        "#2 container:id-1.old, RemoveContainer, its successor web-1 is ready"
    )


def test_fixed_host_ports_and_addresses_cannot_be_shared_by_replicas() -> None:
    port = {"ports": [{"containerPort": 80, "hostPort": 8080}]}
    assert "hostPort" in replica_conflicts(desired(2, **port).spec)
    assert replica_conflicts(desired(1, **port).spec) == ""
    assert "start-first" in replica_conflicts(
        desired(1, update={"order": "start-first"}, **port).spec
    )
    refused = plan_replicas(desired(3, **port), snapshot(3, {}))
    assert refused.plan.blocked_reason is Reason.INVALID_SPEC and refused.plan.empty
    assert replica_conflicts(desired(3, ports=[{"containerPort": 80}]).spec) == ""


def in_place(replicas: int | None, **spec: Any) -> ContainerDesired:
    body = {"image": "hello:latest", **spec}
    if replicas is not None:
        body["replicas"] = replicas
    return ContainerDesired("web", ContainerSpec.model_validate(body), SPEC_HASH, in_place=True)


def service(
    *, want_hash: str = NEW, replicas: int = 3, rollout_state: str | None = None
) -> ContainerInfo:
    return dataclasses.replace(
        replica(1, want_hash=want_hash),
        name="web",
        replicas=replicas,
        running_replicas=replicas,
        rollout_state=rollout_state,
    )


def shared(holder: ContainerInfo | None, **extra: Any) -> ContainerSnapshot:
    return ContainerSnapshot(
        labelled=(holder.summary(),) if holder else (),
        name_holder=holder,
        image_id=IMAGE_ID,
        image_ref="hello:latest",
        **extra,
    )


def test_an_engine_that_replicates_gets_one_service_with_its_replicas_and_rollout() -> None:
    update = {"parallelism": 2, "order": "start-first", "monitor": "3s"}
    placement = {"constraints": ["node.labels.zone==a"], "preferences": [{"spread": "zone"}]}
    made = plan(in_place(3, update=update, placement=placement), shared(None))
    assert str(made) == (
        "#1 container:web, CreateContainer, not found\n#2 container:web, StartContainer, created"
    )
    request = made.actions[0].request  # type: ignore[attr-defined]
    assert request.replicas == 3
    assert request.rollout.parallelism == 2 and request.rollout.order == "start-first"
    assert request.rollout.monitor_ns == 3_000_000_000
    assert request.placement.constraints == ("node.labels.zone==a",)
    assert request.placement.spread == ("zone",)


def test_an_engine_that_replicates_updates_in_place_and_scales() -> None:
    changed = plan(in_place(3), shared(service(want_hash="old")))
    assert str(changed) == "#1 container:web, UpdateContainer, config hash changed"
    scaled = plan(in_place(5), shared(service()))
    assert str(scaled) == f"#1 container:{'id-1'}, ScaleContainer, 3 replica(s), 5 wanted"
    assert str(plan(in_place(3), shared(service()))) == "(nothing to do)"


def test_a_new_placement_updates_the_service_in_place() -> None:
    # The spec hash leaves placement out (one host ignores it); on an engine that runs
    # replicas itself it is the service's own, so a new constraint is pushed as an update.
    on_c = {"constraints": ["node.labels.zone==c"]}
    made = plan(in_place(2, placement=on_c), shared(None))
    placed = made.actions[0].request.labels[HASH_LABEL]  # type: ignore[attr-defined]
    assert placed != NEW
    assert plan(in_place(2, placement=on_c), shared(service(want_hash=placed, replicas=2))).empty
    moved = plan(
        in_place(2, placement={"constraints": ["node.labels.zone==b"]}),
        shared(service(want_hash=placed, replicas=2)),
    )
    assert str(moved) == "#1 container:web, UpdateContainer, config hash changed"
    # No placement: the hash is the container's as before (services made without one stay).
    assert str(plan(in_place(2), shared(service(replicas=2)))) == "(nothing to do)"


def test_a_rollout_the_engine_rolled_back_is_not_pushed_again() -> None:
    rolled_back = service(want_hash="old", rollout_state="rollback_completed")
    held = plan(in_place(3), shared(rolled_back, held_hash=NEW))
    assert held.empty
    # Another spec (another hash) is pushed as usual.
    assert "UpdateContainer" in str(plan(in_place(3), shared(rolled_back, held_hash="other")))


def test_replicas_zero_on_an_engine_that_replicates_makes_a_service_and_runs_no_task() -> None:
    made = plan(in_place(0), shared(None))
    assert str(made) == "#1 container:web, CreateContainer, not found"
    assert made.actions[0].request.replicas == 0  # type: ignore[attr-defined]
    stopped = dataclasses.replace(service(replicas=0), state="exited", running_replicas=0)
    assert plan(in_place(0), shared(stopped)).empty  # not started again
    assert str(plan(in_place(0), shared(service(replicas=2)))) == (
        "#1 container:id-1, ScaleContainer, 2 replica(s), 0 wanted"
    )


def test_a_service_whose_new_tasks_exit_mid_rollout_is_left_to_the_engine() -> None:
    # The update's tasks exit (exit 3): Swarm counts that as the rollout's failure and
    # pauses or rolls back; starting or replacing the service would restart the rollout.
    failing = dataclasses.replace(
        service(rollout_state="updating"), state="exited", running_replicas=0, error="exit 3"
    )
    left = plan(in_place(3), shared(failing, held_hash=NEW))
    assert left.empty and left.requeue_after is not None
    paused = dataclasses.replace(failing, rollout_state="paused")
    held = plan(in_place(3), shared(paused, held_hash=NEW))
    assert held.empty and held.requeue_after is None  # paused: nothing moves until a change
    # A fixed spec (another hash) goes to the paused service as an update in place.
    bad = dataclasses.replace(
        service(want_hash="bad", rollout_state="paused"), state="exited", running_replicas=0
    )
    fixed = plan(in_place(3), shared(bad, held_hash="bad"))
    assert str(fixed) == "#1 container:web, UpdateContainer, config hash changed"
    # Without a rollout under way an exited service is started as before.
    after = dataclasses.replace(failing, rollout_state="completed", error=None)
    assert "StartContainer" in str(plan(in_place(3), shared(after)))

"""The status of a rollout that the engine (Swarm) makes itself."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from dockform.controller.actions import Plan
from dockform.controller.reconcilers.container_engine_rollout import (
    engine_rollout,
    wants_roll_back,
)
from dockform.manifests.status import Reason
from dockform.runtime.types import HASH_LABEL, ContainerInfo
from dockform.store.types import Pin, Resource, ResourceStatus

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def container(resource_hash: str, state: str | None) -> ContainerInfo:
    return ContainerInfo(
        id="svc",
        name="web",
        image_id="sha256:1",
        labels={HASH_LABEL: resource_hash},
        state="running",
        health=None,
        restart_count=0,
        exit_code=None,
        started_at=None,
        finished_at=None,
        networks={},
        replicas=2,
        running_replicas=2,
        rollout_state=state,
    )


def web(pinned: bool) -> Resource:
    observed = {
        "rollout": {
            "state": "RolledBack",
            "generation": 2,
            "updated": 0,
            "replicas": 2,
            "specHash": "bad",
        }
    }
    pin = (
        Pin(generation=3, rolled_back_to=1, source_generation=2, source_spec_hash="s", at=NOW)
        if pinned
        else None
    )
    return Resource(
        kind="Container",
        name="web",
        spec={},
        spec_hash="h",
        generation=3 if pinned else 2,
        created_at=NOW,
        updated_at=NOW,
        pin=pin,
        status=ResourceStatus(observed=observed),
    )


def test_a_rollback_swarm_completed_asks_the_store_once_then_runs() -> None:
    rolled_back = container("good", "rollback_completed")
    before = engine_rollout(web(pinned=False), rolled_back, Plan())
    assert before is not None and before.state == Reason.ROLLED_BACK
    assert wants_roll_back(web(pinned=False), before, "rollback")
    # Pinned to the revision Swarm went back to: that rollout is over, though Swarm keeps
    # saying rollback_completed until the next update.
    after = engine_rollout(web(pinned=True), rolled_back, Plan())
    assert after is not None and after.state == Reason.RUNNING and after.updated == 2
    assert not wants_roll_back(web(pinned=True), after, "rollback")
    # Still on the failed spec (Swarm did not roll it back): not over.
    stuck = engine_rollout(
        web(pinned=True), dataclasses.replace(rolled_back, labels={HASH_LABEL: "bad"}), Plan()
    )
    assert stuck is not None and stuck.state == Reason.ROLLED_BACK


def test_each_task_shows_the_revision_it_runs() -> None:
    from dockform.controller.reconcilers.container import _task_observed
    from dockform.runtime._swarm_convert import task_info

    made_for = '{"generation":2,"imageId":"sha256:1"}'
    task = task_info(
        {
            "NodeID": "n1",
            "DesiredState": "running",
            "Status": {"State": "running"},
            "Spec": {
                "ContainerSpec": {"Labels": {HASH_LABEL: "good", "io.dockform.made-for": made_for}}
            },
        },
        {"n1": "node-a"},
    )
    current = _task_observed(task, container("good", None))
    assert (current.node, current.generation, current.up_to_date) == ("node-a", 2, True)
    older = _task_observed(task, container("newer", "updating"))
    assert (older.generation, older.up_to_date) == (2, False)

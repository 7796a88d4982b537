"""Rollouts an engine makes itself (Swarm's service updates), as the Container's status.

On such an engine a replicated Container is one service: a changed spec updates it in place
(`container_plan._in_place`) and the engine rolls it out by its UpdateConfig. This reads the
engine's rollout state into `observed.rollout`, remembers which container hash a paused or
rolled-back rollout was for (so the plan does not push it again), and says when a rollout
the engine rolled back should become the previous revision in the store.
"""

from __future__ import annotations

from dockform.controller.actions import Plan, UpdateContainer
from dockform.controller.status import observed_as
from dockform.manifests.status import ContainerObserved, Reason, RolloutObserved
from dockform.runtime.types import HASH_LABEL, ContainerInfo
from dockform.store.types import Resource

_REASONS = {
    "updating": Reason.ROLLING_OUT,
    "rollback_started": Reason.ROLLING_OUT,
    "paused": Reason.ROLLOUT_PAUSED,
    "rollback_paused": Reason.ROLLOUT_PAUSED,
    "rollback_completed": Reason.ROLLED_BACK,
}


def held_hash(resource: Resource) -> str | None:
    """The container hash of the engine's last rollout (last status): while the engine
    pauses it or rolls it back, the plan does not push that hash again."""
    rollout = observed_as(resource, ContainerObserved).rollout
    return rollout.spec_hash if rollout is not None else None


def engine_rollout(
    resource: Resource, current: ContainerInfo, container_plan: Plan
) -> RolloutObserved | None:
    """The rollout of the engine's last update of `current`, or None where the engine does
    not run replicas itself."""
    if current.replicas is None:
        return None
    previous = observed_as(resource, ContainerObserved).rollout
    pushed = [a for a in container_plan.actions if isinstance(a, UpdateContainer)]
    if pushed:
        spec_hash = pushed[-1].request.labels.get(HASH_LABEL)
    elif previous is not None and previous.spec_hash:
        spec_hash = previous.spec_hash
    else:
        spec_hash = current.labels.get(HASH_LABEL)
    state = _REASONS.get(current.rollout_state or "", Reason.RUNNING)
    if pushed:
        state = Reason.ROLLING_OUT
    elif (
        state is Reason.ROLLED_BACK
        and resource.pin is not None
        and current.labels.get(HASH_LABEL) != spec_hash
    ):
        # The store runs the revision the engine rolled back to (pinned): that rollout is
        # over. Swarm keeps saying `rollback_completed` until the next update.
        state = Reason.RUNNING
    running = current.running_replicas or 0
    return RolloutObserved(
        state=str(state),
        generation=resource.generation,
        updated=running if state is Reason.RUNNING else 0,
        replicas=current.replicas,
        message=current.rollout_message or "",
        spec_hash=spec_hash,
    )


def wants_roll_back(resource: Resource, rollout: RolloutObserved | None, action: str) -> bool:
    """The engine rolled the update back and the Container asks for `failureAction:
    rollback`: the store should run the previous revision too (pinned), so the source's spec
    is not pushed again. Once: a pinned object is a rollback's already."""
    return (
        rollout is not None
        and rollout.state == Reason.ROLLED_BACK
        and action == "rollback"
        and resource.pin is None
    )

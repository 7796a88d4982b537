"""How long a container has been stopped or running, from the engine's timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from dockform.controller.actions import Plan, RestartContainer
from dockform.controller.reconcilers.job_plan import seconds_between
from dockform.manifests.status import ContainerObserved
from dockform.runtime.types import ContainerInfo


def stopped_for(holder: ContainerInfo | None) -> float | None:
    """Seconds since the container stopped, when it is stopped and the engine says when."""
    if holder is None or holder.state not in ("exited", "dead"):
        return None
    return seconds_since(holder.finished_at)


def running_for(holder: ContainerInfo | None) -> float | None:
    """Seconds since the container started, while it runs and the engine says when."""
    if holder is None or holder.state != "running":
        return None
    return seconds_since(holder.started_at)


def seconds_since(timestamp: str | None) -> float | None:
    """Seconds from the engine's RFC 3339 `timestamp` to now; None when there is none."""
    return seconds_between(timestamp, datetime.now(UTC))


def unhealthy_restarts_after(previous: ContainerObserved, done: Plan) -> tuple[int, str | None]:
    """Restarts dockform made for being unhealthy, and when the last was, once `done` ran."""
    restarts = previous.unhealthy_restarts or 0
    last_restart = previous.last_unhealthy_restart
    if any(isinstance(action, RestartContainer) for action in done.actions):
        restarts += 1
        last_restart = datetime.now(UTC).isoformat()
    return restarts, last_restart

"""How long a container has been stopped or running, from the engine's timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

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
    if not timestamp:
        return None
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((datetime.now(UTC) - moment).total_seconds(), 0.0)

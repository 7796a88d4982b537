"""Building statuses: phase plus the Ready / Progressing / Degraded conditions.

Reconcilers describe what they saw with `make_status`; the store keeps each condition's
lastTransitionTime when its status did not change, so repeated reconciles write nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dockform.store.types import Condition, ConditionStatus, Resource, ResourceStatus

READY = "Ready"
PROGRESSING = "Progressing"
DEGRADED = "Degraded"


def _condition(type_: str, status: ConditionStatus, reason: str, message: str) -> Condition:
    return Condition(type=type_, status=status, reason=reason, message=message)


def make_status(
    resource: Resource,
    *,
    phase: str,
    ready: bool,
    reason: str,
    message: str = "",
    progressing: bool = False,
    degraded: bool = False,
    observed: dict[str, Any] | None = None,
    last_error: str | None = None,
    next_retry_at: datetime | None = None,
) -> ResourceStatus:
    """A status in the shape every kind shares. `reason` is CamelCase, `message` for humans."""
    return ResourceStatus(
        phase=phase,
        reason=reason,
        message=message,
        conditions=[
            _condition(READY, "True" if ready else "False", reason, message),
            _condition(PROGRESSING, "True" if progressing else "False", reason, message),
            _condition(DEGRADED, "True" if degraded else "False", reason, message),
        ],
        observed_generation=resource.generation,
        observed=observed if observed is not None else dict(resource.status.observed),
        last_error=last_error,
        next_retry_at=next_retry_at,
    )


def error_status(
    resource: Resource, reason: str, message: str, *, phase: str, retry_in_s: float | None
) -> ResourceStatus:
    """The status after a failed reconcile: keeps the last observed facts, records the error."""
    next_retry = None
    if retry_in_s is not None:
        next_retry = datetime.now(UTC) + timedelta(seconds=round(retry_in_s, 3))
    return make_status(
        resource,
        phase=phase,
        ready=False,
        reason=reason,
        message=message,
        degraded=True,
        observed=dict(resource.status.observed),
        last_error=message,
        next_retry_at=next_retry,
    )


def is_ready(resource: Resource) -> bool:
    condition = resource.status.condition(READY)
    return (
        condition is not None
        and condition.status == "True"
        and resource.status.observed_generation == resource.generation
    )

"""Building statuses: phase plus the Ready / Progressing / Degraded conditions.

Reconcilers describe what they saw with `make_status`; the store keeps each condition's
lastTransitionTime when its status did not change, so repeated reconciles write nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from dockform.manifests.status import ConditionType, Observed, Phase, Reason
from dockform.store.types import Condition, ConditionStatus, Resource, ResourceStatus

ObservedT = TypeVar("ObservedT", bound=Observed)


def _condition(
    type_: ConditionType, status: ConditionStatus, reason: str, message: str
) -> Condition:
    return Condition(type=type_, status=status, reason=reason, message=message)


def make_status(
    resource: Resource,
    *,
    phase: Phase,
    ready: bool,
    reason: Reason,
    message: str = "",
    progressing: bool = False,
    degraded: bool = False,
    observed: Observed | None = None,
    last_error: str | None = None,
    next_retry_at: datetime | None = None,
) -> ResourceStatus:
    """A status in the shape every kind shares. `message` is for humans; `observed` is the
    kind's typed facts (kept from the last status when None)."""
    return ResourceStatus(
        phase=phase,
        reason=reason,
        message=message,
        conditions=[
            _condition(ConditionType.READY, _truth(ready), reason, message),
            _condition(ConditionType.PROGRESSING, _truth(progressing), reason, message),
            _condition(ConditionType.DEGRADED, _truth(degraded), reason, message),
        ],
        observed_generation=resource.generation,
        observed=observed.dump() if observed is not None else dict(resource.status.observed),
        last_error=last_error,
        next_retry_at=next_retry_at,
    )


def _truth(value: bool) -> ConditionStatus:
    return "True" if value else "False"


def error_status(
    resource: Resource, reason: Reason, message: str, *, phase: Phase, retry_in_s: float | None
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
        last_error=message,
        next_retry_at=next_retry,
    )


def observed_as(resource: Resource, model: type[ObservedT]) -> ObservedT:
    """`resource`'s observed facts, typed as its kind's model."""
    return model.read(resource.status.observed)


def is_ready(resource: Resource) -> bool:
    condition = resource.status.condition(ConditionType.READY)
    return (
        condition is not None
        and condition.status == "True"
        and resource.status.observed_generation == resource.generation
    )

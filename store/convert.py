"""ORM rows to the pydantic models of `store.types`, and back for status.

The one place that knows both shapes, so that `store.repository` and `store.apply` hand out
`Resource`, `Event`, ... and no ORM row ever leaves `store/`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dockform.store.orm import (
    EventRow,
    ResourceRow,
    ResourceStatusRow,
    RevisionRow,
    SourceRow,
    as_utc,
)
from dockform.store.types import (
    Condition,
    Event,
    Pin,
    Resource,
    ResourceStatus,
    Revision,
    SourceRecord,
)


def to_status(row: ResourceStatusRow | None) -> ResourceStatus:
    if row is None:
        return ResourceStatus()
    return ResourceStatus(
        phase=row.phase,
        reason=row.reason,
        message=row.message,
        conditions=[Condition.model_validate(item) for item in row.conditions],
        observed_generation=row.observed_generation,
        observed=row.observed,
        last_error=row.last_error,
        next_retry_at=row.next_retry_at,
        updated_at=row.updated_at,
    )


def to_resource(row: ResourceRow, status: ResourceStatusRow | None) -> Resource:
    return Resource(
        kind=row.kind,
        name=row.name,
        namespace=row.namespace,
        spec=row.spec,
        spec_hash=row.spec_hash,
        labels=row.labels,
        annotations=row.annotations,
        generation=row.generation,
        resource_version=row.resource_version,
        source=row.source,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deletion_requested_at=row.deletion_requested_at,
        pin=Pin.model_validate(row.pin) if row.pin else None,
        status=to_status(status),
    )


def to_event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        type=row.type,
        reason=row.reason,
        message=row.message,
        kind=row.kind,
        name=row.name,
        namespace=row.namespace,
        count=row.count,
        first_time=row.first_time,
        last_time=row.last_time,
        reconcile_id=row.reconcile_id,
    )


def to_revision(row: RevisionRow) -> Revision:
    return Revision(
        kind=row.kind,
        name=row.name,
        namespace=row.namespace,
        generation=row.generation,
        spec=row.spec,
        spec_hash=row.spec_hash,
        source=row.source,
        created_at=row.created_at,
    )


def to_source(row: SourceRow, objects: list[str]) -> SourceRecord:
    return SourceRecord(
        name=row.name,
        type=row.type,
        path=row.path,
        revision=row.revision,
        last_applied_at=row.last_applied_at,
        last_error=row.last_error,
        objects=objects,
        updated_at=row.updated_at,
    )


def normalise_status(
    status: ResourceStatus, stored: ResourceStatus, now: datetime
) -> ResourceStatus:
    """`status` as it will read back from the database, with transition times carried over.

    A condition whose status did not change keeps the stored lastTransitionTime, so callers
    can build conditions from scratch on every pass; a changed one gets the caller's time or
    `now`. The JSON round trip makes `same_as` compare what would be stored, not tuples
    against lists or naive against aware datetimes.
    """
    conditions: list[Condition] = []
    for condition in status.conditions:
        previous = stored.condition(condition.type)
        if previous is not None and previous.status == condition.status:
            when = previous.last_transition_time or condition.last_transition_time or now
        else:
            when = condition.last_transition_time or now
        conditions.append(condition.model_copy(update={"last_transition_time": as_utc(when)}))
    retry = status.next_retry_at
    updated = status.model_copy(
        update={
            "conditions": conditions,
            "next_retry_at": None if retry is None else as_utc(retry),
        }
    )
    return ResourceStatus.model_validate_json(updated.model_dump_json())


def status_columns(status: ResourceStatus) -> dict[str, Any]:
    """The resource_status columns for `status` (already normalised)."""
    return {
        "phase": status.phase,
        "reason": status.reason,
        "message": status.message,
        "conditions": [condition.model_dump(mode="json") for condition in status.conditions],
        "observed_generation": status.observed_generation,
        "observed": status.model_dump(mode="json")["observed"],
        "last_error": status.last_error,
        "next_retry_at": status.next_retry_at,
    }

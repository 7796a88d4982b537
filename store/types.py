"""What the store hands out: pydantic models, never ORM rows.

The API serialises these directly (camelCase), the controller reads `Resource` and writes
`ResourceStatus`, and sources read `SourceRecord`. ORM classes stay inside `store/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from pydantic.alias_generators import to_camel

from dockform.manifests.namespaces import DEFAULT_NAMESPACE, ObjectKey, engine_name
from dockform.manifests.redaction import redact_spec
from dockform.manifests.status import EventType


class StoreModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


ConditionStatus = Literal["True", "False", "Unknown"]


class Condition(StoreModel):
    type: str  # Ready | Progressing | Degraded
    status: ConditionStatus
    reason: str = ""
    message: str = ""
    last_transition_time: datetime | None = None


class ResourceStatus(StoreModel):
    phase: str = "Pending"
    reason: str = ""
    message: str = ""
    conditions: list[Condition] = Field(default_factory=list)
    observed_generation: int = 0
    # What the controller last saw of the kind's runtime object: the JSON of the kind's
    # typed model in manifests.status (ContainerObserved, ImageObserved, ...), which the
    # controller writes and reads; the store keeps it as it is.
    observed: dict[str, Any] = Field(default_factory=dict)
    last_error: str | None = None
    next_retry_at: datetime | None = None
    updated_at: datetime | None = None

    def same_as(self, other: ResourceStatus) -> bool:
        """Equal ignoring the write time: used to skip writes that change nothing."""
        mine = self.model_dump(exclude={"updated_at"})
        theirs = other.model_dump(exclude={"updated_at"})
        return mine == theirs

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)


@dataclass(frozen=True)
class StatusRead:
    """A status as a caller read it, and the store's `data_version` read before it."""

    status: ResourceStatus
    data_version: int


class Pin(StoreModel):
    """A rollback's pin: the object runs generation `generation` (a copy of revision
    `rolled_back_to`), and its source's apply does not overwrite it while it brings what the
    source had applied before (`source_spec_hash`, at `source_generation`, source revision
    `source_revision`). `dockform unpin` or new content from the source ends it."""

    generation: int
    rolled_back_to: int
    source_generation: int
    source_spec_hash: str
    source_revision: str | None = None
    at: datetime


class Resource(StoreModel):
    kind: str
    name: str
    namespace: str = DEFAULT_NAMESPACE
    spec: dict[str, Any]
    spec_hash: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    generation: int = 1
    resource_version: int = 1
    source: str = "cli"
    created_at: datetime
    updated_at: datetime
    deletion_requested_at: datetime | None = None
    pin: Pin | None = None
    status: ResourceStatus = Field(default_factory=ResourceStatus)

    @field_serializer("spec")
    def _shown_spec(self, spec: dict[str, Any]) -> dict[str, Any]:
        # Every serialised Resource (API reads, lists, deletions, streams) leaves a Secret's
        # sealed content out; `spec` itself keeps it for the controller.
        return redact_spec(self.kind, spec)

    @property
    def deleting(self) -> bool:
        return self.deletion_requested_at is not None

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.kind, self.namespace, self.name)

    @property
    def engine_name(self) -> str:
        """The name of its Docker object: bare in `default`, `{namespace}_{name}` else."""
        return engine_name(self.namespace, self.name)


class Event(StoreModel):
    id: int
    type: EventType
    reason: str
    message: str
    kind: str
    name: str
    namespace: str = DEFAULT_NAMESPACE
    count: int = 1
    first_time: datetime
    last_time: datetime
    reconcile_id: str | None = None  # the controller pass that recorded it (logs carry it too)


class Revision(StoreModel):
    kind: str
    name: str
    namespace: str = DEFAULT_NAMESPACE
    generation: int
    spec: dict[str, Any]
    spec_hash: str
    source: str
    created_at: datetime


class NamespaceSummary(StoreModel):
    name: str
    objects: int  # how many objects of any kind it holds
    phases: dict[str, int] = Field(default_factory=dict)  # how many are in each phase


class SourceRecord(StoreModel):
    name: str  # cli | dir:<relative path> | git:<GitSource name>
    type: str  # cli | dir | git
    path: str | None = None
    revision: str | None = None  # git commit, or file content hash
    last_applied_at: datetime | None = None
    last_error: str | None = None
    objects: list[str] = Field(default_factory=list)  # "Kind/name" (or Kind/namespace/name)
    updated_at: datetime | None = None

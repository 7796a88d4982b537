"""The shapes the API answers with, so /openapi.json describes every response.

Resources, events and sources are the store's own pydantic models (`store.types`); this module
adds the envelopes around them, the apply and diff results and the error body. Field names are
camelCase on the wire, like the manifests.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from dockform.manifests.errors import SEMANTIC_REASONS, SemanticReason
from dockform.manifests.namespaces import DEFAULT_NAMESPACE
from dockform.store.types import Event, NamespaceSummary, Resource, SourceRecord


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Issue(ApiModel):
    """One problem at one place: a manifest field, or a request parameter."""

    file: str | None = None
    document: int | None = Field(default=None, description="1-based YAML document index")
    line: int | None = None
    path: str = Field(default="", description="field path, e.g. spec.ports[0].hostPort")
    message: str
    kind: str | None = None
    name: str | None = None
    reason: SemanticReason | None = Field(
        default=None,
        description="Set when the rule broken is one no JSON Schema states (so a body valid "
        f"by the document's schema can still break it): {', '.join(SEMANTIC_REASONS)}",
    )


class ErrorBody(ApiModel):
    error: str = Field(description="what went wrong and what to do")
    issues: list[Issue] = Field(default_factory=list)


class ResourceList(ApiModel):
    kind: str
    items: list[Resource]


class DeleteAccepted(ApiModel):
    kind: str
    name: str
    namespace: str = DEFAULT_NAMESPACE
    status: Literal["deleting"] = "deleting"
    resource: Resource


class NamespaceList(ApiModel):
    items: list[NamespaceSummary]


class NamespaceDeleteAccepted(ApiModel):
    name: str
    status: Literal["deleting"] = "deleting"
    objects: list[str] = Field(description="Kind/name of every object being deleted")


ApplyAction = Literal["created", "configured", "unchanged", "pruned"]


class ApplyResult(ApiModel):
    kind: str
    name: str
    namespace: str = DEFAULT_NAMESPACE
    action: ApplyAction
    generation: int


class ApplyResponse(ApiModel):
    dry_run: bool
    changed: bool = Field(description="true when any object was (or would be) changed")
    results: list[ApplyResult]


class ObjectMetadata(ApiModel):
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    source: str | None = None


class DiffResult(ApplyResult):
    old: dict[str, Any] | None = Field(description="the stored spec; null for a new object")
    new: dict[str, Any] | None = Field(description="the spec apply would store; null if pruned")
    old_metadata: ObjectMetadata | None = None
    new_metadata: ObjectMetadata | None = None


class DiffResponse(ApiModel):
    dry_run: Literal[True] = True
    changed: bool
    results: list[DiffResult]


class EventList(ApiModel):
    items: list[Event]


class SourceList(ApiModel):
    items: list[SourceRecord]


class Health(ApiModel):
    status: Literal["ok"] = "ok"


class Leadership(ApiModel):
    """Who reconciles: `single` (a store of its own), or by the shared store's lease."""

    role: Literal["single", "leader", "follower"]
    holder: str | None = Field(None, description="This daemon, on a shared store")
    leader: str | None = Field(None, description="The daemon that holds the lease")
    term: int = 0
    error: str | None = Field(None, description="Why the lease could not be renewed or read")


class Readiness(ApiModel):
    status: Literal["ok", "unavailable"]
    store: bool
    docker: bool
    leadership: Leadership


class VersionInfo(ApiModel):
    version: str
    api_version: str
    python: str
    leadership: Leadership
    # The driver the controller runs on: engine (one Docker Engine) or swarm.
    engine: str = "engine"

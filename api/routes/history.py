"""Revisions, rollback, pins and explain of one object (`dockform history / rollback / unpin
/ explain`), each with its twin under `/v1/namespaces/{namespace}/` (api.twins):

    GET  /v1/{kinds}/{name}/revisions[?spec=true]   every stored revision, what each changed
    POST /v1/{kinds}/{name}/rollback                {"generation": N} (default: the last
                                                    earlier one with another spec), pinned
    POST /v1/{kinds}/{name}/unpin                   the source's spec comes back
    POST /v1/containers/{name}/scale                {"replicas": N}
    GET  /v1/{kinds}/{name}/explain                 why the object runs as it does

A rollback applies revision N's spec as a new generation and pins the object: its source's
applies that bring what it had applied before leave it alone, until `unpin` or new content
from the source (store.pins).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from pydantic import Field

from dockform.api.deps import AppState, StateDep
from dockform.api.errors import WRITE_ERRORS, responses
from dockform.api.models import ApiModel
from dockform.api.routes.resources import KindsPath, NamePath, NamespacePath
from dockform.api.twins import twin
from dockform.manifests.kinds import canonical_kind
from dockform.manifests.models import MAX_REPLICAS
from dockform.store.errors import NotFound
from dockform.store.history import Explanation, History, explain, history
from dockform.store.types import Resource

router = APIRouter(prefix="/v1", tags=["history"])


class ScaleRequest(ApiModel):
    replicas: int = Field(ge=0, le=MAX_REPLICAS, description="how many replicas to run")


class RollbackRequest(ApiModel):
    generation: int | None = Field(
        default=None,
        ge=1,
        description="the revision to go back to (default: the last earlier one whose spec "
        "differs from the current one)",
    )


SpecQuery = Annotated[bool, Query(description="include each revision's spec")]
RollbackBody = Annotated[RollbackRequest | None, Body()]


def _resource(state: AppState, kinds: str, name: str, namespace: str) -> Resource:
    kind = canonical_kind(kinds)
    resource = state.store.get(kind, name, namespace)
    if resource is None:
        raise NotFound(kind, name, namespace)
    return resource


@twin(
    router,
    "GET",
    "/{kinds:kind}/{name}/revisions",
    summary="List an object's revisions and what each changed",
    response_model=History,
    responses=responses(404, 422),
)
def list_revisions(
    namespace: NamespacePath,
    kinds: KindsPath,
    name: NamePath,
    state: StateDep,
    spec: SpecQuery = False,
) -> History:
    resource = _resource(state, kinds, name, namespace)
    return history(resource, state.store.list_revisions(resource.kind, name, namespace), spec)


@twin(
    router,
    "POST",
    "/{kinds:kind}/{name}/rollback",
    summary="Apply an earlier revision as a new generation, pinned against the source",
    response_model=Resource,
    responses=responses(400, 404, 409, 422, *WRITE_ERRORS),
)
def rollback(
    namespace: NamespacePath,
    kinds: KindsPath,
    name: NamePath,
    state: StateDep,
    body: RollbackBody = None,
) -> Resource:
    to = body.generation if body else None
    return state.applier.rollback(canonical_kind(kinds), name, namespace, to)


@twin(
    router,
    "POST",
    "/{kinds:kind}/{name}/unpin",
    summary="End a rollback's pin: the source's spec comes back",
    response_model=Resource,
    responses=responses(404, 409, 422, *WRITE_ERRORS),
)
def unpin(namespace: NamespacePath, kinds: KindsPath, name: NamePath, state: StateDep) -> Resource:
    return state.applier.unpin(canonical_kind(kinds), name, namespace)


@twin(
    router,
    "POST",
    "/{kinds:kind}/{name}/scale",
    summary="Set a Container's replicas (a new generation; no running replica is replaced)",
    response_model=Resource,
    responses=responses(400, 404, 409, 422, *WRITE_ERRORS),
)
def scale(
    namespace: NamespacePath,
    kinds: KindsPath,
    name: NamePath,
    body: ScaleRequest,
    state: StateDep,
) -> Resource:
    return state.applier.scale(canonical_kind(kinds), name, body.replicas, namespace)


@twin(
    router,
    "GET",
    "/{kinds:kind}/{name}/explain",
    summary="Why the object runs as it does (what made its running container)",
    response_model=Explanation,
    responses=responses(404, 422),
)
def explain_object(
    namespace: NamespacePath, kinds: KindsPath, name: NamePath, state: StateDep
) -> Explanation:
    resource = _resource(state, kinds, name, namespace)
    revisions = state.store.list_revisions(resource.kind, name, namespace)
    events = state.store.list_events(resource.kind, name, limit=50, namespace=namespace)
    return explain(resource, revisions, events)

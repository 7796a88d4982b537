"""Revisions, rollback, pins and explain of one object (`dockform history / rollback / unpin
/ explain`), each with its twin under `/v1/namespaces/{namespace}/`:

    GET  /v1/{kinds}/{name}/revisions[?spec=true]   every stored revision, what each changed
    POST /v1/{kinds}/{name}/rollback                {"generation": N} (default: the last
                                                    earlier one with another spec), pinned
    POST /v1/{kinds}/{name}/unpin                   the source's spec comes back
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
from dockform.manifests.kinds import canonical_kind
from dockform.manifests.namespaces import DEFAULT_NAMESPACE
from dockform.store.errors import NotFound
from dockform.store.history import Explanation, History, explain, history
from dockform.store.types import Resource

router = APIRouter(prefix="/v1", tags=["history"])


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


def _history(state: AppState, kinds: str, name: str, namespace: str, spec: bool) -> History:
    resource = _resource(state, kinds, name, namespace)
    revisions = state.store.list_revisions(resource.kind, name, namespace)
    return history(resource, revisions, spec)


def _explain(state: AppState, kinds: str, name: str, namespace: str) -> Explanation:
    resource = _resource(state, kinds, name, namespace)
    return explain(resource, state.store.list_revisions(resource.kind, name, namespace))


def _rollback(
    state: AppState, kinds: str, name: str, namespace: str, body: RollbackRequest | None
) -> Resource:
    kind = canonical_kind(kinds)
    return state.applier.rollback(kind, name, namespace, body.generation if body else None)


@router.get(
    "/{kinds:kind}/{name}/revisions",
    summary="List an object's revisions and what each changed",
    response_model=History,
    responses=responses(404, 422),
)
def list_revisions(
    kinds: KindsPath, name: NamePath, state: StateDep, spec: SpecQuery = False
) -> History:
    return _history(state, kinds, name, DEFAULT_NAMESPACE, spec)


@router.get(
    "/namespaces/{namespace}/{kinds:kind}/{name}/revisions",
    summary="List the revisions of an object of a namespace",
    response_model=History,
    responses=responses(404, 422),
)
def list_namespaced_revisions(
    namespace: NamespacePath,
    kinds: KindsPath,
    name: NamePath,
    state: StateDep,
    spec: SpecQuery = False,
) -> History:
    return _history(state, kinds, name, namespace, spec)


@router.post(
    "/{kinds:kind}/{name}/rollback",
    summary="Apply an earlier revision as a new generation, pinned against the source",
    response_model=Resource,
    responses=responses(404, 422, *WRITE_ERRORS),
)
def rollback(
    kinds: KindsPath, name: NamePath, state: StateDep, body: RollbackBody = None
) -> Resource:
    return _rollback(state, kinds, name, DEFAULT_NAMESPACE, body)


@router.post(
    "/namespaces/{namespace}/{kinds:kind}/{name}/rollback",
    summary="Roll back an object of a namespace",
    response_model=Resource,
    responses=responses(404, 422, *WRITE_ERRORS),
)
def rollback_namespaced(
    namespace: NamespacePath,
    kinds: KindsPath,
    name: NamePath,
    state: StateDep,
    body: RollbackBody = None,
) -> Resource:
    return _rollback(state, kinds, name, namespace, body)


@router.post(
    "/{kinds:kind}/{name}/unpin",
    summary="End a rollback's pin: the source's spec comes back",
    response_model=Resource,
    responses=responses(404, 422, *WRITE_ERRORS),
)
def unpin(kinds: KindsPath, name: NamePath, state: StateDep) -> Resource:
    return state.applier.unpin(canonical_kind(kinds), name, DEFAULT_NAMESPACE)


@router.post(
    "/namespaces/{namespace}/{kinds:kind}/{name}/unpin",
    summary="End the pin of an object of a namespace",
    response_model=Resource,
    responses=responses(404, 422, *WRITE_ERRORS),
)
def unpin_namespaced(
    namespace: NamespacePath, kinds: KindsPath, name: NamePath, state: StateDep
) -> Resource:
    return state.applier.unpin(canonical_kind(kinds), name, namespace)


@router.get(
    "/{kinds:kind}/{name}/explain",
    summary="Why the object runs as it does (what made its running container)",
    response_model=Explanation,
    responses=responses(404, 422),
)
def explain_object(kinds: KindsPath, name: NamePath, state: StateDep) -> Explanation:
    return _explain(state, kinds, name, DEFAULT_NAMESPACE)


@router.get(
    "/namespaces/{namespace}/{kinds:kind}/{name}/explain",
    summary="Why an object of a namespace runs as it does",
    response_model=Explanation,
    responses=responses(404, 422),
)
def explain_namespaced(
    namespace: NamespacePath, kinds: KindsPath, name: NamePath, state: StateDep
) -> Explanation:
    return _explain(state, kinds, name, namespace)

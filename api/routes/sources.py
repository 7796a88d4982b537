"""`GET /v1/sources`: every source that applied objects (the CLI, watched files, git sources),
with what it applied, when, its last error and the objects it owns; `GET /v1/sources/{name}`
for one. `POST /v1/gitsources/{name}/sync`: fetch a GitSource now (for webhooks).

The sync route only asks (`Controller.request_sync`): the GitSource reconciler fetches on its
next pass, at once, without waiting for its interval. The answer is 202; the result shows in
the GitSource's status (`commit`, `fetchedAt`) and events. Without a controller it is a 503.
Forges call `POST /v1/gitsources/{name}/webhook` instead (`api.routes.webhooks`): signed, with
no bearer token.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path

from dockform.api.deps import AppState, StateDep, StoreDep
from dockform.api.errors import ApiError, responses
from dockform.api.models import ApiModel, SourceList
from dockform.api.routes.resources import NamespacePath
from dockform.manifests.models import NAME_MAX_LENGTH, NAME_PATTERN
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, display
from dockform.store.errors import NotFound
from dockform.store.types import SourceRecord

router = APIRouter(prefix="/v1", tags=["sources"])

GIT_SOURCE = "GitSource"


class SyncAccepted(ApiModel):
    kind: str = GIT_SOURCE
    name: str
    status: Literal["sync requested"] = "sync requested"
    commit: str | None = None  # the commit applied before this sync


@router.get("/sources", summary="Every source and the objects it owns", response_model=SourceList)
def list_sources(store: StoreDep) -> SourceList:
    return SourceList(items=store.list_sources())


@router.get(
    "/sources/{name:path}",
    summary="One source: cli, dir:<file> or git:<name>",
    response_model=SourceRecord,
    responses=responses(404),
)
def get_source(name: str, store: StoreDep) -> SourceRecord:
    record = store.get_source(name)
    if record is None:
        raise ApiError(404, f"source {name[:200]!r} not found; GET /v1/sources lists them")
    return record


GitSourceName = Annotated[
    str, Path(pattern=NAME_PATTERN, max_length=NAME_MAX_LENGTH, description="GitSource name")
]


@router.post(
    "/gitsources/{name}/sync",
    status_code=202,
    summary="Fetch a GitSource now (webhook)",
    response_model=SyncAccepted,
    responses=responses(404, 409, 422, 503),
)
def sync_gitsource(name: GitSourceName, state: StateDep) -> SyncAccepted:
    """Ask the controller to fetch and apply the GitSource at once, not at its next interval."""
    return request_sync(state, name, DEFAULT_NAMESPACE)


@router.post(
    "/namespaces/{namespace}/gitsources/{name}/sync",
    status_code=202,
    summary="Fetch a GitSource of a namespace now (webhook)",
    response_model=SyncAccepted,
    responses=responses(404, 409, 422, 503),
)
def sync_namespaced_gitsource(
    namespace: NamespacePath, name: GitSourceName, state: StateDep
) -> SyncAccepted:
    """Ask the controller to fetch and apply the GitSource at once, not at its next interval."""
    return request_sync(state, name, namespace)


def request_sync(state: AppState, name: str, namespace: str) -> SyncAccepted:
    """Ask the controller to fetch the GitSource now (the sync route's and the webhooks')."""
    resource = state.store.get(GIT_SOURCE, name, namespace)
    shown = display(GIT_SOURCE, namespace, name)
    if resource is None:
        raise NotFound(GIT_SOURCE, name, namespace)
    if resource.deleting:
        raise ApiError(409, f"{shown} is being deleted")
    if resource.spec.get("suspend"):
        raise ApiError(409, f"{shown} is suspended: set spec.suspend to false to sync it")
    if state.controller is None:
        raise ApiError(503, "the controller is not running; it does the sync")
    state.controller.request_sync(GIT_SOURCE, name, namespace)
    commit = resource.status.observed.get("commit")
    return SyncAccepted(name=name, commit=str(commit) if commit else None)

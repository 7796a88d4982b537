"""`GET /v1/{kinds}`, `GET /v1/{kinds}/{name}`, `DELETE /v1/{kinds}/{name}`: store reads and
deletion requests. The controller does the teardown; DELETE answers 202 at once.

Every route has a twin under `/v1/namespaces/{namespace}/`; the short paths mean namespace
`default` (as before namespaces existed), and `GET /v1/{kinds}?allNamespaces=true` lists
every namespace (as `kubectl get -A`). `GET /v1/namespaces` counts each namespace's objects
by phase, and `DELETE /v1/namespaces/{namespace}` requests deletion of all of them.

`kinds` is a kind name as `manifests.kinds` reads it (documented as the plural lowercase
names; an unknown one is a 404 naming the known ones) and `name` must be a DNS label (else
422), so no path reaches the store unchecked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from dockform.api.deps import AppState, StateDep
from dockform.api.errors import WRITE_ERRORS, ApiError, responses
from dockform.api.kind_params import KINDS_IN_PATHS, kind_path_schema
from dockform.api.models import (
    DeleteAccepted,
    NamespaceDeleteAccepted,
    NamespaceList,
    ResourceList,
)
from dockform.api.twins import twin
from dockform.manifests.kinds import canonical_kind
from dockform.manifests.labels import LabelSyntaxError, parse_labels
from dockform.manifests.models import NAME_MAX_LENGTH, NAME_PATTERN
from dockform.manifests.namespaces import DEFAULT_NAMESPACE
from dockform.store.errors import NotFound
from dockform.store.repository import Store
from dockform.store.types import Resource

router = APIRouter(prefix="/v1", tags=["resources"])


# Documented and matched as the pattern of api.kind_params: the router only takes these
# segments as kinds, so other paths under /v1 (a GET of /v1/token/rotate) are not swallowed.
KindsPath = Annotated[
    str,
    Path(
        max_length=64,
        description="Kind: " + ", ".join(KINDS_IN_PATHS) + " (singular and any case too)",
        json_schema_extra=kind_path_schema(),
    ),
]
NamePath = Annotated[
    str,
    Path(
        pattern=NAME_PATTERN,
        max_length=NAME_MAX_LENGTH,
        description="Object name (lowercase letters, digits, -, _ and .)",
        examples=["web"],
    ),
]
NamespacePath = Annotated[
    str,
    Path(
        pattern=NAME_PATTERN,
        max_length=NAME_MAX_LENGTH,
        description="Namespace (the short paths without one mean `default`)",
        examples=["default"],
    ),
]
AllNamespacesQuery = Annotated[
    bool,
    Query(
        alias="allNamespaces",
        description="List the objects of every namespace instead of `default` alone",
    ),
]
# What `parse_labels` accepts, for the document: comma-separated pairs, each with `=` and a
# key that is not blank (the value may hold `=`). Python's `\s` is exactly what strip() drops.
_PAIR = r"[^,=]*[^,=\s][^,=]*=[^,]*"
LABEL_SELECTOR_PATTERN = f"^{_PAIR}(?:,{_PAIR})*$"
LabelQuery = Annotated[
    list[str],
    Query(
        max_length=64,
        description="Label selector key=value; repeat, or separate with commas, for AND.",
        examples=[["app=web"]],
        json_schema_extra={"items": {"type": "string", "pattern": LABEL_SELECTOR_PATTERN}},
    ),
]


def _selector(label: list[str]) -> dict[str, str]:
    """`?label=app=web&label=tier=front` (or `app=web,tier=front`) -> {"app": "web", ...}."""
    try:
        return parse_labels(label)
    except LabelSyntaxError as error:
        raise ApiError(
            400, str(error), [{"path": "label", "message": "expected key=value"}]
        ) from error


@router.get(
    "/{kinds:kind}",
    summary="List objects of a kind (namespace default, or all with allNamespaces=true)",
    response_model=ResourceList,
    responses=responses(400, 404, 422),
)
def list_objects(
    kinds: KindsPath,
    state: StateDep,
    label: LabelQuery = [],  # noqa: B006 - FastAPI copies defaults
    all_namespaces: AllNamespacesQuery = False,
) -> Response:
    return _list(state, kinds, label, None if all_namespaces else DEFAULT_NAMESPACE)


@router.get(
    "/namespaces/{namespace}/{kinds:kind}",
    summary="List objects of a kind in a namespace",
    response_model=ResourceList,
    responses=responses(400, 404, 422),
)
def list_namespaced_objects(
    namespace: NamespacePath,
    kinds: KindsPath,
    state: StateDep,
    label: LabelQuery = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    return _list(state, kinds, label, namespace)


def _list(state: AppState, kinds: str, label: list[str], namespace: str | None) -> Response:
    kind = canonical_kind(kinds)
    labels = _selector(label)
    version = state.store.data_version  # read before the data: see api.response_cache
    body = state.list_cache.get_or_render(
        (kind, namespace, tuple(sorted(labels.items()))),
        version,
        lambda: (
            ResourceList(
                kind=kind,
                items=state.store.list(kind, labels=labels or None, namespace=namespace),
            )
            .model_dump_json(by_alias=True)
            .encode()
        ),
    )
    return Response(content=body, media_type="application/json")


@twin(
    router,
    "GET",
    "/{kinds:kind}/{name}",
    summary="Get one object with its status",
    response_model=Resource,
    responses=responses(404, 422),
)
async def get_object(
    namespace: NamespacePath, kinds: KindsPath, name: NamePath, state: StateDep
) -> Response:
    return _get(state, kinds, name, namespace)


def _get(state: AppState, kinds: str, name: str, namespace: str) -> Response:
    # On the event loop, with no threadpool hop: a cached answer costs a dict lookup, and a
    # miss one indexed SQLite read (~0.35 ms; WAL readers never wait for writers). Sixteen
    # concurrent misses queued behind the GIL in the threadpool took ten times longer.
    kind = canonical_kind(kinds)
    version = state.store.data_version  # read before the data: see api.response_cache
    body = state.object_cache.get_or_render(
        (kind, namespace, name),
        version,
        lambda: _render_object(state.store, kind, name, namespace),
    )
    return Response(content=body, media_type="application/json")


def _render_object(store: Store, kind: str, name: str, namespace: str) -> bytes:
    resource = store.get(kind, name, namespace)
    if resource is None:
        raise NotFound(kind, name, namespace)
    return resource.model_dump_json(by_alias=True).encode()


@twin(
    router,
    "DELETE",
    "/{kinds:kind}/{name}",
    status_code=202,
    summary="Request deletion of an object",
    response_model=DeleteAccepted,
    responses=responses(404, 422, *WRITE_ERRORS),
)
def delete_object(
    namespace: NamespacePath, kinds: KindsPath, name: NamePath, state: StateDep
) -> DeleteAccepted:
    """Mark the object for deletion; the controller tears it down, then it disappears."""
    return _delete(state, kinds, name, namespace)


def _delete(state: AppState, kinds: str, name: str, namespace: str) -> DeleteAccepted:
    kind = canonical_kind(kinds)
    resource = state.applier.request_deletion(kind, name, namespace)
    return DeleteAccepted(kind=kind, name=name, namespace=namespace, resource=resource)


@router.get(
    "/namespaces",
    summary="Every namespace that holds objects, with their count by phase",
    response_model=NamespaceList,
    tags=["namespaces"],
)
def list_namespaces(state: StateDep) -> NamespaceList:
    return NamespaceList(items=state.store.namespaces())


@router.delete(
    "/namespaces/{namespace}",
    status_code=202,
    summary="Delete every object of a namespace, in reverse dependency order",
    response_model=NamespaceDeleteAccepted,
    responses=responses(404, 422, *WRITE_ERRORS),
    tags=["namespaces"],
)
def delete_namespace(namespace: NamespacePath, state: StateDep) -> NamespaceDeleteAccepted:
    """Mark all of the namespace's objects for deletion, whichever source applied them. The
    controller tears them down in reverse dependency order (containers before the networks
    and volumes they use); Volumes keep or lose their data by their reclaimPolicy. A source
    that applies them again brings them back."""
    results = state.applier.delete_namespace(namespace)
    return NamespaceDeleteAccepted(
        name=namespace, objects=sorted(f"{result.kind}/{result.name}" for result in results)
    )

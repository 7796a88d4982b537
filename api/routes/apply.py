"""`POST /v1/apply` and `POST /v1/diff`: one code path (`Applier.apply`); a dry run and a diff
run it to the end and roll back, so they refuse exactly what apply would and write nothing.

Before the store sees anything, the body is read within its size limit and loaded
(`api.body`), and the host-access policy (`manifests.policy`) is checked: host powers, and
host paths outside the request's `root` directories (`api.apply_roots`) and the daemon's
--host-path-root directories, are a 403 naming each field and path, unless the daemon allows
host access.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from dockform.api.apply_roots import Roots, trusted_roots
from dockform.api.body import REQUEST_BODY_DOC, ManifestBody, read_manifests
from dockform.api.deps import AppState, StateDep
from dockform.api.errors import WRITE_ERRORS, ApiError, responses
from dockform.api.models import ApplyResponse, ApplyResult, DiffResponse, DiffResult, ObjectMetadata
from dockform.manifests import source_names
from dockform.manifests.errors import SEMANTIC_REASONS
from dockform.manifests.namespaces import ObjectKey
from dockform.manifests.policy import ALLOW_FLAG, host_access_issues
from dockform.store.apply import ApplyRequest, ObjectResult
from dockform.store.types import Resource

router = APIRouter(prefix="/v1", tags=["apply"])

DryRun = Annotated[
    bool, Query(alias="dryRun", description="Run everything, write nothing, report the results.")
]
Prune = Annotated[bool, Query(description="Delete this source's objects that are not in the body.")]
AllowEmpty = Annotated[
    bool,
    Query(alias="allowEmpty", description="Let prune delete every object of the source."),
]
Force = Annotated[bool, Query(description="Take over objects owned by another source.")]
Source = Annotated[
    str,
    Query(
        pattern=source_names.PATTERN,
        max_length=source_names.MAX_LENGTH,
        description=f"Who applies: {source_names.DESCRIPTION}. Prune only touches its objects.",
    ),
]

_ERRORS = responses(400, 403, 409, 413, 415, 422, *WRITE_ERRORS)
# A body valid by the document's schema is accepted (2xx) or refused for host access (403), for
# another source's object or a stale resourceVersion (409), or for a rule no JSON Schema can
# state: a 422 whose every issue names it in `reason` (manifests.errors.SEMANTIC_REASONS).
_ERRORS[422] = {
    **_ERRORS[422],
    "description": "Invalid manifests or request parameters. A body the schema allows is "
    "refused with 422 only for a rule no JSON Schema can state, and then every issue names "
    f"it in `reason`: {', '.join(SEMANTIC_REASONS)} (a dependency cycle, a Container "
    "depending on itself included; one kind/name twice in the body; a ulimit's soft limit "
    "above its hard one)",
}


def check_host_access(state: AppState, body: ManifestBody, roots: list[str]) -> None:
    if state.allow_host_access:
        return
    issues = host_access_issues(
        body.manifests, {body.filename: body.text}, [*roots, *state.host_path_roots]
    )
    if not issues:
        return
    listed = "\n".join(str(issue) for issue in issues)
    raise ApiError(
        403,
        f"{len(issues)} host-access setting(s) refused, nothing was applied; the daemon "
        f"allows them only when started with {ALLOW_FLAG}\n{listed}",
        [issue.to_dict() for issue in issues],
    )


async def run_apply(
    state: AppState, body: ManifestBody, request: ApplyRequest, roots: list[str]
) -> list[ObjectResult]:
    # Resolving host paths asks the filesystem: off the event loop too.
    await run_in_threadpool(check_host_access, state, body, roots)
    # The store blocks on SQLite's write lock: keep that off the event loop.
    return await run_in_threadpool(state.applier.apply, request)


def _result(result: ObjectResult) -> ApplyResult:
    return ApplyResult(
        kind=result.kind,
        name=result.name,
        namespace=result.namespace,
        action=result.action,
        generation=result.generation,
    )


@router.post(
    "/apply",
    summary="Apply manifests (YAML or JSON body)",
    response_model=ApplyResponse,
    responses=_ERRORS,
    openapi_extra={"requestBody": REQUEST_BODY_DOC},
)
async def apply_manifests(
    request: Request,
    state: StateDep,
    dry_run: DryRun = False,
    prune: Prune = False,
    allow_empty: AllowEmpty = False,
    force: Force = False,
    source: Source = source_names.CLI,
    root: Roots = None,
) -> ApplyResponse:
    """Create, configure or leave unchanged every object in the body, all or nothing.

    Each result's action is created, configured, unchanged or pruned.
    """
    roots = trusted_roots(request, root)
    body = await read_manifests(request, state.max_body_bytes, prune=prune)
    results = await run_apply(
        state,
        body,
        ApplyRequest(
            manifests=body.manifests,
            source=source,
            prune=prune,
            allow_empty=allow_empty,
            force=force,
            dry_run=dry_run,
        ),
        roots,
    )
    return ApplyResponse(
        dry_run=dry_run,
        changed=any(result.changed for result in results),
        results=[_result(result) for result in results],
    )


@router.post(
    "/diff",
    summary="What apply would change, with old and new specs",
    response_model=DiffResponse,
    responses=_ERRORS,
    openapi_extra={"requestBody": REQUEST_BODY_DOC},
)
async def diff_manifests(
    request: Request,
    state: StateDep,
    prune: Prune = False,
    allow_empty: AllowEmpty = False,
    force: Force = False,
    source: Source = source_names.CLI,
    root: Roots = None,
) -> DiffResponse:
    """A dry-run apply with the same parameters, answering old and new spec and metadata."""
    roots = trusted_roots(request, root)
    body = await read_manifests(request, state.max_body_bytes, prune=prune)
    results = await run_apply(
        state,
        body,
        ApplyRequest(
            manifests=body.manifests,
            source=source,
            prune=prune,
            allow_empty=allow_empty,
            force=force,
            dry_run=True,
        ),
        roots,
    )
    desired = {
        loaded.key: ObjectMetadata(
            labels=dict(loaded.manifest.metadata.labels),
            annotations=dict(loaded.manifest.metadata.annotations),
            source=source,
        )
        for loaded in body.manifests
    }
    stored = await run_in_threadpool(_stored, state, results)
    items = []
    for result in results:
        current = stored.get(result.key)
        items.append(
            DiffResult(
                **_result(result).model_dump(),
                old=result.old_spec,
                new=result.new_spec,
                old_metadata=None if current is None else _metadata(current),
                new_metadata=desired.get(result.key),
            )
        )
    return DiffResponse(changed=any(result.changed for result in results), results=items)


def _stored(state: AppState, results: list[ObjectResult]) -> dict[ObjectKey, Resource]:
    found = {}
    for result in results:
        resource = state.store.get(result.kind, result.name, result.namespace)
        if resource is not None:
            found[resource.key] = resource
    return found


def _metadata(resource: Resource) -> ObjectMetadata:
    return ObjectMetadata(
        labels=resource.labels, annotations=resource.annotations, source=resource.source
    )

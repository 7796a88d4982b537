"""`GET /v1/[namespaces/{namespace}/]containers/{name}/logs` and `.../jobs/{name}/logs`: the
output of a Container's or a Job's container, through the controller facade (the API itself never
talks to Docker). Plain text, stdout and stderr interleaved as written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from dockform.api.deps import AppState, StateDep
from dockform.api.errors import ApiError, responses
from dockform.api.routes.resources import NamePath, NamespacePath
from dockform.api.streams import log_stream
from dockform.api.twins import twin
from dockform.controller.facade import NoLogs
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, display

router = APIRouter(prefix="/v1", tags=["logs"])


_LOGS_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The log text; with follow=true it streams until the container "
        "stops or the client goes",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    **responses(404, 422, 503),
}
TailQuery = Annotated[int | None, Query(ge=0, le=100_000, description="Only the last N lines")]
FollowQuery = Annotated[bool, Query(description="Keep streaming new output")]


_JOB_LOGS_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The log text of the Job's container (404 once ttlAfterFinished "
        "removed it: its last lines stay in status.observed.outputTail); with follow=true "
        "it streams until the container stops or the client goes",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    **responses(404, 422, 503),
}


@twin(
    router,
    "GET",
    "/containers/{name}/logs",
    summary="Container output (stdout and stderr)",
    response_class=StreamingResponse,
    responses=_LOGS_DOC,
)
async def container_logs(
    request: Request,
    namespace: NamespacePath,
    name: NamePath,
    state: StateDep,
    tail: TailQuery = None,
    follow: FollowQuery = False,
) -> StreamingResponse:
    chunks = await run_in_threadpool(_open_logs, state, "Container", name, tail, follow, namespace)
    return StreamingResponse(log_stream(request, state, chunks), media_type="text/plain")


@twin(
    router,
    "GET",
    "/jobs/{name}/logs",
    summary="Job output (stdout and stderr of its container)",
    response_class=StreamingResponse,
    responses=_JOB_LOGS_DOC,
)
async def job_logs(
    request: Request,
    namespace: NamespacePath,
    name: NamePath,
    state: StateDep,
    tail: TailQuery = None,
    follow: FollowQuery = False,
) -> StreamingResponse:
    chunks = await run_in_threadpool(_open_logs, state, "Job", name, tail, follow, namespace)
    return StreamingResponse(log_stream(request, state, chunks), media_type="text/plain")


def _open_logs(
    state: AppState, kind: str, name: str, tail: int | None, follow: bool, namespace: str
) -> Iterator[bytes]:
    shown = display(kind, namespace, name)
    if state.store.get(kind, name, namespace) is None:
        raise ApiError(404, f"{shown} not found")
    if state.controller is None:
        raise ApiError(503, "the controller is not running; logs come through it")
    try:
        return state.controller.logs(kind, name, tail, follow, namespace)
    except NoLogs as error:
        describe = f"{kind.lower()}/{name}" + (
            "" if namespace == DEFAULT_NAMESPACE else f" -n {namespace}"
        )
        raise ApiError(404, f"{error}; `dockform describe {describe}` says why") from error
    except Exception as error:
        # The facade's engine errors are runtime types the API must not import (layering):
        # whatever else fails here is the Docker Engine not answering as it should.
        raise ApiError(503, f"cannot read the logs of {shown}: {error}") from error

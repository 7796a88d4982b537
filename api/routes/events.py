"""`GET /v1/events`: recent events from the store, or with `?follow=true` a server-sent event
stream of new ones (`api.streams.event_stream`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import WithJsonSchema
from starlette.concurrency import run_in_threadpool

from dockform.api.deps import AppState, StateDep
from dockform.api.errors import ApiError, responses
from dockform.api.kind_params import KIND_QUERY_PATTERN, is_kind_query
from dockform.api.models import EventList
from dockform.api.routes.resources import NamespacePath
from dockform.api.streams import event_stream
from dockform.manifests.kinds import UnknownKindError, canonical_kind
from dockform.manifests.models import NAME_MAX_LENGTH, NAME_PATTERN

router = APIRouter(prefix="/v1", tags=["events"])

# SQLite integers are signed 64-bit; a larger cursor would overflow inside the driver.
MAX_ID = 2**62

_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Events oldest first; with follow=true a text/event-stream of "
        "`id: <id>` / `data: <event JSON>` messages",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


KindQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Kind, singular or plural, any case; or Source",
        json_schema_extra={"pattern": KIND_QUERY_PATTERN},
    ),
]
NameQuery = Annotated[str | None, Query(max_length=253, description="Object name")]
SinceQuery = Annotated[
    int | None,
    Query(alias="sinceId", ge=0, le=MAX_ID, description="Only events after this id"),
]
LimitQuery = Annotated[int, Query(ge=1, le=1000)]
FollowQuery = Annotated[bool, Query(description="Keep the connection and stream (SSE)")]
LastEventHeader = Annotated[
    int | None,
    Header(alias="Last-Event-ID", ge=0, le=MAX_ID, description="SSE resume cursor"),
    # A header is absent or a number, never null: document it so (FastAPI would say
    # anyOf integer or null, and clients would send `Last-Event-ID: null`).
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_ID}),
]
NamespaceQuery = Annotated[
    str | None,
    Query(
        max_length=NAME_MAX_LENGTH,
        pattern=NAME_PATTERN,
        description="Only events of this namespace (all namespaces when absent)",
    ),
]


@router.get(
    "/events",
    summary="Recent events of every namespace, oldest first; ?follow=true streams new ones",
    response_model=EventList,
    responses={**_STREAM_DOC, **responses(422)},
)
async def list_events(
    request: Request,
    state: StateDep,
    kind: KindQuery = None,
    name: NameQuery = None,
    since_id: SinceQuery = None,
    limit: LimitQuery = 100,
    follow: FollowQuery = False,
    last_event_id: LastEventHeader = None,
    namespace: NamespaceQuery = None,
) -> EventList | StreamingResponse:
    return await _events(
        request, state, kind, name, since_id, limit, follow, last_event_id, namespace
    )


@router.get(
    "/namespaces/{namespace}/events",
    summary="Recent events of one namespace, oldest first; ?follow=true streams new ones",
    response_model=EventList,
    responses={**_STREAM_DOC, **responses(422)},
)
async def list_namespaced_events(
    request: Request,
    state: StateDep,
    namespace: NamespacePath,
    kind: KindQuery = None,
    name: NameQuery = None,
    since_id: SinceQuery = None,
    limit: LimitQuery = 100,
    follow: FollowQuery = False,
    last_event_id: LastEventHeader = None,
) -> EventList | StreamingResponse:
    return await _events(
        request, state, kind, name, since_id, limit, follow, last_event_id, namespace
    )


async def _events(
    request: Request,
    state: AppState,
    kind: str | None,
    name: str | None,
    since_id: int | None,
    limit: int,
    follow: bool,
    last_event_id: int | None,
    namespace: str | None,
) -> EventList | StreamingResponse:
    canonical = _kind(kind)
    if follow:
        return StreamingResponse(
            event_stream(
                request,
                state,
                kind=canonical,
                name=name,
                since_id=since_id if since_id is not None else last_event_id,
                limit=limit,
                namespace=namespace,
            ),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    items = await run_in_threadpool(
        state.store.list_events, canonical, name, since_id, limit, namespace
    )
    return EventList(items=items)


# Watched files are not objects, but their apply errors are events of kind Source.
SOURCE_EVENT_KIND = "Source"


def _kind(text: str | None) -> str | None:
    if not text:
        return None
    if not is_kind_query(text):
        error = UnknownKindError(text[:64])
        raise ApiError(422, str(error), [{"path": "kind", "message": str(error)}])
    if text.strip().lower() in ("source", "sources"):
        return SOURCE_EVENT_KIND
    try:
        return canonical_kind(text)
    except UnknownKindError as error:
        raise ApiError(422, str(error), [{"path": "kind", "message": str(error)}]) from error

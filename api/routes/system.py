"""`/healthz`, `/readyz`, `/version`, `/metrics`, `/v1/events`, container logs."""

from __future__ import annotations

import platform
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import StateDep, StoreDep
from api.errors import ApiError
from controller.facade import NoSuchContainer
from controller.metrics import REGISTRY
from manifests.kinds import canonical_kind

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="The daemon answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Store and Docker reachable")
def readyz(state: StateDep) -> JSONResponse:
    store_ok = state.store.ping()
    engine_ok = state.controller.engine_ok() if state.controller is not None else False
    ready = store_ok and engine_ok
    body = {"status": "ok" if ready else "unavailable", "store": store_ok, "docker": engine_ok}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/version", summary="dockform version")
def version(state: StateDep) -> dict[str, str]:
    return {"version": state.version, "apiVersion": "v1", "python": platform.python_version()}


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
def metrics() -> PlainTextResponse:
    return PlainTextResponse(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/events", summary="Recent events, oldest first")
def events(
    store: StoreDep,
    kind: str | None = Query(default=None, max_length=64),
    name: str | None = Query(default=None, max_length=253),
    since_id: int | None = Query(default=None, alias="sinceId", ge=0),
    limit: int = Query(default=100, ge=1, le=1000),
) -> dict[str, Any]:
    canonical = canonical_kind(kind) if kind else None
    items = store.list_events(kind=canonical, name=name, since_id=since_id, limit=limit)
    return {"items": [item.dump() for item in items]}


@router.get("/v1/containers/{name}/logs", summary="Container output (stdout and stderr)")
def container_logs(
    name: str,
    state: StateDep,
    tail: int | None = Query(default=None, ge=0, le=100_000),
    follow: bool = Query(default=False),
) -> StreamingResponse:
    if state.controller is None:
        raise ApiError(503, "the controller is not running")
    if state.store.get("Container", name) is None:
        raise ApiError(404, f"Container/{name} not found")
    try:
        chunks = state.controller.container_logs(name, tail, follow)
    except NoSuchContainer as error:
        raise ApiError(404, str(error)) from error

    def stream() -> Iterator[bytes]:
        yield from chunks

    return StreamingResponse(stream(), media_type="text/plain")

"""`/healthz`, `/readyz`, `/version`, `/metrics`: what monitors and load balancers ask."""

from __future__ import annotations

import dataclasses
import platform

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from dockform.api.deps import AppState, StateDep
from dockform.api.metrics import exposition
from dockform.api.models import Health, Leadership, Readiness, VersionInfo
from dockform.controller.facade import SINGLE

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="The daemon answers (no token needed)", response_model=Health)
def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    summary="Store and Docker reachable",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "The store or Docker does not answer"}},
)
def readyz(state: StateDep) -> JSONResponse:
    store_ok = state.store.ping()
    engine_ok = state.controller.engine_ok() if state.controller is not None else False
    ready = store_ok and engine_ok
    body = Readiness(
        status="ok" if ready else "unavailable",
        store=store_ok,
        docker=engine_ok,
        leadership=leadership(state),
    )
    return JSONResponse(body.model_dump(by_alias=True), status_code=200 if ready else 503)


@router.get("/version", summary="dockform version", response_model=VersionInfo)
def version(state: StateDep) -> VersionInfo:
    return VersionInfo(
        version=state.version,
        api_version="v1",
        python=platform.python_version(),
        leadership=leadership(state),
        engine=state.engine,
    )


def leadership(state: AppState) -> Leadership:
    info = state.controller.leadership() if state.controller is not None else SINGLE
    return Leadership.model_validate(dataclasses.asdict(info))


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(state: StateDep) -> Response:
    body = await run_in_threadpool(exposition, state)
    return Response(body, media_type=CONTENT_TYPE_LATEST)

"""`GET /v1/token` and `POST /v1/token/rotate`: the TCP listener's bearer token, on the unix
socket only (403 over TCP: whoever holds the token must not be able to mint the next one).

The daemon (`cli.daemon`) hands its `BearerToken` to the app in `AppState.token`; rotating it
here is what `TokenAuth` checks from the next TCP request on. A daemon without a TCP listener
holds no token (409).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from dockform.api.deps import StateDep
from dockform.api.errors import ApiError, disk_full, responses
from dockform.api.models import ApiModel, ErrorBody
from dockform.api.token import LOCAL_LISTENER_KEY, BearerToken

router = APIRouter(prefix="/v1/token", tags=["token"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "Asked over TCP: ask on the unix socket"},
    409: {"model": ErrorBody, "description": "The daemon has no TCP listener, hence no token"},
}


class TokenFile(ApiModel):
    path: str


class TokenValue(TokenFile):
    token: str


def _local_token(request: Request, state: StateDep) -> BearerToken:
    if not request.scope.get(LOCAL_LISTENER_KEY):
        raise ApiError(
            403,
            "the token is shown and rotated only on the daemon's unix socket: run "
            "`dockform token ...` on its host (DOCKFORM_HOST unset or unix://...)",
        )
    if state.token is None or state.token.path is None:
        raise ApiError(
            409,
            "this daemon has no TCP listener, so no token: start it with --listen tcp://HOST:PORT",
        )
    return state.token


@router.get("", summary="The TCP token and its file (unix socket only)", responses=_RESPONSES)
async def show_token(request: Request, state: StateDep) -> TokenValue:
    token = _local_token(request, state)
    return TokenValue(path=str(token.path), token=token.value)


@router.post(
    "/rotate",
    summary="Replace the TCP token, in its file and at once (unix socket only)",
    responses={**_RESPONSES, **responses(507)},
)
async def rotate_token(request: Request, state: StateDep) -> TokenFile:
    token = _local_token(request, state)
    try:
        await run_in_threadpool(token.rotate)  # writes and fsyncs the file
    except OSError as error:
        full = disk_full(error, token.path)
        if full is None:
            raise
        raise full from error
    return TokenFile(path=str(token.path))

"""`POST /v1/gitsources/{name}/webhook` (and under `/v1/namespaces/{namespace}/`): a forge's
push hook, which fetches the GitSource at once as `POST .../sync` does.

Forges cannot send the daemon's bearer token, so the TCP listener lets these two routes through
without it (`api.deps.needs_no_token`); the call must instead be signed with the secret of the
GitSource's `spec.webhook` (`api.webhook_signatures`: GitHub, Gitea, GitLab). In order:

- no such GitSource: 404; one without `spec.webhook`: 403 (set it); its secret unreadable: 503;
- a body over WEBHOOK_MAX_BODY_BYTES: 413, before any of it is kept;
- unsigned or wrongly signed: 401, and a Warning event `WebhookRefused` on the GitSource (at
  most one per GitSource every few seconds, `api.throttle`);
- GitHub's `ping`: 200, nothing fetched;
- a deleted or suspended GitSource: 409; no controller: 503;
- else the controller is asked (`Controller.request_sync`) and the answer is 202.

Nothing of the payload is acted on: the GitSource fetches its branch as at every pass.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from dockform.api.deps import AppState, StateDep
from dockform.api.errors import ApiError, responses
from dockform.api.models import ApiModel
from dockform.api.routes.resources import NamespacePath
from dockform.api.routes.sources import GIT_SOURCE, GitSourceName, SyncAccepted, request_sync
from dockform.api.webhook_signatures import Verdict, is_ping, verify
from dockform.controller.webhook_secret import NoWebhook, SecretUnavailable
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, display
from dockform.manifests.status import EventType, Reason
from dockform.store.errors import NotFound
from dockform.store.types import Resource

router = APIRouter(prefix="/v1", tags=["sources"])

# GitHub caps a payload at 25 MB, but a push event is some kilobytes: only the signature needs
# the body, and this route holds it in memory for an unauthenticated caller.
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024


class Pong(ApiModel):
    kind: str = GIT_SOURCE
    name: str
    status: Literal["pong"] = "pong"


_DOC = (
    "Called by a forge, without the bearer token: the body must be signed with the secret of "
    "the GitSource's spec.webhook: X-Hub-Signature-256: sha256=HEX (GitHub, Gitea), "
    "X-Gitea-Signature: HEX (Gitea; HEX is the HMAC-SHA256 of the raw body) or X-Gitlab-Token: "
    "SECRET (GitLab). A valid call fetches the GitSource at once (202); GitHub's ping is "
    "answered (200) without a fetch."
)
_RESPONSES = {
    **responses(401, 403, 404, 409, 413, 503),
    200: {"model": Pong, "description": "A signed ping (X-GitHub-Event: ping): nothing fetched"},
}


@router.post(
    "/gitsources/{name}/webhook",
    status_code=202,
    summary="A forge's webhook: fetch a GitSource now (signed, no bearer token)",
    description=_DOC,
    response_model=SyncAccepted,
    responses=_RESPONSES,
)
async def gitsource_webhook(
    name: GitSourceName, request: Request, state: StateDep
) -> SyncAccepted | JSONResponse:
    return await _webhook(state, request, name, DEFAULT_NAMESPACE)


@router.post(
    "/namespaces/{namespace}/gitsources/{name}/webhook",
    status_code=202,
    summary="A forge's webhook: fetch a GitSource of a namespace now (signed, no bearer token)",
    description=_DOC,
    response_model=SyncAccepted,
    responses=_RESPONSES,
)
async def namespaced_gitsource_webhook(
    namespace: NamespacePath, name: GitSourceName, request: Request, state: StateDep
) -> SyncAccepted | JSONResponse:
    return await _webhook(state, request, name, namespace)


async def _webhook(
    state: AppState, request: Request, name: str, namespace: str
) -> SyncAccepted | JSONResponse:
    resource = await run_in_threadpool(state.store.get, GIT_SOURCE, name, namespace)
    if resource is None:
        raise NotFound(GIT_SOURCE, name, namespace)
    secret = await run_in_threadpool(_secret, state, resource)
    body = await _read_body(request)
    headers = {key.lower(): value for key, value in request.headers.items()}
    verdict = verify(headers, body, secret)
    if not verdict.ok:
        await run_in_threadpool(_record_refusal, state, resource, verdict)
        raise ApiError(401, f"{display(GIT_SOURCE, namespace, name)}: {verdict.message}")
    if is_ping(headers):
        return JSONResponse(Pong(name=name).model_dump(by_alias=True), status_code=200)
    return await run_in_threadpool(request_sync, state, name, namespace)


def _secret(state: AppState, resource: Resource) -> bytes:
    if state.webhook_secrets is None:
        raise ApiError(503, "this daemon reads no webhook secrets (no secret key)")
    try:
        return state.webhook_secrets.secret_for(resource)
    except NoWebhook as error:
        raise ApiError(403, str(error)) from None
    except SecretUnavailable as error:
        raise ApiError(503, str(error)) from None


async def _read_body(request: Request) -> bytes:
    too_large = (
        f"a webhook body is at most {WEBHOOK_MAX_BODY_BYTES} bytes; have the forge send only "
        "push events"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > WEBHOOK_MAX_BODY_BYTES:
        raise ApiError(413, too_large)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > WEBHOOK_MAX_BODY_BYTES:
            raise ApiError(413, too_large)
    return bytes(body)


def _record_refusal(state: AppState, resource: Resource, verdict: Verdict) -> None:
    if not state.webhook_refusals.allow((resource.namespace, resource.name)):
        return
    state.store.record_event(
        GIT_SOURCE,
        resource.name,
        EventType.WARNING,
        Reason.WEBHOOK_REFUSED,
        f"a webhook call was refused: {verdict.message}",
        namespace=resource.namespace,
    )

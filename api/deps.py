"""Request dependencies: the store, the applier, the controller facade and the options the app
was built with.

`AppState` is made once by the composition root (`cli.daemon`) or a test, and routes reach it
through `StateDep` / `StoreDep`; no route keeps state of its own. Routes read through `store`
and write desired state through `applier` (store.apply), the daemon's one Applier, which tells
the controller what changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from dockform import __version__
from dockform.api.body import DEFAULT_MAX_BODY_BYTES
from dockform.api.response_cache import LIST_ENTRIES, OBJECT_ENTRIES, ResponseCache
from dockform.api.throttle import Throttle
from dockform.api.token import BearerToken
from dockform.controller.facade import Controller
from dockform.controller.webhook_secret import WebhookSecrets
from dockform.store.apply import Applier
from dockform.store.repository import Store

# The routes a TCP client may call without the bearer token (api.server.TokenAuth): /healthz,
# and the GitSource webhooks, which forges call with a signature of their own instead (checked
# by api.routes.webhooks). As OpenAPI spells them, and as TokenAuth matches a request.
UNAUTHENTICATED_PATHS = frozenset(
    {
        "/healthz",
        "/v1/gitsources/{name}/webhook",
        "/v1/namespaces/{namespace}/gitsources/{name}/webhook",
    }
)
_WEBHOOK_PATH = re.compile(r"^/v1/(?:namespaces/[^/]+/)?gitsources/[^/]+/webhook$")
WEBHOOK_REFUSAL_PERIOD_S = 10.0


def needs_no_token(path: str) -> bool:
    """Whether a request may reach the app without the bearer token (api.server.TokenAuth).
    Any method: the webhook routes take POST alone, so the app answers others with 405."""
    return path == "/healthz" or _WEBHOOK_PATH.match(path) is not None


@dataclass
class AppState:
    store: Store
    applier: Applier
    controller: Controller | None = None
    version: str = __version__
    # The controller's driver: engine (one Docker Engine) or swarm.
    engine: str = "engine"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Manifests asking for privileged mode, host namespaces or host paths outside the allowed
    # directories are refused (403) unless the daemon runs with --allow-host-access.
    allow_host_access: bool = False
    # --host-path-root directories: allowed to every manifest, besides its apply's own roots.
    host_path_roots: list[str] = field(default_factory=list)
    # Streams (events ?follow, logs ?follow) end after this many seconds; None: when the
    # client goes. Tests and fuzzers set it so a streamed answer has an end.
    stream_limit_s: float | None = None
    events_poll_s: float = 0.2
    heartbeat_s: float = 15.0
    # The TCP listener's token (None without one); only the unix socket shows or rotates it.
    token: BearerToken | None = None
    # The GitSource webhooks' secrets (None: every webhook call is a 503, saying why).
    webhook_secrets: WebhookSecrets | None = None
    # One Warning event per GitSource and period for refused webhook calls, however many come.
    webhook_refusals: Throttle = field(default_factory=lambda: Throttle(WEBHOOK_REFUSAL_PERIOD_S))
    list_cache: ResponseCache = field(default_factory=lambda: ResponseCache(LIST_ENTRIES))
    object_cache: ResponseCache = field(default_factory=lambda: ResponseCache(OBJECT_ENTRIES))


# Dependencies are `async def`: FastAPI runs a plain `def` one in its threadpool, a thread hop
# per request for what is an attribute read.
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.dockform
    return state


async def get_store(request: Request) -> Store:
    state: AppState = request.app.state.dockform
    return state.store


StateDep = Annotated[AppState, Depends(get_state)]
StoreDep = Annotated[Store, Depends(get_store)]

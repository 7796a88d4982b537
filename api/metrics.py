"""What /metrics serves: the controller's registry (`controller.metrics`: reconciles, their
duration, queue depth, Docker API errors) plus gauges computed at scrape time from the store and
the controller (objects by kind and phase, keys pending), and the apply request counter.

Scrape-time gauges live in a registry made per scrape, so several apps in one process (tests)
never register the same collector twice, and the numbers are as fresh as the scrape.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from dockform.api.deps import AppState
from dockform.controller.metrics import REGISTRY

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

APPLY_REQUESTS = Counter(
    "dockform_apply_requests_total",
    "Apply and diff requests by endpoint (apply, diff) and HTTP status code.",
    ["endpoint", "code"],
    registry=REGISTRY,
)

_COUNTED = {"/v1/apply": "apply", "/v1/diff": "diff"}


class CountApplyRequests:
    """ASGI middleware: count POST /v1/apply and /v1/diff by the status they were answered."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = _COUNTED.get(scope.get("path", "")) if scope["type"] == "http" else None
        if endpoint is None or scope.get("method") != "POST":
            await self._app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, send_and_note)
        finally:
            APPLY_REQUESTS.labels(endpoint, str(status)).inc()


def exposition(state: AppState) -> bytes:
    """The Prometheus text exposition of every dockform metric."""
    scraped = CollectorRegistry(auto_describe=True)
    objects = Gauge(
        "dockform_objects",
        "Objects in the store by kind and phase (Terminating once deletion is requested).",
        ["kind", "phase"],
        registry=scraped,
    )
    tally = Tally(
        (resource.kind, "Terminating" if resource.deleting else resource.status.phase)
        for resource in state.store.list()
    )
    for (kind, phase), count in sorted(tally.items()):
        objects.labels(kind, phase).set(count)
    if state.controller is not None:
        pending = Gauge(
            "dockform_queue_pending",
            "Keys queued, delayed or being reconciled (zero: the controller is idle).",
            registry=scraped,
        )
        pending.set(state.controller.queue_pending())
    info = Gauge("dockform_info", "The daemon's version.", ["version"], registry=scraped)
    info.labels(state.version).set(1)
    return generate_latest(REGISTRY) + generate_latest(scraped)

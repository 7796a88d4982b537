"""Browser-facing protections that hold on every listener (unix socket and TCP).

`CrossSiteGuard` refuses a state-changing request that a browser says comes from another
origin (`Sec-Fetch-Site` other than same-origin/none, or an `Origin` that is not this host):
a page elsewhere cannot drive the API through a visitor's browser, whatever the credentials.
Clients that are not browsers (the CLI, curl, webhooks) send neither header and pass.
`PAGE_HEADERS` is the strict Content-Security-Policy and friends every dashboard page carries:
scripts, styles, images and connections from this origin only, no inline script or style.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from dockform.api.dashboard.session import SAFE_METHODS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer makes form posts send Origin: null
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_SAME_SITE_VALUES = frozenset({b"same-origin", b"none"})


def cross_site_reason(scope: Scope) -> str | None:
    """Why a request is a cross-site write (None: it is not)."""
    if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
        return None
    headers = dict(scope.get("headers") or [])
    fetch_site = headers.get(b"sec-fetch-site")
    if fetch_site is not None and fetch_site not in _SAME_SITE_VALUES:
        return f"Sec-Fetch-Site is {fetch_site.decode('latin-1')!r}"
    origin = headers.get(b"origin")
    if origin is None:
        return None
    host = headers.get(b"host", b"").decode("latin-1")
    scheme = scope.get("scheme", "http")
    if origin.decode("latin-1") != f"{scheme}://{host}":
        return f"Origin {origin.decode('latin-1')[:100]!r} is not {scheme}://{host}"
    return None


async def refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message, "issues": []}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class CrossSiteGuard:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reason = cross_site_reason(scope)
        if reason is None:
            await self._app(scope, receive, send)
            return
        await refuse(
            send,
            403,
            f"cross-site request refused ({reason}): state-changing requests from a browser "
            "must come from this daemon's own pages",
        )

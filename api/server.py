"""Serving the app: a unix socket (mode 0600) always, TCP with a bearer token when asked.

Both listeners share one app and one event loop. The TCP listener wraps the app in
`TokenAuth`, which answers 401 to any request but /healthz without the right token. Signal
handling is ours (not uvicorn's) so one SIGTERM stops every listener, and the caller then stops
the controller; containers keep running.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import secrets
import signal
from collections.abc import Awaitable, Callable, Generator, MutableMapping
from pathlib import Path
from typing import Any

import uvicorn
import uvloop

from dockform.api.deps import UNAUTHENTICATED_PATHS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def load_or_create_token(path: Path) -> str:
    """The bearer token for TCP clients, created (0600) at first start."""
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token + "\n")
    return token


class TokenAuth:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or (
            scope["type"] == "http" and scope["path"] in UNAUTHENTICATED_PATHS
        ):
            await self._app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        offered = headers.get(b"authorization", b"")
        if hmac.compare_digest(offered, self._expected):
            await self._app(scope, receive, send)
            return
        if scope["type"] != "http":  # a websocket: refused before the handshake completes
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps(
            {
                "error": "missing or wrong bearer token: send 'Authorization: Bearer <token>' "
                "with the token from $DOCKFORM_HOME/token",
                "issues": [],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b"Bearer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals are handled once for all listeners in `serve`


def parse_listen(address: str) -> tuple[str, int]:
    """`tcp://127.0.0.1:8080` -> ("127.0.0.1", 8080)."""
    if not address.startswith("tcp://"):
        raise ValueError(f"--listen {address!r} must look like tcp://HOST:PORT")
    host, sep, port = address.removeprefix("tcp://").rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"--listen {address!r} must look like tcp://HOST:PORT")
    return host.strip("[]"), int(port)


def serve(
    app: ASGIApp,
    socket_path: Path,
    *,
    tcp: tuple[str, int] | None = None,
    token: str | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT."""
    socket_path.unlink(missing_ok=True)
    servers = [
        _Server(uvicorn.Config(app, uds=str(socket_path), log_level="warning", access_log=False))
    ]
    if tcp is not None:
        if token is None:
            raise ValueError("a TCP listener needs a token")
        servers.append(
            _Server(
                uvicorn.Config(
                    TokenAuth(app, token),
                    host=tcp[0],
                    port=tcp[1],
                    log_level="warning",
                    access_log=False,
                )
            )
        )

    async def run_all() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, _stop_all, servers)
        tasks = [asyncio.create_task(server.serve()) for server in servers]
        while not all(server.started for server in servers):
            if any(task.done() for task in tasks):
                break
            await asyncio.sleep(0.02)
        if socket_path.exists():
            os.chmod(socket_path, 0o600)
        if on_ready is not None and all(server.started for server in servers):
            on_ready()
        await asyncio.gather(*tasks)

    # uvloop: the C event loop (uvicorn's own choice when it makes the loop; here we do).
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run_all())
    socket_path.unlink(missing_ok=True)


def _stop_all(servers: list[_Server]) -> None:
    for server in servers:
        server.should_exit = True

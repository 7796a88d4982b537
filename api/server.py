"""Serving the app: a unix socket (mode 0600) always, TCP with a bearer token when asked.

Both listeners share one app and one event loop. The TCP listener wraps the app in
`TokenAuth`, which answers 401 to any request without the right token or the dashboard's
session cookie (whose writes must carry its CSRF token; api.dashboard.session) but /healthz, the
GitSource webhooks (signed by the forge instead, `api.routes.webhooks`) and the dashboard's login
page and static files; it sends a browser that asks for a page without them to the login form.
It serves TLS when given a certificate and key (`Tls`); the unix socket stays plain HTTP and
marks its requests local (`LocalListener`), which the token routes demand. Signal handling is
ours (not uvicorn's) so one SIGTERM stops every listener, and the caller then stops the
controller; containers keep running.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import signal
import socket
import ssl
from collections.abc import Awaitable, Callable, Generator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
import uvloop
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from dockform.api.dashboard import session
from dockform.api.dashboard.guard import refuse
from dockform.api.dashboard.paths import LOGIN_PATH, is_page_path, is_public_path
from dockform.api.token import AUTHENTICATED_KEY, LOCAL_LISTENER_KEY, BearerToken

log = logging.getLogger("dockform.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TokenAuth:
    """The TCP listener's guard; `token` is rotated in place (a str: a fixed token, for tests)."""

    def __init__(self, app: ASGIApp, token: BearerToken | str) -> None:
        self._app = app
        self._token = token if isinstance(token, BearerToken) else BearerToken(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or (
            scope["type"] == "http" and is_public_path(scope["path"])
        ):
            await self._app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self._token.matches(headers.get(b"authorization", b"")):
            scope[AUTHENTICATED_KEY] = True  # a fresh scope per request: ours to mark
            await self._app(scope, receive, send)
            return
        cookie = session.cookie_value(headers.get(b"cookie", b""))
        found = session.check(cookie, self._token.value) if cookie else None
        if found is not None and scope["type"] == "http":
            if scope["method"] not in session.SAFE_METHODS and not session.csrf_ok(
                found, self._token.value, headers.get(session.CSRF_HEADER.encode(), b"")
            ):
                await refuse(
                    send,
                    403,
                    "missing or wrong CSRF token: a request made with the dashboard's session "
                    "cookie must send the page's X-CSRF-Token header",
                )
                return
            scope[AUTHENTICATED_KEY] = True
            scope[session.SESSION_KEY] = found
            await self._app(scope, receive, send)
            return
        if scope["type"] != "http":  # a websocket: refused before the handshake completes
            await send({"type": "websocket.close", "code": 1008})
            return
        # A browser navigating to a page goes to the login form; the page script's fetches
        # (fragments, the version poll) get the 401, and the script sends the page there.
        if (
            scope["method"] == "GET"
            and is_page_path(scope["path"])
            and b"text/html" in headers.get(b"accept", b"")
        ):
            await _redirect_to_login(send, scope["path"])
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


async def _redirect_to_login(send: Send, path: str) -> None:
    location = LOGIN_PATH + ("?" + urlencode({"next": path}) if path != "/" else "")
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


class LocalListener:
    """The unix socket's marker: its requests come from this host's owner of the socket."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[LOCAL_LISTENER_KEY] = True  # a fresh scope per request: ours to mark
        await self._app(scope, receive, send)


@dataclass(frozen=True)
class Tls:
    """The TCP listener's certificate (chain) and private key, PEM files."""

    cert_file: Path
    key_file: Path

    def check(self) -> None:
        """ValueError naming the file, unless the pair loads (as uvicorn will load it)."""
        for option, path in (("--tls-cert", self.cert_file), ("--tls-key", self.key_file)):
            if not path.is_file():
                raise ValueError(f"{option} {path}: no such file")
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                self.cert_file, self.key_file
            )
        except (ssl.SSLError, OSError) as error:
            raise ValueError(
                f"--tls-cert {self.cert_file} / --tls-key {self.key_file}: cannot load them as a "
                f"PEM certificate and its private key ({error})"
            ) from error


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def warn_if_clear_text(host: str, tls: Tls | None) -> None:
    """Say loudly when the token is about to cross the network unencrypted."""
    if tls is not None or is_loopback(host):
        return
    log.warning(
        "TCP listener on %s serves plain HTTP: the bearer token and every manifest cross the "
        "network in clear text. Give --tls-cert FILE --tls-key FILE, or listen on 127.0.0.1 "
        "behind a TLS proxy or an SSH tunnel",
        host,
    )


# The unix socket's send buffer per connection (Linux caps it at net.core.wmem_max). A list of
# 10 000 objects is a 13 MB answer; with the default 208 KiB the event loop sends it in some
# sixty turns, each also serving every other client's request, so under 15 clients a LIST took
# 0.7 s. With 4 MiB it goes in a few turns (measured: 98 to 15 ms with 15 other clients).
UNIX_SEND_BUFFER = 4 * 1024 * 1024


def _connection_made(protocol: Any, transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, UNIX_SEND_BUFFER)
    AutoHTTPProtocol.connection_made(protocol, transport)


# uvicorn's HTTP protocol (httptools, else h11) with the larger send buffer.
UnixHTTPProtocol: type[asyncio.Protocol] = type(
    "UnixHTTPProtocol", (AutoHTTPProtocol,), {"connection_made": _connection_made}
)


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
    token: BearerToken | None = None,
    tls: Tls | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT."""
    socket_path.unlink(missing_ok=True)
    servers = [
        _Server(
            uvicorn.Config(
                LocalListener(app),
                uds=str(socket_path),
                log_level="warning",
                access_log=False,
                http=UnixHTTPProtocol,
            )
        )
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
                    ssl_certfile=tls.cert_file if tls else None,
                    ssl_keyfile=tls.key_file if tls else None,
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

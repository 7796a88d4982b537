"""The client's HTTP/1.1 over the standard library: a unix socket, TCP or TLS, kept alive.

`api.client` needs a dozen request shapes and two streams; httpx, which it used before, costs
the CLI about 0.15 s of imports on every command (bench/cli_speed). This module gives the same
surface the client uses (`request`, `stream`, responses with `status_code`, `json()`, `text`,
`iter_lines()`, `iter_bytes()`), so a test may still hand the client an httpx-compatible
object (FastAPI's TestClient) instead.

Errors stay the standard library's: `OSError` (no socket, refused, reset, timed out, TLS) and
`http.client.HTTPException` (an answer that is not HTTP); `api.client` maps them once.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None

# A kept-alive connection the server has closed meanwhile fails before any answer: such a
# request is sent again once, on a new connection.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("dockform", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Response:
    """A whole answer, read: what the client reads of httpx's Response."""

    def __init__(self, status_code: int, reason_phrase: str, content: bytes) -> None:
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def read(self) -> bytes:
        return self.content


class StreamResponse:
    """An answer read as it arrives (server-sent events, logs)."""

    def __init__(self, raw: http.client.HTTPResponse) -> None:
        self._raw = raw
        self.status_code = raw.status
        self.reason_phrase = raw.reason
        self.content = b""

    def read(self) -> bytes:
        self.content = self._raw.read()
        return self.content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def iter_lines(self) -> Iterator[str]:
        while True:
            line = self._raw.readline()
            if not line:
                return
            yield line.decode("utf-8", errors="replace").rstrip("\r\n")

    def iter_bytes(self) -> Iterator[bytes]:
        while True:
            chunk = self._raw.read1(65536)
            if not chunk:
                return
            yield chunk


def query(params: Params) -> str:
    """`?a=1&b=true`, as httpx encodes them: booleans lower case, a list repeats its key."""
    if not params:
        return ""
    pairs = params.items() if isinstance(params, Mapping) else params
    flat: list[tuple[str, str]] = []
    for key, value in pairs:
        for item in value if isinstance(value, list | tuple) else [value]:
            flat.append((key, _text(item)))
    return "?" + urlencode(flat, quote_via=quote)


def _text(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


class HttpClient:
    """Requests to one daemon; idle connections are kept (one per thread at a time)."""

    def __init__(
        self,
        base_url: str,
        *,
        uds: str | None = None,
        tls: ssl.SSLContext | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = 30.0,
    ) -> None:
        parts = urlsplit(base_url)
        self._uds = uds
        self._tls = tls
        self._host = parts.hostname or "localhost"
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._headers = {"Host": parts.netloc or "dockform", **(headers or {})}
        self._timeout = timeout
        self._idle: list[http.client.HTTPConnection] = []

    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        if self._uds is not None:
            return _UnixConnection(self._uds, timeout)
        if self._tls is not None:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=self._tls
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def _send(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        params: Params,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> http.client.HTTPResponse:
        all_headers = {**self._headers, **(headers or {})}
        if content is not None or method in ("POST", "PUT", "PATCH"):
            all_headers.setdefault("Content-Length", str(len(content or b"")))
        connection.request(
            method, self._prefix + path + query(params), body=content, headers=all_headers
        )
        return connection.getresponse()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        try:
            connection, reused = self._idle.pop(), True
        except IndexError:
            connection, reused = self._connect(self._timeout), False
        try:
            try:
                raw = self._send(connection, method, path, params, content, headers)
            except _STALE:
                if not reused:
                    raise
                connection.close()
                connection = self._connect(self._timeout)
                raw = self._send(connection, method, path, params, content, headers)
            body = raw.read()
        except BaseException:
            connection.close()
            raise
        if raw.will_close:
            connection.close()
        else:
            self._idle.append(connection)
        return Response(raw.status, raw.reason, body)

    @contextlib.contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        timeout: float | None = 10.0,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[StreamResponse]:
        """An answer read as it comes: only connecting and sending are bounded by `timeout`."""
        connection = self._connect(timeout)
        try:
            raw = self._send(connection, method, path, params, None, headers)
            if connection.sock is not None:
                connection.sock.settimeout(None)  # a stream may stay quiet for long
            yield StreamResponse(raw)
        finally:
            connection.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

"""The Engine's hot reads over its unix socket, without requests.

Every Container's pass asks the Engine two questions: who holds its name (`GET
/containers/NAME/json`) and which containers carry its labels (`GET /containers/json`). Through
docker-py each costs about half a millisecond of CPU in a quiet loop and three times that in a
busy daemon: requests prepares, merges settings, runs hooks and urllib3 checks its pool around
every call. With 500 containers and a resync a minute those layers were the largest share of an
idle daemon's CPU. This reader sends the same GET on a kept-alive `http.client` connection taken
from a small pool (the reconcile workers ask in parallel, each on a connection of its own) and
decodes the JSON answer; a 4xx or 5xx answer becomes the runtime error docker-py's would have
become (`_docker_errors.translate_answer`).

Only GETs, which are safe to send again: a kept-alive connection the Engine closed meanwhile
(dockerd restarted) is retried once on a new connection. TCP, TLS and SSH clients keep docker-py.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.parse
from typing import Any

from dockform.runtime._docker_errors import translate_answer
from dockform.runtime.errors import RuntimeUnavailable

# Kept-alive connections kept for the next call: the reconcile workers (8 by default) and the
# API's calls.
MAX_IDLE = 16


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class UnixJsonReader:
    """GETs of JSON answers from the Engine at `socket_path`, API `api_version`."""

    def __init__(
        self, socket_path: str, api_version: str, timeout: float, headers: dict[str, str]
    ) -> None:
        self._socket_path = socket_path
        self._prefix = f"/v{api_version}"
        self._timeout = timeout
        self._headers = dict(headers)
        self._idle: list[_UnixConnection] = []
        self._lock = threading.Lock()

    def get(self, path: str, params: dict[str, str] | None = None, *, action: str) -> Any:
        """The decoded answer to `GET path?params`; runtime errors name `action`."""
        target = self._prefix + path
        if params:
            target += "?" + urllib.parse.urlencode(params)
        for attempt in (1, 2):
            connection, reused = self._take()
            try:
                connection.request("GET", target, headers=self._headers)
                response = connection.getresponse()
                body = response.read()
            except (http.client.HTTPException, OSError) as error:
                connection.close()
                if attempt == 1 and reused and not isinstance(error, TimeoutError):
                    continue  # the Engine closed a kept-alive connection: ask once more
                raise _unavailable(action, error) from error
            self._give_back(connection, response)
            if response.status >= 400:
                raise translate_answer(response.status, _message(body), action)
            try:
                return json.loads(body)
            except ValueError as error:
                raise RuntimeUnavailable(f"{action}: the Engine's answer is not JSON") from error
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            connections, self._idle = self._idle, []
        for connection in connections:
            connection.close()

    def _take(self) -> tuple[_UnixConnection, bool]:
        """An idle kept-alive connection (True), else a new one (False)."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return _UnixConnection(self._socket_path, self._timeout), False

    def _give_back(self, connection: _UnixConnection, response: http.client.HTTPResponse) -> None:
        with self._lock:
            if not response.will_close and len(self._idle) < MAX_IDLE:
                self._idle.append(connection)
                return
        connection.close()


def quoted(name: str) -> str:
    """A name or id as one path segment."""
    return urllib.parse.quote(name, safe="")


def _message(body: bytes) -> str:
    """The Engine's error message: `{"message": ...}`, or the body as text."""
    text = body.decode("utf-8", "replace")
    try:
        decoded = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
        return str(decoded["message"]).strip()
    return text.strip()


def _unavailable(action: str, error: BaseException) -> RuntimeUnavailable:
    if isinstance(error, TimeoutError):
        return RuntimeUnavailable(f"{action}: the Docker Engine did not answer in time ({error})")
    return RuntimeUnavailable(f"{action}: cannot reach the Docker Engine ({error})")

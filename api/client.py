"""A small client of the dockform API, used by the CLI (and by tests and benchmarks).

`DOCKFORM_HOST` picks the daemon: `unix:///path/to/dockform.sock` (the default is
`$DOCKFORM_HOME/dockform.sock`), or `https://HOST:PORT` / `http://HOST:PORT` (`tcp://` is
http) with `DOCKFORM_TOKEN` as bearer token. An https daemon's certificate is verified against
`DOCKFORM_TLS_CA` (a CA or the daemon's own certificate, PEM) when set, else the system's CAs.
"""

from __future__ import annotations

import builtins
import contextlib
import http.client
import json
import os
import ssl
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from dockform.api._http import HttpClient, Response, StreamResponse
from dockform.manifests.namespaces import DEFAULT_NAMESPACE


def default_home() -> Path:
    return Path(os.environ.get("DOCKFORM_HOME") or Path.home() / ".dockform")


def default_host() -> str:
    return os.environ.get("DOCKFORM_HOST") or f"unix://{default_home() / 'dockform.sock'}"


# Streams may stay quiet for long (a follower between events): only connecting is bounded.
_STREAM_CONNECT_TIMEOUT = 10.0
# What a daemon that cannot be reached raises: no socket, refused, reset, timed out, TLS
# (all OSError), or something answering that is not HTTP.
_TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


class ClientError(Exception):
    """The daemon answered with an error: `status` and its message (with issues)."""

    def __init__(self, status: int, message: str, issues: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.issues = issues or []


class DaemonUnreachable(Exception):
    def __init__(self, host: str, error: Exception) -> None:
        super().__init__(
            f"cannot reach the dockform daemon at {host} ({error}).\n{_hint(host, error)}"
        )
        self.host = host


def _hint(host: str, error: Exception) -> str:
    """What to do about `error`: a certificate not trusted, TLS spoken to, or no daemon."""
    if "CERTIFICATE_VERIFY_FAILED" in str(error) or isinstance(
        error.__context__, ssl.SSLCertVerificationError
    ):
        return (
            "The daemon's TLS certificate is not trusted: set DOCKFORM_TLS_CA to the CA file "
            "that signed it (or to the certificate itself, for a self-signed one: the daemon's "
            "--tls-cert), and use the host name or address the certificate names."
        )
    if host.startswith(("http://", "tcp://")) and isinstance(
        error, http.client.HTTPException | ConnectionResetError
    ):
        return (
            "Something answers there, but not in plain HTTP: if the daemon serves TLS "
            "(--tls-cert), use DOCKFORM_HOST=https://..."
        )
    return (
        "Start it with `dockform daemon` (or `bash scripts/up` from the repository), "
        "or point DOCKFORM_HOST at a running one."
    )


def tls_context() -> ssl.SSLContext:
    """How https hosts are verified: DOCKFORM_TLS_CA when set, else the system's CAs."""
    ca_file = os.environ.get("DOCKFORM_TLS_CA")
    if not ca_file:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise ValueError(f"DOCKFORM_TLS_CA {ca_file}: not a readable PEM file ({error})") from error


class DockformClient:
    def __init__(self, host: str | None = None, token: str | None = None, timeout: float = 30.0):
        self.host = host or default_host()
        token = token if token is not None else os.environ.get("DOCKFORM_TOKEN")
        token = (token or "").strip()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        uds: str | None = None
        tls: ssl.SSLContext | None = None
        if self.host.startswith("unix://"):
            uds = self.host.removeprefix("unix://")
            base_url = "http://dockform"
        elif self.host.startswith("https://"):
            tls = tls_context()
            base_url = self.host.rstrip("/")
        elif self.host.startswith("http://"):
            base_url = self.host.rstrip("/")
        elif self.host.startswith("tcp://"):
            base_url = "http://" + self.host.removeprefix("tcp://").rstrip("/")
        else:
            raise ValueError(
                f"DOCKFORM_HOST {self.host!r} must start with unix://, https://, http:// or tcp://"
            )
        # Tests may put an httpx-compatible client here (FastAPI's TestClient).
        self._http: Any = HttpClient(base_url, uds=uds, tls=tls, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DockformClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- plumbing

    def _request(self, method: str, path: str, **kwargs: Any) -> Response:
        try:
            response: Response = self._http.request(method, path, **kwargs)
        except _TRANSPORT_ERRORS as error:
            raise DaemonUnreachable(self.host, error) from error
        if response.status_code >= 400:
            raise _client_error(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The answer's JSON object (every JSON answer of the API is one)."""
        body: dict[str, Any] = self._request(method, path, **kwargs).json()
        return body

    def _items(self, path: str, params: Any = None) -> builtins.list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._json("GET", path, params=params)["items"]
        return items

    def _send_manifests(
        self, path: str, text: str, params: dict[str, Any], filename: str | None = None
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/yaml"}
        if filename:
            headers["X-Dockform-Filename"] = filename
        return self._json("POST", path, params=params, content=text.encode(), headers=headers)

    # --- API

    def apply(
        self,
        text: str,
        *,
        dry_run: bool = False,
        prune: bool = False,
        allow_empty: bool = False,
        force: bool = False,
        source: str = "cli",
        filename: str | None = None,
        roots: Sequence[str] = (),
    ) -> dict[str, Any]:
        """`roots`: the directories the manifests were read from (their host paths there are
        allowed; api.apply_roots)."""
        params = _apply_params(prune, allow_empty, force, source, roots)
        return self._send_manifests("/v1/apply", text, {"dryRun": dry_run, **params}, filename)

    def diff(
        self,
        text: str,
        *,
        prune: bool = False,
        allow_empty: bool = False,
        force: bool = False,
        source: str = "cli",
        roots: Sequence[str] = (),
    ) -> dict[str, Any]:
        params = _apply_params(prune, allow_empty, force, source, roots)
        return self._send_manifests("/v1/diff", text, params)

    def list(
        self,
        kinds: str,
        labels: dict[str, str] | None = None,
        namespace: str | None = DEFAULT_NAMESPACE,
    ) -> list[dict[str, Any]]:
        """Objects of one namespace; `namespace` None lists every namespace."""
        params = [("label", f"{key}={value}") for key, value in (labels or {}).items()]
        if namespace is None:
            params.append(("allNamespaces", "true"))
            return self._items(f"/v1/{kinds}", params)
        return self._items(f"{_prefix(namespace)}/{kinds}", params)

    def get(self, kinds: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
        return self._json("GET", f"{_prefix(namespace)}/{kinds}/{name}")

    def delete(self, kinds: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
        return self._json("DELETE", f"{_prefix(namespace)}/{kinds}/{name}")

    def namespaces(self) -> builtins.list[dict[str, Any]]:
        return self._items("/v1/namespaces")

    def delete_namespace(self, namespace: str) -> dict[str, Any]:
        return self._json("DELETE", f"/v1/namespaces/{namespace}")

    def revisions(
        self, kinds: str, name: str, namespace: str = DEFAULT_NAMESPACE, spec: bool = False
    ) -> dict[str, Any]:
        params = {"spec": "true"} if spec else None
        return self._json("GET", f"{_prefix(namespace)}/{kinds}/{name}/revisions", params=params)

    def rollback(
        self, kinds: str, name: str, namespace: str = DEFAULT_NAMESPACE, to: int | None = None
    ) -> dict[str, Any]:
        path = f"{_prefix(namespace)}/{kinds}/{name}/rollback"
        body = json.dumps({"generation": to}).encode()
        return self._json("POST", path, content=body, headers={"Content-Type": "application/json"})

    def scale(
        self, kinds: str, name: str, replicas: int, namespace: str = DEFAULT_NAMESPACE
    ) -> dict[str, Any]:
        path = f"{_prefix(namespace)}/{kinds}/{name}/scale"
        body = json.dumps({"replicas": replicas}).encode()
        return self._json("POST", path, content=body, headers={"Content-Type": "application/json"})

    def unpin(self, kinds: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
        return self._json("POST", f"{_prefix(namespace)}/{kinds}/{name}/unpin")

    def explain(self, kinds: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
        return self._json("GET", f"{_prefix(namespace)}/{kinds}/{name}/explain")

    def events(
        self,
        kind: str | None = None,
        name: str | None = None,
        since_id: int | None = None,
        limit: int = 100,
        namespace: str | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Events of one namespace, or of every one when `namespace` is None."""
        params = _event_params(kind, name, since_id, limit, namespace)
        return self._items("/v1/events", params)

    def follow_events(
        self,
        kind: str | None = None,
        name: str | None = None,
        since_id: int | None = None,
        limit: int = 100,
        namespace: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The recent events, then each new one as it happens (server-sent events)."""
        params = {"follow": True, **_event_params(kind, name, since_id, limit, namespace)}
        with self._stream("GET", "/v1/events", params=params) as response:
            yield from parse_sse(response.iter_lines())

    def logs(
        self,
        name: str,
        tail: int | None = None,
        follow: bool = False,
        namespace: str = DEFAULT_NAMESPACE,
        kinds: str = "containers",
    ) -> Iterator[bytes]:
        """Output of Container/name, or of another kind with logs (`kinds="jobs"`)."""
        params: dict[str, Any] = {"follow": follow}
        if tail is not None:
            params["tail"] = tail
        path = f"{_prefix(namespace)}/{kinds}/{name}/logs"
        with self._stream("GET", path, params=params) as response:
            yield from response.iter_bytes()

    @contextlib.contextmanager
    def _stream(self, method: str, path: str, **kwargs: Any) -> Iterator[StreamResponse]:
        try:
            with self._http.stream(
                method, path, timeout=_STREAM_CONNECT_TIMEOUT, **kwargs
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _client_error(response)
                yield response
        except _TRANSPORT_ERRORS as error:
            raise DaemonUnreachable(self.host, error) from error

    def sources(self) -> builtins.list[dict[str, Any]]:
        return self._items("/v1/sources")

    def metrics(self) -> str:
        return self._request("GET", "/metrics").text

    def token(self) -> dict[str, Any]:
        """The TCP token and its file: `{"path", "token"}` (on the unix socket only)."""
        return self._json("GET", "/v1/token")

    def rotate_token(self) -> dict[str, Any]:
        """A new TCP token, in use at once: `{"path"}` of its file (on the unix socket only)."""
        return self._json("POST", "/v1/token/rotate")

    def version(self) -> dict[str, Any]:
        return self._json("GET", "/version")

    def healthz(self) -> bool:
        return bool(self._json("GET", "/healthz").get("status") == "ok")


def _prefix(namespace: str) -> str:
    """`/v1` for the default namespace (as before namespaces), else its own paths."""
    return "/v1" if namespace == DEFAULT_NAMESPACE else f"/v1/namespaces/{namespace}"


def _event_params(
    kind: str | None,
    name: str | None,
    since_id: int | None,
    limit: int,
    namespace: str | None = None,
) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if namespace:
        params["namespace"] = namespace
    if kind:
        params["kind"] = kind
    if name:
        params["name"] = name
    if since_id is not None:
        params["sinceId"] = since_id
    return params


def parse_sse(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON `data:` of each server-sent event in `lines`; comments and ids are skipped."""
    data: list[str] = []
    for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line and data:
            yield json.loads("\n".join(data))
            data = []


def _client_error(response: Response | StreamResponse) -> ClientError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return ClientError(response.status_code, response.text or response.reason_phrase)
    message = str(body.get("error") or body)
    issues = [issue for issue in body.get("issues") or [] if isinstance(issue, dict)]
    return ClientError(response.status_code, message, issues)


def _apply_params(
    prune: bool, allow_empty: bool, force: bool, source: str, roots: Sequence[str]
) -> dict[str, Any]:
    """The query of apply and diff; `root` repeated once per directory."""
    params: dict[str, Any] = {
        "prune": prune,
        "allowEmpty": allow_empty,
        "force": force,
        "source": source,
    }
    if roots:
        params["root"] = list(roots)
    return params

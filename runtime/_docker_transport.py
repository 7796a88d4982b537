"""One kept-alive connection pool to the Engine's unix socket, instead of one per URL.

docker-py's unix-socket adapter keys its connection pools by the whole request URL, path and
query included, and keeps 25 of them. A controller's calls name one container each
(`/containers/web-17/json`), so with more than 25 objects the pools are evicted and closed in
turn and nearly every call opened a new connection to dockerd: a connect, a goroutine and a
handshake per call, on both sides. py-spy put a third of the idle daemon's samples there.
Keyed by one constant, every call shares one pool whose connections stay open.

Also the two pieces the driver needs to make a request docker-py has no method for (an
Engine call with its own read timeout): the endpoint's URL and docker-py's error for a status,
both from public docker-py and requests API.
"""

from __future__ import annotations

from typing import Any

import docker
import docker.errors
import docker.utils.config
import requests.exceptions
from docker.transport.unixconn import UnixHTTPAdapter

POOL_KEY = "http+docker://localhost"
# Reconcile workers (8 by default) plus the events stream, log followers and the API's calls.
MAX_POOL_SIZE = 16


class SharedPoolUnixAdapter(UnixHTTPAdapter):  # type: ignore[misc]
    def get_connection(self, url: str, proxies: Any = None) -> Any:
        return super().get_connection(POOL_KEY, proxies)


def tune_unix_socket_client(client: docker.APIClient) -> str | None:
    """One shared pool for a unix-socket client (TCP and SSH clients are left as they are);
    the socket's path, or None for a client of another transport.

    Also `trust_env = False`: requests otherwise reads ~/.netrc and the proxy variables on
    every call (7% of the idle daemon's samples), none of which applies to a unix socket.
    """
    current: Any = client.get_adapter(client.base_url)
    if type(current) is not UnixHTTPAdapter:
        return None
    client.trust_env = False
    shared = SharedPoolUnixAdapter(
        f"http+unix://{current.socket_path}", timeout=client.timeout, max_pool_size=MAX_POOL_SIZE
    )
    # Every call goes to base_url, so this mount serves them all. docker-py also keeps the old
    # adapter in a private attribute, as a fallback for URLs no mount serves: none of ours.
    client.mount("http+docker://", shared)
    current.close()
    return str(current.socket_path)


def engine_url(client: Any, path: str) -> str:
    """The versioned URL of an Engine endpoint, built as docker-py's own calls build it."""
    return f"{client.base_url}/v{client.api_version}{path}"


def configured_headers() -> dict[str, str]:
    """The extra headers the user's docker config asks for ("HttpHeaders"), which docker-py's
    own calls add to every request."""
    headers = docker.utils.config.load_general_config().get("HttpHeaders") or {}
    return {str(key): str(value) for key, value in headers.items()}


def raise_for_status(response: Any) -> None:
    """Raise the docker-py APIError (NotFound, ...) an error answer means, as docker-py's own
    calls do, so `runtime._docker_errors` translates it like any other."""
    try:
        response.raise_for_status()
    except requests.exceptions.HTTPError as exc:
        # Reads the answer's message (which also releases the connection), then raises.
        docker.errors.create_api_error_from_http_exception(exc)
        raise

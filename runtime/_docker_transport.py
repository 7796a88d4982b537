"""One kept-alive connection pool to the Engine's unix socket, instead of one per URL.

docker-py's unix-socket adapter keys its connection pools by the whole request URL, path and
query included, and keeps 25 of them. A controller's calls name one container each
(`/containers/web-17/json`), so with more than 25 objects the pools are evicted and closed in
turn and nearly every call opened a new connection to dockerd: a connect, a goroutine and a
handshake per call, on both sides. py-spy put a third of the idle daemon's samples there.
Keyed by one constant, every call shares one pool whose connections stay open.
"""

from __future__ import annotations

from typing import Any

import docker
from docker.transport.unixconn import UnixHTTPAdapter

POOL_KEY = "http+docker://localhost"
# Reconcile workers (8 by default) plus the events stream, log followers and the API's calls.
MAX_POOL_SIZE = 16


class SharedPoolUnixAdapter(UnixHTTPAdapter):  # type: ignore[misc]
    def get_connection(self, url: str, proxies: Any = None) -> Any:
        return super().get_connection(POOL_KEY, proxies)


def tune_unix_socket_client(client: docker.APIClient) -> None:
    """One shared pool for a unix-socket client (TCP and SSH clients are left as they are).

    Also `trust_env = False`: requests otherwise reads ~/.netrc and the proxy variables on
    every call (7% of the idle daemon's samples), none of which applies to a unix socket.
    """
    current: Any = getattr(client, "_custom_adapter", None)
    if type(current) is not UnixHTTPAdapter:
        return
    client.trust_env = False
    shared = SharedPoolUnixAdapter(
        f"http+unix://{current.socket_path}", timeout=current.timeout, max_pool_size=MAX_POOL_SIZE
    )
    client.mount("http+docker://", shared)
    client._custom_adapter = shared
    current.close()

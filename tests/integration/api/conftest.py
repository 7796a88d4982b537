"""Daemons for the API and CLI tests: real `dockform daemon` processes on private homes,
against the real dockerd, listening on their unix socket and on a loopback TCP port.

`api_daemon` (module scope) runs with the default policy; `host_daemon` with
--allow-host-access. `api_image` builds one busybox Image per module through the daemon itself,
so containers start without a registry.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import STORES, store_args
from tests.integration.engine.conftest import (  # noqa: F401 - fixtures used by the tests
    BUSYBOX,
    Daemon,
    docker_client,
    start_daemon,
    teardown_daemon,
    unique,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class ApiDaemon:
    """A running daemon, its HTTP clients (unix socket and TCP) and its CLI."""

    daemon: Daemon
    port: int

    @property
    def home(self) -> Path:
        return self.daemon.home

    @property
    def tcp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return (self.home / "token").read_text().strip()

    def http(self) -> httpx.Client:
        """A plain HTTP client on the unix socket, as curl --unix-socket would be."""
        return httpx.Client(
            transport=httpx.HTTPTransport(uds=str(self.daemon.socket)),
            base_url="http://dockform",
            timeout=30,
        )

    def tcp(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return httpx.Client(base_url=self.tcp_url, headers=headers, timeout=30)

    def cli(self, *args: str, input_text: str | None = None, **env: str) -> Any:
        """The CLI on the socket (DOCKFORM_HOME), or on TCP when env sets DOCKFORM_HOST."""
        return self.daemon.cli(*args, input_text=input_text, **env)


def _start(home: Path, *extra: str) -> ApiDaemon:
    port = free_port()
    return ApiDaemon(start_daemon(home, "--listen", f"tcp://127.0.0.1:{port}", *extra), port)


@pytest.fixture(scope="module", params=STORES)
def api_daemon(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, docker_runtime: Any
) -> Iterator[ApiDaemon]:
    running = _start(tmp_path_factory.mktemp("dockform-api"), *store_args(request))
    yield running
    teardown_daemon(running.daemon)


@pytest.fixture(scope="module")
def host_daemon(
    tmp_path_factory: pytest.TempPathFactory, docker_runtime: Any
) -> Iterator[ApiDaemon]:
    running = _start(tmp_path_factory.mktemp("dockform-host"), "--allow-host-access")
    yield running
    teardown_daemon(running.daemon)


@pytest.fixture(scope="module")
def build_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not Path(BUSYBOX).exists():
        pytest.fail("static busybox missing: apt-get install busybox-static")
    context = tmp_path_factory.mktemp("context")
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "Dockerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
    )
    return context


def image_yaml(name: str, context: Path) -> str:
    return (
        "apiVersion: dockform/v1\nkind: Image\n"
        f"metadata: {{name: {name}}}\n"
        f"spec:\n  ref: dockform-test/{name}:latest\n  build: {{context: {context}}}\n"
    )


def container_yaml(
    name: str, image: str, command: str = '["sleep", "3600"]', extra: str = "", labels: str = "{}"
) -> str:
    return (
        "apiVersion: dockform/v1\nkind: Container\n"
        f"metadata: {{name: {name}, labels: {labels}}}\n"
        f"spec:\n  image: dockform-test/{image}:latest\n  command: {command}\n"
        f"  stopGracePeriod: 1s\n{extra}"
    )

"""The three-node Swarm of `scripts/swarm3`, brought up once for the session and always torn down.

Not part of the default `pytest` run (tests/conftest.py ignores this directory unless a path
inside it is named): `pytest tests/swarm3`. Needs root. The session FAILS, never skips, when
the swarm cannot come up. Everything a test makes carries `dockform.test=1` and is removed by it;
`scripts/swarm3 down` then removes the daemons, namespaces and state whatever happened.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import docker
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "swarm3"
REGISTRY = "10.231.0.254:5000"
NODES = (1, 2, 3)
TEST_LABELS = {"dockform.test": "1"}

T = TypeVar("T")


def socket_url(node: int) -> str:
    return f"unix:///run/dfsw/{node}.sock"


def swarm3(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run `scripts/swarm3 ARGS` on the first harness (whatever DFSW_ID the shell has: the
    tests talk to /run/dfsw), output captured (stdout and stderr together)."""
    env = {key: value for key, value in os.environ.items() if key != "DFSW_ID"}
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_until(what: str, probe: Callable[[], T | None], timeout: float = 60) -> T:
    """Poll `probe` every 0.3 s until it returns something truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last seen: {last!r})")


@dataclass
class Swarm:
    """Clients for the three daemons, and each node's swarm id by its number."""

    clients: dict[int, Any] = field(default_factory=dict)
    node_ids: dict[int, str] = field(default_factory=dict)
    up_s: float = 0.0

    @property
    def manager(self) -> Any:
        return self.clients[1]

    def node_number(self, node_id: str) -> int:
        return next(n for n, i in self.node_ids.items() if i == node_id)

    def running_tasks(self, service: Any) -> list[int]:
        """Node numbers of the service's tasks that run (and are meant to), sorted."""
        tasks = service.tasks(filters={"desired-state": "running"})
        return sorted(
            self.node_number(t["NodeID"])
            for t in tasks
            if t.get("NodeID") and t["Status"]["State"] == "running"
        )


@pytest.fixture(scope="session")
def swarm() -> Iterator[Swarm]:
    if os.geteuid() != 0:
        pytest.fail("tests/swarm3 need root (network namespaces, three dockerd)", pytrace=False)
    started = time.monotonic()
    try:
        up = swarm3("up")
        if up.returncode != 0:
            pytest.fail(f"scripts/swarm3 up failed ({up.returncode}):\n{up.stdout}", pytrace=False)
        cluster = Swarm(up_s=time.monotonic() - started)
        for node in NODES:
            client = docker.DockerClient(base_url=socket_url(node), version="auto", timeout=60)
            cluster.clients[node] = client
            cluster.node_ids[node] = client.info()["Swarm"]["NodeID"]
        yield cluster
        for client in cluster.clients.values():
            client.close()
    finally:
        down = swarm3("down")
        if down.returncode != 0:
            print(f"scripts/swarm3 down failed ({down.returncode}):\n{down.stdout}")

"""What the runtime drivers' integration tests share: fresh names, polling, and the objects
a test created, removed in dependency order at teardown (a Swarm service is the Swarm
driver's container)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from dockform.runtime.docker_driver import DockerRuntime
from dockform.runtime.types import ContainerCreate

T = TypeVar("T")

TEST_LABELS = {"dockform.test": "1"}
SERVE_PAGE = "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"


def fresh_name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def wait_for(check: Callable[[], T | None], timeout_s: float, what: str, poll_s: float = 0.05) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(poll_s)


@dataclass
class Objects:
    """What a test created, removed in dependency order at teardown."""

    runtime: DockerRuntime
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def container(self, request: ContainerCreate, start: bool = True) -> str:
        container_id = self.runtime.create_container(request)
        self.containers.append(container_id)
        if start:
            self.runtime.start_container(container_id)
        return container_id

    def remove_all(self) -> None:
        for container_id in self.containers:
            self.runtime.remove_container(container_id)
        for network in self.networks:
            self.runtime.remove_network(network)
        for volume in self.volumes:
            self.runtime.remove_volume(volume)
        for image in self.images:
            self.runtime.remove_image(image)

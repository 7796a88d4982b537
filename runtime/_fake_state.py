"""The mutable records behind `runtime.fake.FakeRuntime`, and how each reads as runtime types.

Kept apart from the fake's methods so `fake.py` reads as the list of Engine behaviours it
mirrors. Nothing here locks: the fake holds its lock around every use.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dockform.runtime.types import (
    ContainerCreate,
    ContainerInfo,
    ImageInfo,
    NetworkInfo,
    PortBinding,
    VolumeInfo,
)

_counter = itertools.count(1)


def new_id(kind: str) -> str:
    """A 64-hex id like the Engine's, unique within the process."""
    return hashlib.sha256(f"{kind}:{next(_counter)}".encode()).hexdigest()


def now_text() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class FakeContainer:
    id: str
    request: ContainerCreate
    image_id: str
    state: str = "created"
    health: str | None = None
    restart_count: int = 0
    exit_code: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    # network name -> IP ("" while not running, as the Engine reports it)
    networks: dict[str, str] = field(default_factory=dict)
    ports: tuple[PortBinding, ...] = ()
    logs: bytes = b""
    # network name -> the static IPv4 address asked for on it (create or connect)
    static_addresses: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.request.name

    @property
    def running(self) -> bool:
        return self.state == "running"

    def volume_names(self) -> set[str]:
        return {mount.source for mount in self.request.mounts if mount.type == "volume"}

    def info(self, replicated: bool = False) -> ContainerInfo:
        return ContainerInfo(
            id=self.id,
            name=self.name,
            image_id=self.image_id,
            labels=dict(self.request.labels),
            state=self.state,
            health=self.health,
            restart_count=self.restart_count,
            exit_code=self.exit_code,
            started_at=self.started_at,
            finished_at=self.finished_at,
            networks=dict(self.networks),
            ports=self.ports,
            replicas=self.request.replicas if replicated else None,
            running_replicas=(self.request.replicas if self.running else 0) if replicated else None,
        )


@dataclass
class FakeImage:
    id: str
    tags: set[str]
    labels: dict[str, str]

    def info(self) -> ImageInfo:
        return ImageInfo(id=self.id, tags=tuple(sorted(self.tags)), labels=dict(self.labels))


@dataclass
class FakeNetwork:
    id: str
    name: str
    labels: dict[str, str]
    driver: str
    internal: bool
    subnet: str | None
    gateway: str | None
    predefined: bool = False
    # container id -> aliases; the Engine lists a container only while it runs
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)
    next_host: int = 2

    def allocate_ip(self) -> str:
        if self.subnet is None:  # host / none: no addresses of their own
            return ""
        prefix = self.subnet.split("/", 1)[0].rsplit(".", 1)[0]
        address = f"{prefix}.{self.next_host}"
        self.next_host += 1
        return address

    def info(self, running_ids: set[str]) -> NetworkInfo:
        return NetworkInfo(
            id=self.id,
            name=self.name,
            labels=dict(self.labels),
            driver=self.driver,
            internal=self.internal,
            subnet=self.subnet,
            gateway=self.gateway,
            container_ids=tuple(sorted(cid for cid in self.members if cid in running_ids)),
        )


@dataclass
class FakeVolume:
    name: str
    labels: dict[str, str]
    driver: str
    driver_opts: dict[str, str]

    def info(self) -> VolumeInfo:
        return VolumeInfo(
            name=self.name,
            labels=dict(self.labels),
            driver=self.driver,
            driver_opts=dict(self.driver_opts),
            mountpoint=f"/var/lib/docker/volumes/{self.name}/_data",
        )


def tail_lines(data: bytes, tail: int | None) -> bytes:
    if tail is None:
        return data
    if tail <= 0:
        return b""
    lines = data.splitlines(keepends=True)
    return b"".join(lines[-tail:])

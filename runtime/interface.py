"""The `Runtime` interface: the only way the controller reaches a container engine.

`runtime.docker_driver.DockerRuntime` implements it on the Docker Engine API and
`runtime.swarm_driver.SwarmRuntime` beside it on a Swarm manager (a container there is a
service). `runtime.fake.FakeRuntime` implements it in memory for fast planner
and queue tests. Methods are verb_noun after the Engine endpoints. Every method raises only
`runtime.errors` types. Lookups by name return None for "not found" instead of raising.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol

from dockform.runtime.types import (
    BuildRequest,
    BuildResult,
    ContainerCreate,
    ContainerInfo,
    ContainerSummary,
    ImageInfo,
    NetworkCreate,
    NetworkInfo,
    RuntimeEvent,
    VolumeCreate,
    VolumeInfo,
)


class Runtime(Protocol):
    # Whether the engine runs a request's replicas and rolls updates out itself (Swarm): one
    # create makes a service of `replicas`, `update_container` changes it in place. False on
    # one host, where a replicated Container is N containers the controller plans one by one.
    replicates: bool

    # --- engine
    def ping(self) -> bool:
        """Whether the engine answers now: one cheap call, bounded by a few seconds; never
        raises."""
        ...

    def accepts_connections(self) -> bool:
        """`ping` over a new connection, not a kept-alive one. A dockerd shutting down closes
        its listener first and goes on serving the connections already open while it stops
        its containers: only a new connection tells that it is going down."""
        ...

    def engine_version(self) -> str: ...

    # --- containers
    def list_containers(self, labels: dict[str, str] | None = None) -> list[ContainerSummary]:
        """All containers (running or not) whose labels include every given pair, as the list
        shows them: one Engine call however many match; inspect_container for the details."""
        ...

    def inspect_container(self, name_or_id: str) -> ContainerInfo | None: ...

    def create_container(self, request: ContainerCreate) -> str:
        """Create (not start); attach every network of the request. Returns the id."""
        ...

    def start_container(self, container_id: str) -> None: ...

    def stop_container(self, container_id: str, timeout_s: int) -> None: ...

    def restart_container(self, container_id: str, timeout_s: int) -> None: ...

    def update_container(self, container_id: str, request: ContainerCreate) -> None:
        """Change a service in place to `request` (replicas, rollout and all): the engine
        rolls it out by `request.rollout`. Only where `replicates`; else InvalidRequest."""
        ...

    def scale_container(self, container_id: str, replicas: int) -> None:
        """Run `replicas` copies of a service. Only where `replicates`; else InvalidRequest."""
        ...

    def rename_container(self, container_id: str, new_name: str) -> None:
        """Give the container another name (its successor takes the old one: a start-first
        rollout). A taken name raises ObjectConflict."""
        ...

    def remove_container(self, container_id: str) -> None:
        """Force-remove (kills if running) with anonymous volumes; not-found is not an error."""
        ...

    def container_logs(
        self, container_id: str, tail: int | None, follow: bool
    ) -> Iterator[bytes]: ...

    # --- images
    def inspect_image(self, ref: str) -> ImageInfo | None: ...

    def list_images(self, labels: dict[str, str] | None = None) -> list[ImageInfo]: ...

    def build_image(self, request: BuildRequest) -> BuildResult:
        """Build and tag, with BuildKit when the engine offers it (else the classic builder);
        returns the image id and the builder used. Raises ImageBuildFailed naming the failing
        step, with the last lines of its output."""
        ...

    def pull_image(self, ref: str) -> str: ...

    def load_image(self, tarball_path: str, ref: str) -> str:
        """`docker load` the tarball as `ref`: tags the (first) loaded image `ref` when the
        tarball did not carry that tag already. Returns the id of the image `ref` names.
        A missing tarball raises ObjectNotFound."""
        ...

    def tag_image(self, image_id: str, ref: str) -> None: ...

    def remove_image(self, ref: str) -> None:
        """Remove a tag/image; not-found is not an error; in use raises ObjectConflict."""
        ...

    # --- networks
    def list_networks(self, labels: dict[str, str] | None = None) -> list[NetworkInfo]: ...

    def inspect_network(self, name_or_id: str) -> NetworkInfo | None: ...

    def create_network(self, request: NetworkCreate) -> str: ...

    def remove_network(self, name_or_id: str) -> None: ...

    def connect_network(
        self,
        network: str,
        container_id: str,
        aliases: tuple[str, ...],
        *,
        ipv4_address: str | None = None,
        ipv6_address: str | None = None,
    ) -> None: ...

    def disconnect_network(self, network: str, container_id: str) -> None: ...

    # --- volumes
    def list_volumes(self, labels: dict[str, str] | None = None) -> list[VolumeInfo]: ...

    def inspect_volume(self, name: str) -> VolumeInfo | None: ...

    def create_volume(self, request: VolumeCreate) -> str: ...

    def remove_volume(self, name: str) -> None: ...

    # --- events
    def events(self, stop: threading.Event) -> Iterator[RuntimeEvent]:
        """Stream engine events until `stop` is set (checks it at least every second); then
        the iterator simply ends. Any other end raises RuntimeUnavailable: the stream broke, or
        the engine closed it (dockerd shutting down). The caller waits for ping() and reconnects,
        and should re-observe, since events in between are lost."""
        ...

"""`FakeRuntime`: the `Runtime` interface in memory, for planner, queue and controller tests.

It mirrors the Docker Engine where reconcilers care: a taken container name is a conflict,
starting needs the container's networks, removal forces, a network is "in use" only while a
running container is attached, a volume while any container mounts it, an image while any
container uses its last tag; creating a container with a missing named volume creates it.
Every mutating call is recorded in `calls` ("create_container web", "start_container <id>")
when attempted, so tests assert what an executor did; events go to one queue that
`events(stop)` drains, for one consumer at a time (the controller's event trigger).

Test-side helpers (not part of `Runtime`): `add_image`, `add_remote_image`, `add_tarball`,
`kill`, `set_health`, `set_logs`, `set_available`, `fail_next`.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, replace

from dockform.runtime._fake_state import (
    FakeContainer,
    FakeImage,
    FakeNetwork,
    FakeVolume,
    new_id,
    now_text,
    tail_lines,
)
from dockform.runtime.errors import (
    InvalidRequest,
    ObjectConflict,
    ObjectNotFound,
    RuntimeUnavailable,
)
from dockform.runtime.refs import normalize_ref
from dockform.runtime.types import (
    BUILDKIT,
    BuildRequest,
    BuildResult,
    ContainerCreate,
    ContainerInfo,
    ContainerSummary,
    ImageInfo,
    NetworkCreate,
    NetworkInfo,
    PortBinding,
    RuntimeEvent,
    VolumeCreate,
    VolumeInfo,
)

_RESTARTING_POLICIES = {"always", "unless-stopped"}
_FIRST_HOST_PORT = 32768


def _has_labels(labels: dict[str, str], wanted: dict[str, str] | None) -> bool:
    return all(labels.get(key) == value for key, value in (wanted or {}).items())


class FakeRuntime:
    def __init__(self, *, replicates: bool = False) -> None:
        # True: it plays an engine that runs replicas itself (Swarm): a create runs the
        # request's replicas, update_container changes it in place.
        self.replicates = replicates
        self._lock = threading.RLock()
        self.calls: list[str] = []
        self.emitted: list[RuntimeEvent] = []
        self._events: queue.Queue[RuntimeEvent] = queue.Queue()
        self._failures: dict[str, list[Exception]] = {}
        self._available = True
        self.containers: dict[str, FakeContainer] = {}
        self.images: dict[str, FakeImage] = {}
        self.networks: dict[str, FakeNetwork] = {}
        self.volumes: dict[str, FakeVolume] = {}
        self._remote: dict[str, dict[str, str]] = {}
        self._tarballs: dict[str, tuple[list[str], dict[str, str]]] = {}
        self._next_port = _FIRST_HOST_PORT
        self._next_subnet = 18
        for name, driver, subnet in (
            ("bridge", "bridge", "172.17.0.0/16"),
            ("host", "host", None),
            ("none", "null", None),
        ):
            gateway = subnet.replace("0.0/16", "0.1") if subnet else None
            network = FakeNetwork(new_id("network"), name, {}, driver, False, subnet, gateway, True)
            self.networks[network.id] = network

    # --- test helpers

    def fail_next(self, method_name: str, error: Exception) -> None:
        """Make the next call of `method_name` raise `error` (queued: call again for more)."""
        if not callable(getattr(self, method_name, None)):
            raise ValueError(f"FakeRuntime has no method {method_name}")
        with self._lock:
            self._failures.setdefault(method_name, []).append(error)

    def set_available(self, available: bool) -> None:
        """While unavailable, every call raises RuntimeUnavailable and ping() is False."""
        with self._lock:
            self._available = available

    def add_image(self, ref: str, labels: dict[str, str] | None = None) -> str:
        with self._lock:
            return self._store_image(ref, labels or {}, new_id("image"))

    def add_remote_image(self, ref: str, labels: dict[str, str] | None = None) -> None:
        """Make `pull_image(ref)` succeed (otherwise pulling raises ObjectNotFound)."""
        with self._lock:
            self._remote[normalize_ref(ref)] = dict(labels or {})

    def add_tarball(self, path: str, refs: list[str], labels: dict[str, str] | None = None) -> None:
        """Make `load_image(path, ref)` load one image tagged with `refs` (and `ref`)."""
        with self._lock:
            self._tarballs[path] = ([normalize_ref(ref) for ref in refs], dict(labels or {}))

    def kill(self, container_id: str, exit_code: int, apply_restart_policy: bool = True) -> None:
        """The container's process exits; its restart policy restarts it, as the Engine would."""
        with self._lock:
            container = self._container(container_id)
            if not container.running:
                raise ValueError(f"container {container_id} is not running")
            self._mark_stopped(container, exit_code)
            policy = container.request.restart_policy
            if not apply_restart_policy:
                return
            if policy in _RESTARTING_POLICIES or (policy == "on-failure" and exit_code != 0):
                container.restart_count += 1
                self._mark_running(container)

    def set_health(self, container_id: str, health: str) -> None:
        with self._lock:
            container = self._container(container_id)
            container.health = health
            self._emit_container(container, "health_status")

    def set_logs(self, container_id: str, data: bytes) -> None:
        with self._lock:
            self._container(container_id).logs = data

    # --- plumbing

    def _enter(self, method_name: str, call: str | None = None) -> None:
        with self._lock:
            if call is not None:
                self.calls.append(call)
            if not self._available:
                raise RuntimeUnavailable(f"{method_name}: the fake engine is down")
            pending = self._failures.get(method_name)
            if pending:
                raise pending.pop(0)

    def _emit(self, event_type: str, action: str, object_id: str, labels: dict[str, str]) -> None:
        event = RuntimeEvent(event_type, action, object_id, dict(labels), time.time_ns())
        self.emitted.append(event)
        self._events.put(event)

    def _emit_container(self, container: FakeContainer, action: str) -> None:
        attributes = {**container.request.labels, "name": container.name}
        self._emit("container", action, container.id, {**attributes, "image": container.image_id})

    def _emit_network(self, network: FakeNetwork, action: str, container_id: str = "") -> None:
        attributes = {"name": network.name, "type": network.driver}
        if container_id:
            attributes["container"] = container_id
        self._emit("network", action, network.id, attributes)

    def _find_container(self, name_or_id: str) -> FakeContainer | None:
        if name_or_id in self.containers:
            return self.containers[name_or_id]
        for container in self.containers.values():
            if container.name == name_or_id.lstrip("/"):
                return container
        matches = [c for c in self.containers.values() if c.id.startswith(name_or_id)]
        return matches[0] if len(matches) == 1 and name_or_id else None

    def _container(self, name_or_id: str) -> FakeContainer:
        container = self._find_container(name_or_id)
        if container is None:
            raise ObjectNotFound(f"no such container: {name_or_id}")
        return container

    def _find_image(self, ref: str) -> FakeImage | None:
        bare = ref.removeprefix("sha256:")
        for image in self.images.values():
            if image.id == ref or normalize_ref(ref) in image.tags:
                return image
        matches = [i for i in self.images.values() if i.id.removeprefix("sha256:").startswith(bare)]
        return matches[0] if len(matches) == 1 and len(bare) >= 4 else None

    def _store_image(self, ref: str, labels: dict[str, str], image_id: str) -> str:
        tag = normalize_ref(ref)
        image = self.images.get(image_id)
        if image is None:
            image = FakeImage(image_id, set(), dict(labels))
            self.images[image_id] = image
        for other in self.images.values():
            other.tags.discard(tag)  # a tag names one image; the old one keeps its others
        image.tags.add(tag)
        self._emit("image", "tag", image_id, {"name": tag})
        return image_id

    def _find_network(self, name_or_id: str) -> FakeNetwork | None:
        if name_or_id in self.networks:
            return self.networks[name_or_id]
        for network in self.networks.values():
            if network.name == name_or_id:
                return network
        matches = [n for n in self.networks.values() if n.id.startswith(name_or_id)]
        return matches[0] if len(matches) == 1 and name_or_id else None

    def _network(self, name_or_id: str) -> FakeNetwork:
        network = self._find_network(name_or_id)
        if network is None:
            raise ObjectNotFound(f"network {name_or_id} not found")
        return network

    def _running_ids(self) -> set[str]:
        return {cid for cid, container in self.containers.items() if container.running}

    def _mark_running(self, container: FakeContainer) -> None:
        networks = [self._network(name) for name in container.networks]  # gone: start fails
        container.state = "running"
        container.started_at = now_text()
        container.exit_code = None
        container.health = "starting" if container.request.healthcheck else None
        for network in networks:
            static = container.static_addresses.get(network.name)
            container.networks[network.name] = static or network.allocate_ip()
        container.ports = tuple(self._bind(port) for port in container.request.ports)
        self._emit_container(container, "start")

    def _bind(self, port: PortBinding) -> PortBinding:
        if port.host_port is not None:
            return port
        self._next_port += 1
        return PortBinding(port.container_port, port.protocol, port.host_ip, self._next_port)

    def _mark_stopped(self, container: FakeContainer, exit_code: int) -> None:
        container.state = "exited"
        container.exit_code = exit_code
        container.finished_at = now_text()
        container.networks = dict.fromkeys(container.networks, "")
        container.ports = ()
        if container.health is not None:
            container.health = "unhealthy"  # what the Engine reports once stopped
        self._emit_container(container, "die")

    # --- engine

    def ping(self) -> bool:
        with self._lock:
            try:
                self._enter("ping")
            except RuntimeUnavailable:
                return False
            return True

    def accepts_connections(self) -> bool:
        return self.ping()

    def engine_version(self) -> str:
        self._enter("engine_version")
        return "fake"

    # --- containers

    def list_containers(self, labels: dict[str, str] | None = None) -> list[ContainerSummary]:
        with self._lock:
            self._enter("list_containers")
            found = [
                c.info().summary()
                for c in self.containers.values()
                if _has_labels(c.request.labels, labels)
            ]
            return sorted(found, key=lambda summary: (summary.name, summary.id))

    def inspect_container(self, name_or_id: str) -> ContainerInfo | None:
        with self._lock:
            self._enter("inspect_container")
            container = self._find_container(name_or_id)
            return container.info(self.replicates) if container else None

    def create_container(self, request: ContainerCreate) -> str:
        with self._lock:
            self._enter("create_container", f"create_container {request.name}")
            if any(c.name == request.name for c in self.containers.values()):
                raise ObjectConflict(f'the container name "/{request.name}" is already in use')
            image = self._find_image(request.image)
            if image is None:
                raise ObjectNotFound(f"no such image: {request.image}")
            networks = [self._network(name).name for name in request.networks] or ["bridge"]
            for mount in request.mounts:
                if mount.type == "volume" and mount.source not in self.volumes:
                    # The Engine creates a missing named volume, unlabelled, on create.
                    self.volumes[mount.source] = FakeVolume(mount.source, {}, "local", {})
                    self._emit("volume", "create", mount.source, {"driver": "local"})
            container = FakeContainer(new_id("container"), request, image.id)
            container.networks = dict.fromkeys(networks, "")
            self.containers[container.id] = container
            for name in networks:
                endpoint = request.endpoint(name)
                aliases = (request.name, *request.network_aliases, *endpoint.aliases)
                self._network(name).members[container.id] = tuple(dict.fromkeys(aliases))
                if endpoint.ipv4_address:
                    container.static_addresses[name] = endpoint.ipv4_address
            self._emit_container(container, "create")
            return container.id

    def start_container(self, container_id: str) -> None:
        with self._lock:
            self._enter("start_container", f"start_container {container_id}")
            container = self._container(container_id)
            if not container.running:
                self._mark_running(container)

    def stop_container(self, container_id: str, timeout_s: int) -> None:
        with self._lock:
            self._enter("stop_container", f"stop_container {container_id}")
            container = self._container(container_id)
            if container.running:
                self._mark_stopped(container, 0)
                self._emit_container(container, "stop")

    def restart_container(self, container_id: str, timeout_s: int) -> None:
        with self._lock:
            self._enter("restart_container", f"restart_container {container_id}")
            container = self._container(container_id)
            if container.running:
                self._mark_stopped(container, 0)
            self._mark_running(container)
            self._emit_container(container, "restart")

    def update_container(self, container_id: str, request: ContainerCreate) -> None:
        with self._lock:
            self._enter("update_container", f"update_container {container_id}")
            if not self.replicates:
                raise InvalidRequest(f"update container {container_id}: not a Swarm")
            container = self._container(container_id)
            container.request = request
            self._emit_container(container, "update")

    def scale_container(self, container_id: str, replicas: int) -> None:
        with self._lock:
            self._enter("scale_container", f"scale_container {container_id} {replicas}")
            if not self.replicates:
                raise InvalidRequest(f"scale container {container_id}: not a Swarm")
            container = self._container(container_id)
            container.request = replace(container.request, replicas=replicas)
            self._emit_container(container, "update")

    def rename_container(self, container_id: str, new_name: str) -> None:
        with self._lock:
            self._enter("rename_container", f"rename_container {container_id} {new_name}")
            container = self._container(container_id)
            if any(c.name == new_name for c in self.containers.values()):
                raise ObjectConflict(f'the container name "/{new_name}" is already in use')
            container.request = replace(container.request, name=new_name)
            self._emit_container(container, "rename")

    def remove_container(self, container_id: str) -> None:
        with self._lock:
            self._enter("remove_container", f"remove_container {container_id}")
            container = self._find_container(container_id)
            if container is None:
                return
            if container.running:
                self._mark_stopped(container, 137)  # force: killed
            for network in self.networks.values():
                network.members.pop(container.id, None)
            del self.containers[container.id]
            self._emit_container(container, "destroy")

    def container_logs(self, container_id: str, tail: int | None, follow: bool) -> Iterator[bytes]:
        with self._lock:
            self._enter("container_logs")
            data = tail_lines(self._container(container_id).logs, tail)
        return iter([data] if data else [])

    # --- images

    def inspect_image(self, ref: str) -> ImageInfo | None:
        with self._lock:
            self._enter("inspect_image")
            image = self._find_image(ref)
            return image.info() if image else None

    def list_images(self, labels: dict[str, str] | None = None) -> list[ImageInfo]:
        with self._lock:
            self._enter("list_images")
            found = [i.info() for i in self.images.values() if _has_labels(i.labels, labels)]
            return sorted(found, key=lambda info: info.id)

    def build_image(self, request: BuildRequest) -> BuildResult:
        with self._lock:
            self._enter("build_image", f"build_image {request.tag}")
            # Same request, same id, as the Engine's build cache would give; any change in
            # args or labels (where the content hash lives) gives a new image.
            digest = hashlib.sha256(json.dumps(asdict(request), sort_keys=True).encode())
            image_id = self._store_image(
                request.tag, request.labels, f"sha256:{digest.hexdigest()}"
            )
            return BuildResult(image_id, BUILDKIT)

    def pull_image(self, ref: str) -> str:
        with self._lock:
            self._enter("pull_image", f"pull_image {ref}")
            labels = self._remote.get(normalize_ref(ref))
            if labels is None:
                raise ObjectNotFound(f"pull {ref}: repository does not exist or no pull access")
            existing = self._find_image(ref)
            if existing is not None and existing.labels == labels:
                return existing.id
            image_id = self._store_image(ref, labels, new_id("image"))
            self._emit("image", "pull", normalize_ref(ref), {"name": normalize_ref(ref)})
            return image_id

    def load_image(self, tarball_path: str, ref: str) -> str:
        with self._lock:
            self._enter("load_image", f"load_image {tarball_path} {ref}")
            if tarball_path not in self._tarballs:
                raise ObjectNotFound(f"load image: cannot open {tarball_path}")
            refs, labels = self._tarballs[tarball_path]
            image_id = new_id("image")
            for tag in refs:
                self._store_image(tag, labels, image_id)
            self._emit("image", "load", image_id, {})
            if normalize_ref(ref) not in refs:
                self._store_image(ref, labels, image_id)  # the driver tags it, as the Engine
            return image_id

    def tag_image(self, image_id: str, ref: str) -> None:
        with self._lock:
            self._enter("tag_image", f"tag_image {image_id} {ref}")
            image = self._find_image(image_id)
            if image is None:
                raise ObjectNotFound(f"no such image: {image_id}")
            self._store_image(ref, image.labels, image.id)

    def remove_image(self, ref: str) -> None:
        with self._lock:
            self._enter("remove_image", f"remove_image {ref}")
            image = self._find_image(ref)
            if image is None:
                return
            tag = normalize_ref(ref)
            if tag in image.tags and len(image.tags) > 1:
                image.tags.discard(tag)
                self._emit("image", "untag", image.id, {"name": tag})
                return
            if tag not in image.tags and len(image.tags) > 1:
                raise ObjectConflict(f"image {image.id} is referenced in multiple repositories")
            users = [c.name for c in self.containers.values() if c.image_id == image.id]
            if users:
                raise ObjectConflict(f"image {ref} is being used by container {users[0]}")
            del self.images[image.id]
            self._emit("image", "delete", image.id, {"name": tag})

    # --- networks

    def list_networks(self, labels: dict[str, str] | None = None) -> list[NetworkInfo]:
        with self._lock:
            self._enter("list_networks")
            running = self._running_ids()
            found = [
                n.info(running) for n in self.networks.values() if _has_labels(n.labels, labels)
            ]
            return sorted(found, key=lambda info: (info.name, info.id))

    def inspect_network(self, name_or_id: str) -> NetworkInfo | None:
        with self._lock:
            self._enter("inspect_network")
            network = self._find_network(name_or_id)
            return network.info(self._running_ids()) if network else None

    def create_network(self, request: NetworkCreate) -> str:
        with self._lock:
            self._enter("create_network", f"create_network {request.name}")
            if any(n.name == request.name for n in self.networks.values()):
                raise ObjectConflict(f"network with name {request.name} already exists")
            subnet, gateway = request.subnet, request.gateway
            if subnet is None:
                subnet = f"172.{self._next_subnet}.0.0/16"
                self._next_subnet += 1
            if gateway is None:
                gateway = subnet.split("/", 1)[0].rsplit(".", 1)[0] + ".1"
            network = FakeNetwork(
                new_id("network"),
                request.name,
                dict(request.labels),
                request.driver,
                request.internal,
                subnet,
                gateway,
            )
            self.networks[network.id] = network
            self._emit_network(network, "create")
            return network.id

    def remove_network(self, name_or_id: str) -> None:
        with self._lock:
            self._enter("remove_network", f"remove_network {name_or_id}")
            network = self._find_network(name_or_id)
            if network is None:
                return
            if network.predefined:
                raise InvalidRequest(f"{network.name} is a pre-defined network")
            running = self._running_ids()
            if any(container_id in running for container_id in network.members):
                raise ObjectConflict(f"network {network.name} has active endpoints")
            del self.networks[network.id]
            self._emit_network(network, "destroy")

    def connect_network(
        self,
        network: str,
        container_id: str,
        aliases: tuple[str, ...],
        *,
        ipv4_address: str | None = None,
        ipv6_address: str | None = None,
    ) -> None:
        with self._lock:
            self._enter("connect_network", f"connect_network {network} {container_id}")
            target = self._network(network)
            container = self._container(container_id)
            if container.id in target.members:
                raise ObjectConflict(f"endpoint {container.name} already exists in {network}")
            target.members[container.id] = aliases
            if ipv4_address:
                container.static_addresses[target.name] = ipv4_address
            address = ipv4_address or target.allocate_ip()
            container.networks[target.name] = address if container.running else ""
            self._emit_network(target, "connect", container.id)

    def disconnect_network(self, network: str, container_id: str) -> None:
        with self._lock:
            self._enter("disconnect_network", f"disconnect_network {network} {container_id}")
            target = self._network(network)
            container = self._container(container_id)
            if target.members.pop(container.id, None) is None:
                return  # not connected: already the state asked for
            container.networks.pop(target.name, None)
            self._emit_network(target, "disconnect", container.id)

    # --- volumes

    def list_volumes(self, labels: dict[str, str] | None = None) -> list[VolumeInfo]:
        with self._lock:
            self._enter("list_volumes")
            found = [v.info() for v in self.volumes.values() if _has_labels(v.labels, labels)]
            return sorted(found, key=lambda info: info.name)

    def inspect_volume(self, name: str) -> VolumeInfo | None:
        with self._lock:
            self._enter("inspect_volume")
            volume = self.volumes.get(name)
            return volume.info() if volume else None

    def create_volume(self, request: VolumeCreate) -> str:
        with self._lock:
            self._enter("create_volume", f"create_volume {request.name}")
            if request.name in self.volumes:
                return request.name  # the Engine answers with the existing volume
            self.volumes[request.name] = FakeVolume(
                request.name, dict(request.labels), request.driver, dict(request.driver_opts)
            )
            self._emit("volume", "create", request.name, {"driver": request.driver})
            return request.name

    def remove_volume(self, name: str) -> None:
        with self._lock:
            self._enter("remove_volume", f"remove_volume {name}")
            volume = self.volumes.get(name)
            if volume is None:
                return
            users = [c.id for c in self.containers.values() if name in c.volume_names()]
            if users:
                raise ObjectConflict(f"remove {name}: volume is in use - {users}")
            del self.volumes[name]
            self._emit("volume", "destroy", name, {"driver": volume.driver})

    # --- events

    def events(self, stop: threading.Event) -> Iterator[RuntimeEvent]:
        self._enter("events")
        while not stop.is_set():
            with self._lock:
                if not self._available:
                    raise RuntimeUnavailable("events: the fake engine is down")
            try:
                yield self._events.get(timeout=0.05)
            except queue.Empty:
                continue

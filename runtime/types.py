"""Plain data that crosses the runtime boundary: what to create, and what was observed.

These are engine-neutral dataclasses; docker-py objects never leave `runtime/`. The container
create request is already in the engine's vocabulary (Docker restart policy names, nanoCPUs,
bytes), because reconcilers translate manifests into it in pure code that tests can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dockform.manifests.namespaces import DEFAULT_NAMESPACE

MANAGED_LABEL = "io.dockform.managed"
KIND_LABEL = "io.dockform.kind"
NAME_LABEL = "io.dockform.name"
HASH_LABEL = "io.dockform.spec-hash"
# The resource's namespace; absent on objects of `default` (so those made before namespaces
# existed, and their spec hashes, stay as they are).
NAMESPACE_LABEL = "io.dockform.namespace"
# What a container was made from (generation, image id, content digests) and why it was made
# (the cause, and what its predecessor was made from): `dockform explain` reads them.
MADE_FOR_LABEL = "io.dockform.made-for"
# Which replica of a replicated Container a container is (1 .. replicas).
REPLICA_LABEL = "io.dockform.replica"
MADE_BECAUSE_LABEL = "io.dockform.made-because"


def managed_labels(
    kind: str, name: str, spec_hash: str, namespace: str = DEFAULT_NAMESPACE
) -> dict[str, str]:
    labels = {MANAGED_LABEL: "true", KIND_LABEL: kind, NAME_LABEL: name, HASH_LABEL: spec_hash}
    if namespace != DEFAULT_NAMESPACE:
        labels[NAMESPACE_LABEL] = namespace
    return labels


def label_namespace(labels: dict[str, str]) -> str:
    """The namespace an engine object's labels name (`default` when they name none)."""
    return labels.get(NAMESPACE_LABEL) or DEFAULT_NAMESPACE


def label_key(labels: dict[str, str]) -> tuple[str, str]:
    """(namespace, name) of the resource an engine object's labels name."""
    return (label_namespace(labels), labels.get(NAME_LABEL, ""))


def owned_by(
    labels: dict[str, str], kind: str, name: str, namespace: str = DEFAULT_NAMESPACE
) -> bool:
    """Whether an engine object's labels say dockform made it for resource kind/name of
    `namespace`."""
    return (
        labels.get(MANAGED_LABEL) == "true"
        and labels.get(KIND_LABEL) == kind
        and labels.get(NAME_LABEL) == name
        and label_namespace(labels) == namespace
    )


@dataclass(frozen=True)
class PortBinding:
    container_port: int
    protocol: str  # tcp | udp | sctp
    host_ip: str
    host_port: int | None  # None: the engine picks a free port


@dataclass(frozen=True)
class Mount:
    target: str
    source: str  # volume name, absolute host path, or "" for a tmpfs
    type: str  # "volume" | "bind" | "tmpfs"
    read_only: bool = False
    # bind only: the engine creates a missing source directory (its `-v` bind syntax does,
    # its Mounts API refuses), SELinux relabel ("z" | "Z"), propagation ("rprivate", ...).
    create_host_path: bool = False
    selinux: str | None = None
    propagation: str | None = None
    # tmpfs only (TmpfsOptions); None leaves the engine's default.
    tmpfs_size_bytes: int | None = None
    tmpfs_mode: int | None = None
    # A Secret's or Config's file ("secret" | "config"), bound from the daemon's own
    # directory: an engine that keeps such content itself (Swarm, whose tasks may run on other
    # nodes) makes a secret or config of its own from the file instead of binding it.
    content: str | None = None


@dataclass(frozen=True)
class HealthcheckConfig:
    test: tuple[str, ...]  # ("CMD", "arg", ...)
    interval_ns: int
    timeout_ns: int
    retries: int
    start_period_ns: int


@dataclass(frozen=True)
class NetworkEndpoint:
    """What a container asks of one network beyond joining it (EndpointSettings)."""

    network: str
    aliases: tuple[str, ...] = ()
    ipv4_address: str | None = None
    ipv6_address: str | None = None


@dataclass(frozen=True)
class Ulimit:
    name: str
    soft: int
    hard: int


@dataclass(frozen=True)
class DeviceMapping:
    host_path: str
    container_path: str
    permissions: str = "rwm"


@dataclass(frozen=True)
class DeviceRequest:
    """HostConfig.DeviceRequests: count -1 means every device of the driver."""

    driver: str = ""
    count: int = 0
    device_ids: tuple[str, ...] = ()
    capabilities: tuple[tuple[str, ...], ...] = ()
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RolloutConfig:
    """How an engine that runs replicas itself (Swarm) rolls a changed service out: its
    UpdateConfig (failure_action pause | rollback; order stop-first | start-first)."""

    parallelism: int = 1
    order: str = "stop-first"
    delay_ns: int = 0
    monitor_ns: int = 5_000_000_000
    failure_action: str = "pause"


@dataclass(frozen=True)
class PlacementConfig:
    """Where an engine with several nodes (Swarm) may run the replicas."""

    constraints: tuple[str, ...] = ()
    spread: tuple[str, ...] = ()  # placement preferences: spread over these node labels


@dataclass(frozen=True)
class ContainerCreate:
    """Everything needed for one `POST /containers/create` (plus network attachments)."""

    name: str
    image: str  # image id or reference
    labels: dict[str, str]
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    user: str | None = None
    ports: tuple[PortBinding, ...] = ()
    mounts: tuple[Mount, ...] = ()
    networks: tuple[str, ...] = ()  # network names; first is the primary
    network_aliases: tuple[str, ...] = ()
    restart_policy: str = "always"  # Docker's: no | always | on-failure | unless-stopped
    healthcheck: HealthcheckConfig | None = None
    memory_bytes: int | None = None
    nano_cpus: int | None = None
    stop_timeout_s: int | None = None
    # For an engine that runs replicas itself (`Runtime.replicates`): how a changed spec
    # rolls out, and where replicas may run. The Engine driver ignores both.
    rollout: RolloutConfig | None = None
    placement: PlacementConfig | None = None
    # Host-level powers: refused by the daemon's policy unless explicitly allowed.
    privileged: bool = False
    host_network: bool = False
    host_pid: bool = False
    host_ipc: bool = False
    # Per-network aliases and static addresses, for networks that have any.
    network_endpoints: tuple[NetworkEndpoint, ...] = ()
    # Engine settings; None / empty leaves the Engine's default.
    hostname: str | None = None
    domainname: str | None = None
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    ulimits: tuple[Ulimit, ...] = ()
    shm_size_bytes: int | None = None
    tmpfs: dict[str, str] = field(default_factory=dict)  # path -> mount options
    read_only: bool = False
    devices: tuple[DeviceMapping, ...] = ()
    device_requests: tuple[DeviceRequest, ...] = ()
    init: bool | None = None
    stop_signal: str | None = None
    extra_hosts: tuple[str, ...] = ()  # "host:ip"
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    sysctls: dict[str, str] = field(default_factory=dict)
    security_opt: tuple[str, ...] = ()
    pids_limit: int | None = None
    group_add: tuple[str, ...] = ()
    log_driver: str | None = None
    log_options: dict[str, str] = field(default_factory=dict)
    oom_score_adj: int | None = None
    platform: str | None = None
    # How many copies the engine runs of it: the Swarm driver's service replicas; the Engine
    # driver makes one container whatever it says (replicated Containers there are N requests).
    replicas: int = 1

    def endpoint(self, network: str) -> NetworkEndpoint:
        """The endpoint settings for `network` (plain membership when it has none)."""
        for endpoint in self.network_endpoints:
            if endpoint.network == network:
                return endpoint
        return NetworkEndpoint(network)


@dataclass(frozen=True)
class TaskInfo:
    """One Swarm task of a service (the Swarm driver's ContainerInfo.tasks): where it runs,
    its state and the state Swarm wants for it, why it failed, and its container."""

    node: str
    state: str  # new | pending | ... | running | complete | failed | shutdown | rejected
    desired_state: str
    error: str | None = None
    container_id: str | None = None
    exit_code: int | None = None
    # The labels of the spec the task was made from (the service's spec of then): which
    # revision of the Container it runs.
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    image_id: str
    labels: dict[str, str]
    state: str  # created | running | paused | restarting | removing | exited | dead
    health: str | None  # starting | healthy | unhealthy | None (no healthcheck)
    restart_count: int
    exit_code: int | None
    started_at: str | None
    finished_at: str | None
    networks: dict[str, str]  # network name -> IP address
    # An engine that runs replicas itself (Swarm): how many it is asked for and how many
    # run, and its rollout of the last update (updating | paused | completed |
    # rollback_started | rollback_paused | rollback_completed) with the engine's words.
    replicas: int | None = None
    running_replicas: int | None = None
    rollout_state: str | None = None
    rollout_message: str | None = None
    ports: tuple[PortBinding, ...] = ()  # bound host ports as the engine reports them
    # Why the engine's last start of it failed ("task ...: already exists"), else None.
    error: str | None = None
    # On Swarm, the service's tasks, newest first (empty on the Engine driver).
    tasks: tuple[TaskInfo, ...] = ()

    @property
    def managed(self) -> bool:
        return self.labels.get(MANAGED_LABEL) == "true"

    def summary(self) -> ContainerSummary:
        return ContainerSummary(id=self.id, name=self.name, labels=self.labels, state=self.state)


@dataclass(frozen=True)
class ContainerSummary:
    """A container as the Engine lists it (`GET /containers/json`, no inspect per entry): who
    it is and whether it runs. Enough to find stray copies and garbage; status needs the
    ContainerInfo of an inspect."""

    id: str
    name: str
    labels: dict[str, str]
    state: str


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...]
    labels: dict[str, str]


@dataclass(frozen=True)
class NetworkCreate:
    name: str
    labels: dict[str, str]
    driver: str = "bridge"
    internal: bool = False
    subnet: str | None = None
    gateway: str | None = None


@dataclass(frozen=True)
class NetworkInfo:
    id: str
    name: str
    labels: dict[str, str]
    driver: str
    internal: bool
    subnet: str | None
    gateway: str | None
    container_ids: tuple[str, ...]

    @property
    def managed(self) -> bool:
        return self.labels.get(MANAGED_LABEL) == "true"


@dataclass(frozen=True)
class VolumeCreate:
    name: str
    labels: dict[str, str]
    driver: str = "local"
    driver_opts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeInfo:
    name: str
    labels: dict[str, str]
    driver: str
    driver_opts: dict[str, str]
    mountpoint: str | None

    @property
    def managed(self) -> bool:
        return self.labels.get(MANAGED_LABEL) == "true"


@dataclass(frozen=True)
class BuildSecret:
    """A file the build may read with `RUN --mount=type=secret,id=ID` (BuildKit only); never
    part of the image. `src` is an absolute path on the engine's host."""

    id: str
    src: str


@dataclass(frozen=True)
class BuildRequest:
    context_dir: str  # absolute path
    dockerfile: str  # relative to context_dir
    tag: str
    labels: dict[str, str]
    args: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    secrets: tuple[BuildSecret, ...] = ()
    # Build every step again: BuildKit's cache keys leave secret contents out, so a step that
    # read a changed secret would otherwise come from the cache with the old one's result.
    no_cache: bool = False


BUILDKIT = "BuildKit"
CLASSIC_BUILDER = "the classic builder"


@dataclass(frozen=True)
class BuildResult:
    """A finished build: the image id, which builder made it (BUILDKIT or CLASSIC_BUILDER),
    and, for the classic builder, why BuildKit was not used."""

    image_id: str
    builder: str
    fallback_reason: str = ""

    def describe(self) -> str:
        """`with BuildKit` / `with the classic builder (BuildKit unavailable: ...)`."""
        if not self.fallback_reason:
            return f"with {self.builder}"
        return f"with {self.builder} ({self.fallback_reason})"


@dataclass(frozen=True)
class RuntimeEvent:
    """One engine event, reduced to what triggers need: which object, what happened."""

    type: str  # container | image | network | volume
    action: str  # create | start | die | destroy | health_status | ...
    id: str
    labels: dict[str, str]  # the object's labels (from the event's attributes)
    time_ns: int

"""Plans and their actions: the closed set of acts a reconciler may ask for.

A reconciler's `plan(desired, observed)` is pure and returns a `Plan`: actions in order, each
one engine (or git) call carrying its `cause`, or a reason why nothing can be done yet. Only
the executor (`controller.executor`) carries actions out, with one `match` over this set, so
the same act reads the same in every event and retries by the same rule on every kind.

`str(plan)` is what planner tests compare:

    #1 container:web, StopContainer, config hash changed
    #2 container:web, RemoveContainer, config hash changed
    blocked: Waiting: Image/app to be Ready (Pending)
"""

from __future__ import annotations

from dataclasses import dataclass

from dockform.manifests.models import GitSourceSpec
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, qualified_name
from dockform.manifests.status import Reason
from dockform.runtime.types import BuildRequest, ContainerCreate, NetworkCreate, VolumeCreate


@dataclass(frozen=True)
class Action:
    """One call. Subclasses carry what the call needs; `cause` says why it is made."""

    cause: str

    @property
    def verb(self) -> str:
        return type(self).__name__

    def target(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    # Why nothing (more) is done yet (a dependency not ready, a name conflict): becomes status.
    blocked_reason: Reason | None = None
    blocked_message: str = ""
    # Look again after this many seconds (something is due then), with nothing to do now.
    requeue_after: float | None = None

    def __str__(self) -> str:
        lines = [
            f"#{index} {action.target()}, {action.verb}, {action.cause}"
            for index, action in enumerate(self.actions, start=1)
        ]
        if self.blocked_reason:
            lines.append(f"blocked: {self.blocked_reason}: {self.blocked_message}")
        return "\n".join(lines) if lines else "(nothing to do)"

    @property
    def empty(self) -> bool:
        return not self.actions


# --- containers


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable whose value is a Secret's content, still sealed: the executor
    opens it into the request just before the engine call, so no plan holds it in clear."""

    variable: str
    context: str  # what it was sealed for (store.vault.seal_context)
    sealed: str


@dataclass(frozen=True)
class ContainerFile:
    """One file a container mounts from the daemon's host (a Secret's or Config's content)."""

    path: str  # on the host, in the daemon's own directory
    target: str  # in the container
    mode: int
    uid: int
    gid: int
    payload: str  # a Secret's sealed content, or a Config's content in base64
    context: str | None = None  # a Secret's seal context; None for a Config


@dataclass(frozen=True)
class CreateContainer(Action):
    request: ContainerCreate
    replacing: bool = False  # its old copy was removed earlier in the plan
    secret_env: tuple[SecretEnv, ...] = ()

    def target(self) -> str:
        return f"container:{self.request.name}"


@dataclass(frozen=True)
class WriteContainerFiles(Action):
    """Write the files a container mounts (and remove its others), before it is created."""

    container: str
    files: tuple[ContainerFile, ...]
    namespace: str = DEFAULT_NAMESPACE

    def target(self) -> str:
        return f"files:{qualified_name(self.namespace, self.container)}"


@dataclass(frozen=True)
class RemoveContainerFiles(Action):
    container: str
    namespace: str = DEFAULT_NAMESPACE

    def target(self) -> str:
        return f"files:{qualified_name(self.namespace, self.container)}"


@dataclass(frozen=True)
class StartContainer(Action):
    container: str  # name or id

    def target(self) -> str:
        return f"container:{self.container}"


@dataclass(frozen=True)
class StopContainer(Action):
    container: str
    timeout_s: int

    def target(self) -> str:
        return f"container:{self.container}"


@dataclass(frozen=True)
class RestartContainer(Action):
    container: str
    timeout_s: int

    def target(self) -> str:
        return f"container:{self.container}"


@dataclass(frozen=True)
class UpdateContainer(Action):
    """Change a service in place (an engine that runs replicas: Swarm rolls it out)."""

    container: str
    request: ContainerCreate
    secret_env: tuple[SecretEnv, ...] = ()

    def target(self) -> str:
        return f"container:{self.request.name}"


@dataclass(frozen=True)
class ScaleContainer(Action):
    """Run another number of replicas of a service (an engine that runs replicas)."""

    container: str
    replicas: int

    def target(self) -> str:
        return f"container:{self.container}"


@dataclass(frozen=True)
class RenameContainer(Action):
    """Move a container out of its name, so a successor can take it (start-first)."""

    container: str
    new_name: str

    def target(self) -> str:
        return f"container:{self.container}"


@dataclass(frozen=True)
class RemoveContainer(Action):
    container: str
    garbage: bool = False  # no resource owns it (garbage collection)
    subject: str = ""  # the resource name the removal is about, when it is garbage
    subject_namespace: str = DEFAULT_NAMESPACE

    def target(self) -> str:
        return f"container:{self.container}"


@dataclass(frozen=True)
class ConnectNetwork(Action):
    network: str
    container: str
    aliases: tuple[str, ...]
    ipv4_address: str | None = None
    ipv6_address: str | None = None

    def target(self) -> str:
        return f"container:{self.container}"


@dataclass(frozen=True)
class DisconnectNetwork(Action):
    network: str
    container: str  # name, for readable plans

    def target(self) -> str:
        return f"network:{self.network}"


# --- networks and volumes


@dataclass(frozen=True)
class CreateNetwork(Action):
    request: NetworkCreate
    replacing: bool = False

    def target(self) -> str:
        return f"network:{self.request.name}"


@dataclass(frozen=True)
class RemoveNetwork(Action):
    network: str  # name or id
    garbage: bool = False
    subject: str = ""
    subject_namespace: str = DEFAULT_NAMESPACE

    def target(self) -> str:
        return f"network:{self.network}"


@dataclass(frozen=True)
class CreateVolume(Action):
    request: VolumeCreate

    def target(self) -> str:
        return f"volume:{self.request.name}"


@dataclass(frozen=True)
class RemoveVolume(Action):
    volume: str

    def target(self) -> str:
        return f"volume:{self.volume}"


# --- images


@dataclass(frozen=True)
class SealedBuildSecret:
    """A build secret still sealed: the executor opens it into a file of its own only for the
    build (`ContainerFiles.build_secrets`), so no plan holds it in clear."""

    id: str  # what RUN --mount=type=secret,id=ID names
    context: str  # what it was sealed for (store.vault.seal_context)
    sealed: str


@dataclass(frozen=True)
class BuildImage(Action):
    request: BuildRequest
    # Files the build reads (`request.secrets` is filled from these by the executor).
    secrets: tuple[SealedBuildSecret, ...] = ()

    def target(self) -> str:
        return f"image:{self.request.tag}"


@dataclass(frozen=True)
class PullImage(Action):
    ref: str

    def target(self) -> str:
        return f"image:{self.ref}"


@dataclass(frozen=True)
class LoadImage(Action):
    ref: str
    path: str

    def target(self) -> str:
        return f"image:{self.ref}"


@dataclass(frozen=True)
class RemoveImage(Action):
    ref: str  # a tag, or an id
    garbage: bool = False
    subject: str = ""
    subject_namespace: str = DEFAULT_NAMESPACE

    def target(self) -> str:
        return f"image:{self.ref}"


# --- git sources (the git work itself belongs to sources/, handed in as a GitSyncer)


@dataclass(frozen=True)
class SyncGitSource(Action):
    name: str
    spec: GitSourceSpec
    applied_commit: str | None

    def target(self) -> str:
        return f"gitsource:{self.name}"


@dataclass(frozen=True)
class ForgetGitSource(Action):
    name: str
    prune: bool

    def target(self) -> str:
        return f"gitsource:{self.name}"

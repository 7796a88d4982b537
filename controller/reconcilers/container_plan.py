"""Container planning, pure: translate a ContainerSpec into an engine create request, and
decide `plan(desired, observed) -> Plan`. No I/O here; `container.py` observes and executes.

A container is replaced only when its hash changes: the spec hash (which leaves out fields that
must not force a recreate, such as dependsOn) combined with the resolved image id, so a rebuilt
image replaces its containers and nothing else does; and, for a hostPath into a GitSource's
checkout (through its `current` symlink), where the path leads, so a new commit replaces the
containers bound to the old one's files before that checkout is gone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dockform.controller.actions import (
    Action,
    ConnectNetwork,
    ContainerFile,
    CreateContainer,
    Plan,
    RemoveContainer,
    RemoveContainerFiles,
    RenameContainer,
    RestartContainer,
    ScaleContainer,
    SecretEnv,
    StartContainer,
    StopContainer,
    UpdateContainer,
    WriteContainerFiles,
)
from dockform.controller.reconcilers.container_settings import engine_fields
from dockform.controller.reconcilers.provenance import made_for, with_provenance
from dockform.manifests.kinds import Kind
from dockform.manifests.models import ContainerSpec, NetworkAttachment, VolumeMount
from dockform.manifests.namespaces import (
    DEFAULT_NAMESPACE,
    DEFAULT_NETWORK,
    display,
    engine_name,
)
from dockform.manifests.status import Reason
from dockform.manifests.units import parse_duration, parse_memory
from dockform.runtime.types import (
    HASH_LABEL,
    REPLICA_LABEL,
    ContainerCreate,
    ContainerInfo,
    ContainerSummary,
    HealthcheckConfig,
    Mount,
    PlacementConfig,
    PortBinding,
    RolloutConfig,
    label_key,
    managed_labels,
    owned_by,
)

KIND = Kind.CONTAINER
DOCKER_RESTART_POLICY = {
    "Always": "always",
    "OnFailure": "on-failure",
    "Never": "no",
    "UnlessStopped": "unless-stopped",
}
_HEALTHCHECK_FORMS = ("CMD", "CMD-SHELL", "NONE")
_NS = 1_000_000_000


def container_hash(
    spec_hash: str,
    image_id: str,
    bind_targets: Sequence[str] = (),
    contents: Sequence[str] = (),
) -> str:
    """The hash a container carries: its spec's, its image's id, where the binds that lead
    through a source's symlink (a GitSource's `current`) led when it was made, and, when it
    uses any, its Secrets' and Configs' digests (`Secret/db sha256:...`): new content
    replaces it."""
    pinned = "".join(f"\n{target}" for target in bind_targets)
    text = f"{spec_hash}\n{image_id}{pinned}"
    if contents:
        text += "\n" + "\n".join(sorted(contents))
    return hashlib.sha256(text.encode()).hexdigest()


def placed_hash(want_hash: str, spec: ContainerSpec) -> str:
    """The hash of a service on an engine that runs replicas itself: `want_hash` and the
    spec's `placement`, which is the service's own there (a new constraint is an update
    the engine rolls out). The spec hash leaves placement out, so one host replaces nothing
    for it; no placement keeps `want_hash` as it is."""
    if spec.placement is None:
        return want_hash
    placement = spec.placement.model_dump(mode="json", by_alias=True)
    text = f"{want_hash}\nplacement {json.dumps(placement, sort_keys=True)}"
    return hashlib.sha256(text.encode()).hexdigest()


def _healthcheck(spec: ContainerSpec) -> HealthcheckConfig | None:
    check = spec.healthcheck
    if check is None:
        return None
    test = tuple(check.command)
    if test[0] not in _HEALTHCHECK_FORMS:
        test = ("CMD", *test)
    return HealthcheckConfig(
        test=test,
        interval_ns=int(parse_duration(check.interval) * _NS),
        timeout_ns=int(parse_duration(check.timeout) * _NS),
        retries=check.retries,
        start_period_ns=int(parse_duration(check.start_period) * _NS),
    )


def effective_networks(spec: ContainerSpec, namespace: str) -> list[str]:
    """The networks a container joins: those it names, or, outside `default`, its
    namespace's implicit network `default` when it names none (as Compose does)."""
    names = spec.network_names()
    if names or spec.host_network or namespace == DEFAULT_NAMESPACE:
        return names
    return [DEFAULT_NETWORK]


def in_namespace(
    spec: ContainerSpec, namespace: str, network_names: dict[str, str]
) -> ContainerSpec:
    """`spec` as the engine sees it: networks by their engine names (`network_names` maps a
    Network's name to its engine name), with the implicit one added. The same spec in
    `default` (nothing to rename or add)."""
    attachments = spec.network_attachments()
    if not attachments and effective_networks(spec, namespace):
        attachments = [NetworkAttachment(name=DEFAULT_NETWORK)]
    if not network_names and len(attachments) == len(spec.networks):
        return spec
    entries: list[str | NetworkAttachment] = [
        attachment.model_copy(update={"name": network_names.get(attachment.name, attachment.name)})
        for attachment in attachments
    ]
    return spec.model_copy(update={"networks": entries})


def _mount(mount: VolumeMount, volume_names: dict[str, str]) -> Mount:
    if mount.volume is not None:
        source = volume_names.get(mount.volume, mount.volume)
        return Mount(
            target=mount.mount_path, source=source, type="volume", read_only=mount.read_only
        )
    if mount.tmpfs is not None:
        return Mount(
            target=mount.mount_path,
            source="",
            type="tmpfs",
            read_only=mount.read_only,
            tmpfs_size_bytes=parse_memory(mount.tmpfs.size) if mount.tmpfs.size else None,
            tmpfs_mode=int(mount.tmpfs.mode, 8) if mount.tmpfs.mode else None,
        )
    return Mount(
        target=mount.mount_path,
        source=str(mount.host_path),
        type="bind",
        read_only=mount.read_only,
        create_host_path=bool(mount.create_host_path),
        selinux=mount.selinux,
        propagation=mount.propagation,
    )


def create_request(
    name: str,
    spec: ContainerSpec,
    image: str,
    want_hash: str,
    volume_names: dict[str, str],
    namespace: str = DEFAULT_NAMESPACE,
    files: Sequence[ContainerFile] = (),
    replica: int | None = None,
) -> ContainerCreate:
    """The engine request for `spec` (networks already by engine name: `in_namespace`).
    `volume_names` maps Volume resource -> engine volume. `name` is the Container's own:
    the engine container is `engine_name(namespace, name)`, and `name` its alias on every
    network, so the others of its namespace reach it by that short name. `files` are its
    Secret and Config files, bound read-only (env from a Secret is left out: the executor
    adds it, see CreateContainer.secret_env). A `replica` is named `NAME-<replica>` and
    labelled with its number; all replicas share the alias `name`."""
    mounts = tuple(_mount(mount, volume_names) for mount in spec.volumes) + tuple(
        Mount(
            target=file.target,
            source=file.path,
            type="bind",
            read_only=True,
            content="config" if file.context is None else "secret",
        )
        for file in files
    )
    labels = {**spec.labels, **managed_labels(KIND, name, want_hash, namespace)}
    if replica is not None:
        labels[REPLICA_LABEL] = str(replica)
    return ContainerCreate(
        name=container_name(namespace, name, replica),
        image=image,
        labels=labels,
        command=tuple(spec.command) if spec.command is not None else None,
        entrypoint=tuple(spec.entrypoint) if spec.entrypoint is not None else None,
        env={key: value for key, value in spec.env.items() if isinstance(value, str)},
        working_dir=spec.working_dir,
        user=spec.user,
        ports=tuple(
            PortBinding(
                container_port=port.container_port,
                protocol=port.protocol,
                host_ip=port.host_ip,
                host_port=port.host_port,
            )
            for port in spec.ports
        ),
        mounts=mounts,
        networks=tuple(spec.network_names()),
        network_aliases=(name,),
        restart_policy=DOCKER_RESTART_POLICY[spec.restart_policy],
        healthcheck=_healthcheck(spec),
        memory_bytes=parse_memory(spec.resources.memory) if spec.resources.memory else None,
        nano_cpus=int(spec.resources.cpus * _NS) if spec.resources.cpus else None,
        stop_timeout_s=int(parse_duration(spec.stop_grace_period)),
        privileged=spec.privileged,
        host_network=spec.host_network,
        host_pid=spec.host_pid,
        host_ipc=spec.host_ipc,
        **engine_fields(spec),
    )


# --- plan


@dataclass(frozen=True)
class ContainerDesired:
    name: str
    spec: ContainerSpec
    spec_hash: str
    # An exited container Docker's restart policy should restart is left to it this long
    # after it stopped; only then does dockform start it (a `docker stop` by hand, say).
    restart_grace_s: float = 0.0
    namespace: str = DEFAULT_NAMESPACE
    generation: int = 0  # of the spec: on the container's made-for label (provenance)
    # One replica of a replicated Container (`NAME-<replica>`); None: the one container.
    replica: int | None = None
    # A rollout holds this replica on its old spec for now (a later batch, or paused).
    hold_replace: bool = False
    # Replace by starting the successor beside the old copy, moved to `NAME-i.old`.
    start_first: bool = False
    # The engine runs the replicas and rolls changes out itself (Swarm): a changed spec
    # updates the service in place, new replicas scale it.
    in_place: bool = False

    @property
    def engine_name(self) -> str:
        return container_name(self.namespace, self.name, self.replica)


def container_name(namespace: str, name: str, replica: int | None = None) -> str:
    """The Docker name of a Container's container, or of its replica `replica`."""
    base = engine_name(namespace, name)
    return base if replica is None else f"{base}-{replica}"


# A replaced replica's old copy while its successor starts (start-first): Container names
# hold no dot, so no Container's container can take it.
RETIRED_SUFFIX = ".old"


@dataclass(frozen=True)
class ContainerSnapshot:
    """One snapshot: the containers labelled as ours, whoever holds the name, and what the
    container needs (resolved image, unmet dependencies in a stable order)."""

    labelled: tuple[ContainerSummary, ...]
    name_holder: ContainerInfo | None
    image_id: str | None
    image_ref: str
    waiting: tuple[str, ...] = ()
    volume_names: tuple[tuple[str, str], ...] = ()
    # Network name -> engine network, for those that differ (outside `default`).
    network_names: tuple[tuple[str, str], ...] = ()
    # Where each hostPath inside a source's directory that leads through a symlink leads now
    # (a GitSource's `current` moves at each commit, and the old checkout is removed).
    bind_targets: tuple[str, ...] = ()
    unhealthy_restart_due: bool = False
    # Restarts made so far for being unhealthy, and the backoff before the next one after
    # this one (both for the Restarted event's message).
    unhealthy_restarts: int = 0
    next_unhealthy_backoff_s: float = 0.0
    # Seconds since the holder stopped (exited or dead), when it has; None otherwise.
    stopped_for_s: float | None = None
    # Seconds since the holder started, while it runs; None otherwise.
    running_for_s: float | None = None
    # An engine that rolls out itself: the hash whose rollout it paused or rolled back (the
    # last status says so); the plan does not push that hash again.
    held_hash: str | None = None
    # Its Secrets and Configs: digests (`Secret/db sha256:...`, for the hash), the files it
    # mounts, whether any of them is missing on the host, and env from Secrets (sealed).
    contents: tuple[str, ...] = ()
    files: tuple[ContainerFile, ...] = ()
    files_missing: bool = False
    secret_env: tuple[SecretEnv, ...] = ()


def owns(
    info: ContainerInfo | ContainerSummary, name: str, namespace: str = DEFAULT_NAMESPACE
) -> bool:
    return owned_by(info.labels, KIND, name, namespace)


def _short(container_id: str) -> str:
    return container_id[:12]


def plan(desired: ContainerDesired, observed: ContainerSnapshot) -> Plan:
    name = desired.engine_name
    holder = observed.name_holder
    if holder is not None and not owns(holder, desired.name, desired.namespace):
        return Plan(
            blocked_reason=Reason.NAME_CONFLICT,
            blocked_message=(
                f"the Docker name {name!r} is taken by container {_short(holder.id)}, which "
                "dockform does not manage; remove or rename it (docker rm), or rename this "
                "Container"
            ),
        )
    # Copies labelled as ours under another name (an interrupted replace, a manual rename).
    strays = tuple(
        RemoveContainer(cause="stray copy of this container", container=info.id)
        for info in sorted(observed.labelled, key=lambda info: info.id)
        if info.name != name
    )
    current = holder
    if observed.waiting or observed.image_id is None:
        reason = "; ".join(observed.waiting) or f"image {observed.image_ref} is not present"
        return Plan(actions=strays, blocked_reason=Reason.WAITING, blocked_message=reason)

    want_hash = container_hash(
        desired.spec_hash, observed.image_id, observed.bind_targets, observed.contents
    )
    if desired.in_place:
        want_hash = placed_hash(want_hash, desired.spec)
    spec = in_namespace(desired.spec, desired.namespace, dict(observed.network_names))
    request = create_request(
        desired.name,
        spec,
        observed.image_ref,
        want_hash,
        dict(observed.volume_names),
        desired.namespace,
        observed.files,
        desired.replica,
    )
    if desired.in_place:
        request = dataclasses.replace(
            request,
            replicas=1 if desired.spec.replicas is None else desired.spec.replicas,
            rollout=rollout_config(desired.spec),
            placement=placement_config(desired.spec),
        )
    made = made_for(desired.generation, observed.image_id, observed.contents, observed.bind_targets)
    create = (
        *_write_files(desired, observed, "to mount"),
        CreateContainer(
            cause="not found",
            request=with_provenance(request, made, "not found", None),
            secret_env=observed.secret_env,
        ),
        StartContainer(cause="created", container=name),
    )
    if scaled_to_zero(desired):
        # A service of no replica: made, never started; one running is scaled down.
        create = create[:-1]
    if current is None:
        return Plan(actions=(*strays, *create))
    replace_cause = _replace_cause(current, want_hash)
    if desired.hold_replace and current.state == "running":
        replace_cause = ""  # a later batch of its rollout (or a paused one) replaces it
    if desired.in_place and (current.state == "running" or scaled_to_zero(desired)):
        return Plan(actions=(*strays, *_in_place(desired, observed, current, request, made)))
    if desired.in_place and current.rollout_state in ENGINE_ROLLOUTS:
        # The engine is rolling the service out (or holds it paused or rolled back): tasks
        # of the new spec that exit count as the rollout's failures, which the engine acts
        # on by its failureAction. Starting or replacing the service here would restart the
        # rollout each time, so it could never fail, pause or roll back.
        moving = current.rollout_state in MOVING_ROLLOUTS
        return Plan(
            actions=(*strays, *_in_place(desired, observed, current, request, made)),
            requeue_after=ROLLOUT_POLL_S if moving else None,
        )
    if replace_cause:
        request = with_provenance(request, made, replace_cause, current.labels)
        return Plan(
            actions=(
                *strays,
                *_make_way(desired, current, name, replace_cause, request.stop_timeout_s),
                *_write_files(desired, observed, "to mount"),
                CreateContainer(
                    cause=replace_cause,
                    request=request,
                    replacing=True,
                    secret_env=observed.secret_env,
                ),
                StartContainer(cause="created", container=name),
            )
        )
    wait = _restart_policy_grace(desired, current, observed)
    if wait is not None:
        return Plan(actions=strays, requeue_after=wait)
    restore = (
        _write_files(desired, observed, "missing on the host") if observed.files_missing else ()
    )
    actions = (*strays, *restore, *_keep_running(spec, desired.name, current, observed))
    if current.health == "unhealthy" and desired.spec.restart_on_unhealthy:
        # Look again when the start period ends: a restart may be due then.
        start_left = start_period_left(desired.spec, observed.running_for_s)
        if start_left > 0:
            return Plan(actions=actions, requeue_after=start_left)
    return Plan(actions=actions)


def _make_way(
    desired: ContainerDesired,
    current: ContainerInfo,
    name: str,
    cause: str,
    stop_timeout_s: int | None,
) -> tuple[Action, ...]:
    """Free `name` for the replacement: start-first moves a running copy aside (renamed
    `NAME.old`, removed once its successor is ready); otherwise it is stopped and removed."""
    if desired.start_first and current.state == "running":
        return (
            RenameContainer(
                cause=f"{cause}; its successor starts first",
                container=current.id,
                new_name=f"{name}{RETIRED_SUFFIX}",
            ),
        )
    stop = (
        (StopContainer(cause=cause, container=current.id, timeout_s=stop_timeout_s or 10),)
        if current.state == "running"
        else ()
    )
    return (*stop, RemoveContainer(cause=cause, container=current.id))


def scaled_to_zero(desired: ContainerDesired) -> bool:
    """`replicas: 0` on an engine that runs replicas: the service exists and runs no task."""
    return desired.in_place and desired.spec.replicas == 0


def _in_place(
    desired: ContainerDesired,
    observed: ContainerSnapshot,
    current: ContainerInfo,
    request: ContainerCreate,
    made: Mapping[str, Any],
) -> tuple[Action, ...]:
    """A running service on an engine that rolls out itself: update it in place to a new
    hash (unless its rollout of that hash was paused or rolled back), or scale it."""
    want_hash = request.labels[HASH_LABEL]
    if current.labels.get(HASH_LABEL) != want_hash:
        if want_hash == observed.held_hash and current.rollout_state in HELD_ROLLOUTS:
            return ()
        cause = "config hash changed"
        return (
            *_write_files(desired, observed, "to mount"),
            UpdateContainer(
                cause=cause,
                container=current.id,
                request=with_provenance(request, made, cause, current.labels),
                secret_env=observed.secret_env,
            ),
        )
    if current.replicas is not None and current.replicas != request.replicas:
        cause = f"{current.replicas} replica(s), {request.replicas} wanted"
        return (ScaleContainer(cause=cause, container=current.id, replicas=request.replicas),)
    return ()


# Swarm's rollout states that hold a service on its previous spec.
HELD_ROLLOUTS = frozenset({"paused", "rollback_started", "rollback_paused", "rollback_completed"})
# The states of a rollout still under way, and all those the engine owns the service in.
MOVING_ROLLOUTS = frozenset({"updating", "rollback_started"})
ENGINE_ROLLOUTS = HELD_ROLLOUTS | MOVING_ROLLOUTS
# How often a rollout under way is looked at (its progress is the status).
ROLLOUT_POLL_S = 2.0


def rollout_config(spec: ContainerSpec) -> RolloutConfig:
    update = spec.update
    return RolloutConfig(
        parallelism=update.parallelism,
        order=update.order,
        delay_ns=int(parse_duration(update.delay) * _NS),
        monitor_ns=int(parse_duration(update.monitor) * _NS),
        failure_action=update.failure_action,
    )


def placement_config(spec: ContainerSpec) -> PlacementConfig | None:
    if spec.placement is None:
        return None
    return PlacementConfig(
        constraints=tuple(spec.placement.constraints),
        spread=tuple(preference.spread for preference in spec.placement.preferences),
    )


def _write_files(
    desired: ContainerDesired, observed: ContainerSnapshot, cause: str
) -> tuple[Action, ...]:
    if not observed.files:
        return ()
    return (
        WriteContainerFiles(
            cause=cause,
            container=desired.name,
            files=observed.files,
            namespace=desired.namespace,
        ),
    )


def start_period_left(spec: ContainerSpec, running_for_s: float | None) -> float:
    """Seconds left of the healthcheck's startPeriod of a container running this long: no
    unhealthy restart before it ends (Docker's own checks do not count in it either)."""
    if spec.healthcheck is None or running_for_s is None:
        return 0.0
    return max(parse_duration(spec.healthcheck.start_period) - running_for_s, 0.0)


def _replace_cause(current: ContainerInfo, want_hash: str) -> str:
    """Why the container must be made again, or "" when it may stay."""
    if current.labels.get(HASH_LABEL) != want_hash:
        return "config hash changed"
    # A container the engine could not start (a task left behind by an engine restart:
    # "task ... already exists", "id already in use") never starts again: make a new one.
    if current.state != "running" and current.error:
        return f"the engine could not start it: {current.error}"
    if current.state == "dead":
        return "dead"
    return ""


def _restart_policy_grace(
    desired: ContainerDesired, current: ContainerInfo, observed: ContainerSnapshot
) -> float | None:
    """Seconds to leave an exited container to Docker's own restart policy, or None."""
    if current.state != "exited" or desired.spec.restart_policy != "Always":
        return None
    stopped_for = observed.stopped_for_s
    if stopped_for is None or stopped_for >= desired.restart_grace_s:
        return None
    return desired.restart_grace_s - stopped_for


def _keep_running(
    spec: ContainerSpec, short_name: str, current: ContainerInfo, observed: ContainerSnapshot
) -> tuple[Action, ...]:
    """Repairs Docker's own restart policy does not make."""
    reconnect = tuple(
        ConnectNetwork(
            cause=f"not attached to network {network.name}",
            network=network.name,
            container=current.name,
            aliases=tuple(dict.fromkeys((current.name, short_name, *network.aliases))),
            ipv4_address=network.ipv4_address,
            ipv6_address=network.ipv6_address,
        )
        for network in spec.network_attachments()
        if network.name not in current.networks and not spec.host_network
    )
    return reconnect + _keep_process(spec, current, observed)


def _keep_process(
    spec: ContainerSpec, current: ContainerInfo, observed: ContainerSnapshot
) -> tuple[Action, ...]:
    if current.state == "created":
        return (StartContainer(cause="created but not started", container=current.id),)
    if current.state == "exited" and spec.restart_policy == "Always":
        return (StartContainer(cause="exited; restartPolicy Always", container=current.id),)
    if (
        current.state == "running"
        and current.health == "unhealthy"
        and observed.unhealthy_restart_due
        and spec.restart_on_unhealthy
        and start_period_left(spec, observed.running_for_s) <= 0
    ):
        grace = int(parse_duration(spec.stop_grace_period))
        cause = (
            f"unhealthy (restart {observed.unhealthy_restarts + 1}; if still unhealthy, "
            f"the next in {observed.next_unhealthy_backoff_s:.0f}s)"
        )
        return (RestartContainer(cause=cause, container=current.id, timeout_s=grace),)
    return ()


def delete_plan(labelled: Sequence[ContainerSummary], grace_s: int) -> Plan:
    """Stop (when running) and remove every container labelled as this Container's."""
    actions: list[Action] = []
    for info in sorted(labelled, key=lambda info: info.id):
        if info.state == "running":
            actions.append(StopContainer(cause="deleted", container=info.id, timeout_s=grace_s))
        actions.append(RemoveContainer(cause="deleted", container=info.id))
    return Plan(actions=tuple(actions))


def garbage_plan(
    managed: Sequence[ContainerSummary], owned: set[tuple[str, str]], kind: str = KIND
) -> Plan:
    """Managed containers of `kind` (Container, or Job: both run containers) that no resource
    of that kind owns (by namespace, name and labels)."""
    return Plan(
        actions=tuple(
            RemoveContainer(
                cause=f"no {display(kind, *owner)} owns it",
                container=info.id,
                garbage=True,
                subject=owner[1],
                subject_namespace=owner[0],
            )
            for info in managed
            if not (
                (owner := label_key(info.labels)) in owned
                and owned_by(info.labels, kind, owner[1], owner[0])
            )
        )
    )


def files_garbage_plan(with_files: set[tuple[str, str]], using: set[tuple[str, str]]) -> Plan:
    """Remove the Secret/Config files of containers ((namespace, name)) that no longer
    mount any."""
    return Plan(
        actions=tuple(
            RemoveContainerFiles(
                cause=f"no {display(KIND, namespace, name)} mounts them",
                container=name,
                namespace=namespace,
            )
            for namespace, name in sorted(with_files - using)
        )
    )

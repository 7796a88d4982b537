"""Container reconciler: observe one snapshot, plan (container_plan.plan), execute, report.

The executor only dispatches actions to the runtime; every decision is in `container_plan`.
Status reports what the engine says after the actions ran: state, health, restart count, exit
code, addresses and ports, with phase Pending | Running | Succeeded | Failed.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from dockform.controller.actions import (
    ContainerFile,
    CreateContainer,
    Plan,
    RemoveContainerFiles,
    RestartContainer,
    SecretEnv,
    StartContainer,
)
from dockform.controller.context import ReconcileContext
from dockform.controller.errors import TransientError
from dockform.controller.event_mappers import labelled_objects, named_objects
from dockform.controller.facade import NoLogs
from dockform.controller.host_access import require_host_access
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.reconcilers import provenance
from dockform.controller.reconcilers.container_engine_rollout import (
    engine_rollout,
    held_hash,
    wants_roll_back,
)
from dockform.controller.reconcilers.container_plan import (
    KIND,
    ContainerDesired,
    ContainerSnapshot,
    container_name,
    delete_plan,
    effective_networks,
    files_garbage_plan,
    garbage_plan,
    owns,
    plan,
    scaled_to_zero,
    start_period_left,
)
from dockform.controller.reconcilers.container_replicas import ReplicasSnapshot, plan_replicas
from dockform.controller.reconcilers.container_replicated import (
    inspect_replicas,
    observe_replicas,
    paused_hash,
    published_ports,
    replicated_outcome,
    unhealthy_retry_in,
)
from dockform.controller.reconcilers.container_timing import (
    running_for,
    stopped_for,
    unhealthy_restarts_after,
)
from dockform.controller.reconcilers.image import find_image
from dockform.controller.registry import ANY_NAMESPACE, KindRegistration, Ref
from dockform.controller.status import is_ready, make_status, observed_as
from dockform.manifests.host_paths import is_inside, normalise, real_roots, resolve_host_path
from dockform.manifests.kinds import Kind
from dockform.manifests.models import ConfigSpec, ContainerSpec, EnvFromSecret
from dockform.manifests.namespaces import (
    DEFAULT_NAMESPACE,
    DEFAULT_NETWORK,
    ObjectKey,
    display,
    engine_name,
)
from dockform.manifests.policy import container_host_paths, container_powers
from dockform.manifests.status import (
    ContainerObserved,
    EventType,
    ImageObserved,
    Phase,
    Reason,
    TaskObserved,
    VolumeObserved,
)
from dockform.manifests.units import parse_duration
from dockform.runtime.errors import ObjectNotFound
from dockform.runtime.interface import Runtime
from dockform.runtime.types import (
    HASH_LABEL,
    KIND_LABEL,
    MADE_BECAUSE_LABEL,
    MADE_FOR_LABEL,
    MANAGED_LABEL,
    NAME_LABEL,
    ContainerInfo,
    ContainerSummary,
    TaskInfo,
    label_namespace,
)
from dockform.settings import Backoff, KindLimits
from dockform.store.repository import Store
from dockform.store.types import Resource, ResourceStatus
from dockform.store.vault import seal_context

# How often to look at a rollout the engine makes itself (Swarm sends no event per task).
_ENGINE_ROLLOUT_POLL_S = 2.0
# Which Docker event actions can mean a container drifted from its desired state.
_CONTAINER_ACTIONS = frozenset(
    {
        "create",
        "start",
        "die",
        "destroy",
        "stop",
        "kill",
        "oom",
        "pause",
        "unpause",
        "rename",
        "health_status",
        "update",
        "restart",
    }
)


# Swarm tasks shown in a Container's status, newest first (Swarm keeps a few more).
SHOWN_TASKS = 5


@dataclasses.dataclass
class ContentState:
    waiting: list[str] = dataclasses.field(default_factory=list)
    contents: list[str] = dataclasses.field(default_factory=list)
    files: list[ContainerFile] = dataclasses.field(default_factory=list)
    missing: bool = False
    secret_env: list[SecretEnv] = dataclasses.field(default_factory=list)


# The engine calls that mount a container's host paths (and give it its powers).
_MOUNTING = (CreateContainer, StartContainer, RestartContainer)


class StoreImages:
    """The store's Images, read again only after a write to the store (`data_version`):
    every Container's pass looks its image up among them, and in a steady state (a resync
    of hundreds of Containers) nothing is written between two passes."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._version: int | None = None
        self._images: tuple[Resource, ...] = ()

    def all(self) -> tuple[Resource, ...]:
        version = self._store.data_version  # read before the data, as the API's caches do
        with self._lock:
            if version == self._version:
                return self._images
        images = tuple(self._store.list(Kind.IMAGE))
        with self._lock:
            self._version, self._images = version, images
        return images


class ContainerReconciler:
    def __init__(self, context: ReconcileContext) -> None:
        self._store = context.store
        self._runtime = context.runtime
        self._executor = context.executor
        self._unhealthy_backoff = context.settings.unhealthy_restart
        self._restart_grace_s = context.settings.restart_grace_s
        self._host_access = context.host_access
        self._files = context.files
        self._images = StoreImages(context.store)

    # --- observe

    def _dependency_state(
        self, resource: Resource, spec: ContainerSpec
    ) -> tuple[str | None, str, list[str], dict[str, str], dict[str, str]]:
        """(image id, image ref, unmet needs in order, volume resource -> engine name,
        network resource -> engine name where they differ). Networks, volumes and
        dependsOn resolve in the container's own namespace."""
        namespace = resource.namespace
        waiting: list[str] = []
        image_resource = find_image(spec.image, self._images.all(), namespace)
        image_ref = spec.image
        image_id: str | None = None
        if image_resource is not None:
            image_ref = str(image_resource.spec["ref"])
            image_id = observed_as(image_resource, ImageObserved).image_id
            if image_resource.deleting:
                waiting.append(f"{image_resource.key} is being deleted")
            elif not is_ready(image_resource) or image_id is None:
                waiting.append(_not_ready(Kind.IMAGE, image_resource))
        else:
            info = self._runtime.inspect_image(spec.image)
            image_id = info.id if info is not None else None
            if info is None:
                waiting.append(
                    f"image {spec.image} is not present; define an Image resource with this "
                    "ref or name, or load it into Docker"
                )
        network_names: dict[str, str] = {}
        for network in effective_networks(spec, namespace):
            waiting += self._need(Kind.NETWORK, network, namespace, self._network_exists)
            engine = engine_name(namespace, network)
            # A Network of its namespace by its engine name; any other is used as named.
            if engine != network and self._store.get(Kind.NETWORK, network, namespace):
                network_names[network] = engine
        volume_names: dict[str, str] = {}
        for mount in spec.volumes:
            if mount.volume is None:
                continue
            waiting += self._need(Kind.VOLUME, mount.volume, namespace, self._volume_exists)
            volume = self._store.get(Kind.VOLUME, mount.volume, namespace)
            if volume is not None:
                observed_name = observed_as(volume, VolumeObserved).volume_name
                volume_names[mount.volume] = observed_name or volume.engine_name
        waiting += _missing_bind_sources(spec)
        for dependency in spec.depends_on:
            if dependency.kind == "Job":
                waiting += self._need_job(dependency.name, namespace)
            else:
                waiting += self._need_container(dependency.name, dependency.condition, namespace)
        return image_id, image_ref, waiting, volume_names, network_names

    def _network_exists(self, name: str) -> bool:
        return self._runtime.inspect_network(name) is not None

    def _volume_exists(self, name: str) -> bool:
        return self._runtime.inspect_volume(name) is not None

    def _need(
        self, kind: Kind, name: str, namespace: str, external: Callable[[str], bool]
    ) -> list[str]:
        needed = self._store.get(kind, name, namespace)
        shown = display(kind, namespace, name)
        if needed is None:
            # Like Compose's external networks and volumes: made outside dockform, used as is.
            if external(name):
                return []
            return [f"{shown} (not defined, and Docker has no {kind.lower()} {name!r})"]
        if needed.deleting:
            return [f"{shown} is being deleted"]
        if not is_ready(needed):
            return [_not_ready(kind, needed)]
        return []

    def _need_container(self, name: str, condition: str, namespace: str) -> list[str]:
        needed = self._store.get(KIND, name, namespace)
        shown = display(KIND, namespace, name)
        if needed is None:
            return [f"{shown} does not exist"]
        return container_condition_unmet(needed, condition)

    def _need_job(self, name: str, namespace: str) -> list[str]:
        needed = self._store.get(Kind.JOB, name, namespace)
        if needed is None:
            return [f"{display(Kind.JOB, namespace, name)} does not exist"]
        return job_completion_unmet(needed)

    def _content_state(self, resource: Resource, spec: ContainerSpec) -> ContentState:
        """What its Secrets and Configs need (unmet, in order), their digests, its files
        and env from Secrets, all of its namespace; nothing is opened here (the executor
        does)."""
        state = ContentState()
        namespace, name = resource.namespace, resource.name
        wanted = [(Kind.SECRET, secret) for secret in spec.secret_names()]
        wanted += [(Kind.CONFIG, config) for config in spec.config_names()]
        found: dict[tuple[str, str], Resource] = {}
        for kind, needed_name in wanted:
            needed = self._store.get(kind, needed_name, namespace)
            if needed is None:
                state.waiting.append(
                    f"{display(kind, namespace, needed_name)}, which does not exist (apply it, "
                    "or stop using it in this Container)"
                )
            elif needed.deleting:
                state.waiting.append(f"{display(kind, namespace, needed_name)} is being deleted")
            elif not is_ready(needed):
                state.waiting.append(_not_ready(kind, needed))
            else:
                found[(kind, needed_name)] = needed
                state.contents.append(f"{kind}/{needed_name} sha256:{needed.spec.get('sha256')}")
        repeated = spec.repeated_targets()
        if repeated:
            state.waiting.append(
                f"spec.secrets/spec.configs: two of them mount at {', '.join(repeated)} "
                "(give each its own target)"
            )
        if not wanted or state.waiting:
            return state
        if self._files is None:
            state.waiting.append("secret and config files, which this daemon does not keep")
            return state
        for index, mount in enumerate(spec.secrets):
            secret = found[(Kind.SECRET, mount.name)]
            state.files.append(
                ContainerFile(
                    path=self._files.secret_path(namespace, name, index, mount.name),
                    target=mount.target_path(),
                    mode=int(mount.mode),
                    uid=mount.uid,
                    gid=mount.gid,
                    payload=str(secret.spec.get("sealed", "")),
                    context=seal_context(Kind.SECRET, namespace, mount.name),
                )
            )
        for index, config_mount in enumerate(spec.configs):
            config = ConfigSpec.model_validate(found[(Kind.CONFIG, config_mount.name)].spec)
            payload = config.data or base64.b64encode((config.value or "").encode()).decode()
            state.files.append(
                ContainerFile(
                    path=self._files.config_path(namespace, name, index, config_mount.name),
                    target=config_mount.target_path(),
                    mode=int(config_mount.mode),
                    uid=config_mount.uid,
                    gid=config_mount.gid,
                    payload=payload,
                )
            )
        state.missing = self._files.missing(state.files)
        for variable, value in sorted(spec.env.items()):
            if isinstance(value, EnvFromSecret):
                secret = found[(Kind.SECRET, value.secret)]
                state.secret_env.append(
                    SecretEnv(
                        variable=variable,
                        context=seal_context(Kind.SECRET, namespace, value.secret),
                        sealed=str(secret.spec.get("sealed", "")),
                    )
                )
        return state

    def _labelled(self, resource: Resource) -> list[ContainerSummary]:
        """Containers labelled as this Container's (of its namespace only: another
        namespace's Container of the same name carries the same name label)."""
        found = self._runtime.list_containers({KIND_LABEL: KIND, NAME_LABEL: resource.name})
        return [info for info in found if label_namespace(info.labels) == resource.namespace]

    def observe(
        self, resource: Resource, spec: ContainerSpec, *, by_name: bool = True
    ) -> ContainerSnapshot:
        """One snapshot; `by_name=False` leaves out who holds the Container's own name (a
        replicated Container's replicas have names of their own, observed per replica)."""
        image_id, image_ref, waiting, volume_names, network_names = self._dependency_state(
            resource, spec
        )
        content = self._content_state(resource, spec)
        waiting += content.waiting
        labelled = self._labelled(resource)
        holder = self._runtime.inspect_container(resource.engine_name) if by_name else None
        restarts = observed_as(resource, ContainerObserved).unhealthy_restarts or 0
        return ContainerSnapshot(
            held_hash=held_hash(resource),
            labelled=tuple(labelled),
            name_holder=holder,
            image_id=image_id,
            image_ref=image_ref,
            waiting=tuple(waiting),
            volume_names=tuple(sorted(volume_names.items())),
            network_names=tuple(sorted(network_names.items())),
            bind_targets=bind_targets(spec, self._host_access.source_roots),
            unhealthy_restart_due=self._unhealthy_restart_due(resource, holder),
            unhealthy_restarts=restarts,
            next_unhealthy_backoff_s=self._unhealthy_backoff.delay(restarts),
            stopped_for_s=stopped_for(holder),
            running_for_s=running_for(holder),
            contents=tuple(content.contents),
            files=tuple(content.files),
            files_missing=content.missing,
            secret_env=tuple(content.secret_env),
        )

    # --- reconcile

    def reconcile(self, resource: Resource) -> Outcome:
        spec = ContainerSpec.model_validate(resource.spec)
        if spec.replicas is not None and not self._runtime.replicates:
            return self._reconcile_replicas(resource, spec)
        observed = self.observe(resource, spec)
        desired = self._desired(resource, spec)
        container_plan = plan(desired, observed)
        self._check_host_access(resource, spec, container_plan)
        executed = self._executor.execute(container_plan, resource.key)
        current = observed.name_holder
        if not container_plan.empty:
            current = self._runtime.inspect_container(resource.engine_name)
        outcome = self._status(resource, spec, container_plan, current, executed.events)
        if container_plan.requeue_after is None:
            return outcome
        due = [container_plan.requeue_after]
        if outcome.requeue_after is not None:
            due.append(outcome.requeue_after)
        return dataclasses.replace(outcome, requeue_after=min(due))

    def _desired(self, resource: Resource, spec: ContainerSpec) -> ContainerDesired:
        return ContainerDesired(
            resource.name,
            spec,
            resource.spec_hash,
            self._restart_grace_s,
            resource.namespace,
            resource.generation,
            in_place=self._runtime.replicates,
        )

    def _check_host_access(self, resource: Resource, spec: ContainerSpec, todo: Plan) -> None:
        if any(isinstance(action, _MOUNTING) for action in todo.actions):
            # Docker resolves bind sources at every start: check them again right before.
            require_host_access(
                self._host_access,
                str(resource.key),
                container_host_paths(spec),
                container_powers(spec),
            )

    def _reconcile_replicas(self, resource: Resource, spec: ContainerSpec) -> Outcome:
        """`replicas: N`: N containers, each planned on its own, a new spec rolled out batch
        by batch (container_replicas)."""
        shared = self.observe(resource, spec, by_name=False)
        slots, retired = observe_replicas(
            self._runtime,
            resource,
            spec,
            shared.labelled,
            lambda holder: self._unhealthy_restart_due(resource, holder),
        )
        desired = self._desired(resource, spec)
        snapshot = ReplicasSnapshot(
            shared=shared,
            slots=slots,
            retired=retired,
            paused_hash=paused_hash(resource),
            pinned=resource.pin is not None,
        )
        decision = plan_replicas(desired, snapshot)
        self._check_host_access(resource, spec, decision.plan)
        executed = self._executor.execute(decision.plan, resource.key)
        current: list[ContainerInfo | None] = [slot.holder for slot in slots]
        if not decision.plan.empty:
            current = inspect_replicas(self._runtime, resource, spec)
        return replicated_outcome(
            resource,
            spec,
            decision,
            current,
            executed.events,
            unhealthy_retry_in(spec, self._seconds_until_unhealthy_restart),
        )

    def _status(
        self,
        resource: Resource,
        spec: ContainerSpec,
        container_plan: Plan,
        current: ContainerInfo | None,
        events: list[EventNote],
    ) -> Outcome:
        facts = _facts(resource, current, container_plan)
        if container_plan.blocked_reason is Reason.NAME_CONFLICT:
            status = make_status(
                resource,
                phase=Phase.FAILED,
                ready=False,
                reason=Reason.NAME_CONFLICT,
                message=container_plan.blocked_message,
                degraded=True,
                observed=facts,
            )
            note = EventNote(
                EventType.WARNING, Reason.NAME_CONFLICT, container_plan.blocked_message
            )
            return Outcome(status=status, events=(*events, note))
        if container_plan.blocked_reason is Reason.WAITING and current is None:
            status = make_status(
                resource,
                phase=Phase.PENDING,
                ready=False,
                reason=Reason.WAITING,
                message=f"waiting for {container_plan.blocked_message}",
                progressing=True,
                observed=facts,
            )
            return Outcome(status=status, events=tuple(events))
        if current is None:
            raise TransientError(f"container {resource.engine_name} vanished while starting")
        if scaled_to_zero(self._desired(resource, spec)):
            status = make_status(
                resource,
                phase=Phase.RUNNING,
                ready=True,
                reason=Reason.RUNNING,
                message="scaled to 0 replicas",
                observed=facts,
            )
            return Outcome(status=status, events=tuple(events))
        status = self._running_status(resource, spec, current, facts, container_plan)
        rollout = facts.rollout
        if rollout is not None and rollout.state != Reason.RUNNING:
            status = make_status(
                resource,
                phase=Phase.RUNNING,
                ready=False,
                reason=Reason(rollout.state),
                message=f"{current.running_replicas or 0}/{current.replicas} replicas running; "
                f"{rollout.message or 'the engine rolls the update out'}",
                progressing=rollout.state == Reason.ROLLING_OUT,
                degraded=rollout.state != Reason.ROLLING_OUT,
                observed=facts,
            )
        requeue = None
        if current.health == "unhealthy":
            requeue = self._unhealthy_restart_in(spec, current, facts)
        if rollout is not None and rollout.state == Reason.ROLLING_OUT:
            requeue = min(requeue or _ENGINE_ROLLOUT_POLL_S, _ENGINE_ROLLOUT_POLL_S)
        return Outcome(
            status=status,
            events=tuple(events),
            requeue_after=requeue,
            roll_back=wants_roll_back(resource, rollout, spec.update.failure_action),
        )

    # --- delete and garbage collection

    def delete(self, resource: Resource) -> DeleteOutcome:
        spec = ContainerSpec.model_validate(resource.spec)
        grace = int(parse_duration(spec.stop_grace_period))
        labelled = self._labelled(resource)
        removal = delete_plan(labelled, grace)
        if (
            self._files is not None
            and (resource.namespace, resource.name) in self._files.containers()
        ):
            files = RemoveContainerFiles(
                cause="deleted", container=resource.name, namespace=resource.namespace
            )
            removal = dataclasses.replace(removal, actions=(*removal.actions, files))
        executed = self._executor.execute(removal, resource.key)
        return DeleteOutcome(done=True, events=tuple(executed.events))

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        managed = self._runtime.list_containers({MANAGED_LABEL: "true", KIND_LABEL: KIND})
        garbage = garbage_plan(managed, {(resource.namespace, resource.name) for resource in owned})
        events = list(self._executor.collect_garbage(garbage, KIND))
        if self._files is not None:
            # Files of containers that no Container mounts them in any more.
            using = {
                (resource.namespace, resource.name)
                for resource in owned
                if resource.spec.get("secrets") or resource.spec.get("configs")
            }
            stale = files_garbage_plan(self._files.containers(), using)
            events += self._executor.collect_garbage(stale, KIND)
        return events

    # --- unhealthy restarts (Docker's restart policy does not act on health)

    def _unhealthy_restart_due(self, resource: Resource, holder: ContainerInfo | None) -> bool:
        if holder is None or holder.health != "unhealthy":
            return False
        return self._seconds_until_unhealthy_restart(observed_as(resource, ContainerObserved)) <= 0

    def _seconds_until_unhealthy_restart(self, facts: ContainerObserved) -> float:
        return seconds_until_unhealthy_restart(facts, self._unhealthy_backoff)

    def _unhealthy_restart_in(
        self, spec: ContainerSpec, current: ContainerInfo, facts: ContainerObserved
    ) -> float | None:
        """Seconds until dockform restarts the unhealthy `current`: the backoff, and not
        before the healthcheck's startPeriod ends; None when `restartOnUnhealthy` is false."""
        if not spec.restart_on_unhealthy:
            return None
        start_left = start_period_left(spec, running_for(current))
        return max(self._seconds_until_unhealthy_restart(facts), start_left)

    def _unhealthy_status(
        self,
        resource: Resource,
        spec: ContainerSpec,
        current: ContainerInfo,
        facts: ContainerObserved,
    ) -> ResourceStatus:
        restarts = facts.unhealthy_restarts or 0
        reason = Reason.CRASH_LOOP_BACK_OFF if restarts >= 2 else Reason.UNHEALTHY
        retry_in = self._unhealthy_restart_in(spec, current, facts)
        message = f"container is unhealthy; restarted {restarts} time(s) for it; "
        if retry_in is None:
            message += "restartOnUnhealthy is false, so dockform leaves it running"
        elif start_period_left(spec, running_for(current)) > 0:
            message += f"within its healthcheck startPeriod: next restart in {retry_in:.0f}s"
        else:
            message += f"next restart in {retry_in:.0f}s"
        return make_status(
            resource,
            phase=Phase.RUNNING,
            ready=False,
            reason=reason,
            message=message,
            degraded=True,
            observed=facts,
            next_retry_at=None
            if retry_in is None
            else datetime.now(UTC) + timedelta(seconds=retry_in),
        )

    def _running_status(
        self,
        resource: Resource,
        spec: ContainerSpec,
        current: ContainerInfo,
        facts: ContainerObserved,
        container_plan: Plan,
    ) -> ResourceStatus:
        waiting_note = ""
        if container_plan.blocked_reason is Reason.WAITING:
            waiting_note = f" (update waits for {container_plan.blocked_message})"
        state = current.state
        if state == "running":
            if current.health == "unhealthy":
                return self._unhealthy_status(resource, spec, current, facts)
            if current.health == "starting":
                return make_status(
                    resource,
                    phase=Phase.RUNNING,
                    ready=False,
                    reason=Reason.HEALTH_STARTING,
                    message="waiting for the first healthy check" + waiting_note,
                    progressing=True,
                    observed=facts,
                )
            reason = Reason.HEALTHY if current.health == "healthy" else Reason.RUNNING
            return make_status(
                resource,
                phase=Phase.RUNNING,
                ready=True,
                reason=reason,
                message=waiting_note.strip(),
                observed=facts,
            )
        if state == "restarting":
            return make_status(
                resource,
                phase=Phase.PENDING,
                ready=False,
                reason=Reason.RESTARTING,
                message=f"Docker is restarting it (exit code {current.exit_code})",
                progressing=True,
                degraded=True,
                observed=facts,
            )
        if state in ("exited", "dead"):
            succeeded = current.exit_code == 0 and spec.restart_policy in ("Never", "OnFailure")
            return make_status(
                resource,
                phase=Phase.SUCCEEDED if succeeded else Phase.FAILED,
                ready=False,
                reason=Reason.COMPLETED if succeeded else Reason.EXITED,
                message=f"container exited with code {current.exit_code}",
                degraded=not succeeded,
                observed=facts,
            )
        return make_status(
            resource,
            phase=Phase.PENDING,
            ready=False,
            reason=_state_reason(state),
            message=f"container is {state}",
            progressing=True,
            observed=facts,
        )


# Docker states of a container that has been started (`created` never was; `dead` is a
# container the engine failed to remove, whatever it ran).
_HAS_RUN = frozenset({"running", "restarting", "paused", "exited"})


def container_condition_unmet(needed: Resource, condition: str) -> list[str]:
    """What a dependent waits for on Container `needed`, or [] when `condition` holds.

    `Started`: it has run for its current generation: it runs, or ran and exited (a one-shot
    container that finished still counts, so a dependent made later is not stuck behind it).
    `Healthy`: it runs and its healthcheck says healthy now.
    """
    shown = display(KIND, needed.namespace, needed.name)
    if needed.deleting:
        return [f"{shown} is being deleted"]
    observed = observed_as(needed, ContainerObserved)
    current = needed.status.observed_generation == needed.generation
    if condition == "Healthy":
        if observed.state != "running" or not current:
            return [f"{shown} to be Healthy (it is {needed.status.phase})"]
        if observed.health != "healthy":
            health = observed.health or "no healthcheck"
            return [f"{shown} to be Healthy (health: {health})"]
        return []
    if not current or observed.state not in _HAS_RUN:
        return [f"{shown} to be Started (it is {needed.status.phase})"]
    return []


def job_completion_unmet(needed: Resource) -> list[str]:
    """What a dependent waits for on Job `needed` (condition Completed), or [] once it
    succeeded for its current generation. It depends on the Job's recorded success, not on
    a container: one removed by ttlAfterFinished keeps the condition met."""
    shown = display(Kind.JOB, needed.namespace, needed.name)
    if needed.deleting:
        return [f"{shown} is being deleted"]
    status = needed.status
    if status.phase == Phase.SUCCEEDED and status.observed_generation == needed.generation:
        return []
    detail = status.reason or status.phase
    if status.message:
        detail = f"{detail}: {status.message}"
    return [f"{shown} to complete ({detail})"]


def _state_reason(state: str) -> Reason:
    """The reason for an engine state with no case of its own (created, paused, removing)."""
    try:
        return Reason(state.capitalize())
    except ValueError:
        return Reason.WAITING


def bind_targets(spec: ContainerSpec, source_roots: Sequence[str]) -> tuple[str, ...]:
    """Where each hostPath written inside a source's directory (a GitSource's checkout, a
    watched directory) leads, for those that lead through a symlink: a GitSource's `current`
    moves to each new commit's checkout and the old one is removed, so the container must
    follow. Other hostPaths add nothing, so no existing container's hash changes."""
    targets = []
    roots = [*map(normalise, source_roots), *real_roots(source_roots)]
    for mount in spec.volumes:
        path = mount.host_path
        if path is None or not any(is_inside(normalise(path), root) for root in roots):
            continue
        resolved = resolve_host_path(path)
        if resolved != normalise(path):
            targets.append(resolved)
    return tuple(targets)


def _missing_bind_sources(spec: ContainerSpec) -> list[str]:
    """hostPaths missing on this host (the daemon's, where host paths are resolved) that the
    engine will not create: the container waits for them, so a running copy is not replaced
    by one the engine refuses to create."""
    return [
        f"hostPath {mount.host_path} (spec.volumes[{index}]) to exist: create it, or set "
        "createHostPath: true"
        for index, mount in enumerate(spec.volumes)
        if mount.host_path is not None
        and not mount.create_host_path
        and not os.path.exists(mount.host_path)
    ]


def _not_ready(kind: str, resource: Resource) -> str:
    status = resource.status
    detail = status.reason or status.phase
    if status.message:
        detail = f"{detail}: {status.message}"
    return f"{resource.key} to be Ready ({detail})"


def _facts(
    resource: Resource, current: ContainerInfo | None, container_plan: Plan
) -> ContainerObserved:
    previous = observed_as(resource, ContainerObserved)
    restarts, last_restart = unhealthy_restarts_after(previous, container_plan)
    if current is None:
        return ContainerObserved(
            unhealthy_restarts=restarts or None, last_unhealthy_restart=last_restart or None
        )
    if current.health == "healthy":
        restarts, last_restart = 0, None
    return ContainerObserved(
        replicas=current.replicas,
        ready_replicas=current.running_replicas,
        rollout=engine_rollout(resource, current, container_plan),
        container_id=current.id,
        state=current.state,
        health=current.health,
        restart_count=current.restart_count,
        exit_code=current.exit_code,
        image_id=current.image_id,
        addresses=dict(sorted(current.networks.items())),
        ports=published_ports([current]),
        unhealthy_restarts=restarts,
        last_unhealthy_restart=last_restart,
        made_for=provenance.read(current.labels, MADE_FOR_LABEL),
        made_because=provenance.read(current.labels, MADE_BECAUSE_LABEL),
        tasks=[_task_observed(task, current) for task in current.tasks[:SHOWN_TASKS]] or None,
    )


def _task_observed(task: TaskInfo, service: ContainerInfo) -> TaskObserved:
    """A Swarm task as status shows it, with the revision it runs."""
    return TaskObserved(
        node=task.node,
        state=task.state,
        desired_state=task.desired_state,
        error=task.error,
        container_id=task.container_id,
        exit_code=task.exit_code,
        generation=provenance.made_for_generation(task.labels),
        up_to_date=bool(task.labels)
        and task.labels.get(HASH_LABEL) == service.labels.get(HASH_LABEL),
    )


def seconds_until_unhealthy_restart(facts: ContainerObserved, backoff: Backoff) -> float:
    last = facts.last_unhealthy_restart
    if not last:
        return 0.0
    restarts = facts.unhealthy_restarts or 0
    due = datetime.fromisoformat(last) + timedelta(seconds=backoff.delay(restarts - 1))
    return max((due - datetime.now(UTC)).total_seconds(), 0.0)


def container_logs(
    runtime: Runtime, resource: Resource, tail: int | None, follow: bool
) -> Iterator[bytes]:
    """Logs of the managed container of the Container (of its first replica when it has
    replicas); NoLogs when there is none."""
    first = 1 if resource.spec.get("replicas") else None
    info = runtime.inspect_container(container_name(resource.namespace, resource.name, first))
    if info is None or not owns(info, resource.name, resource.namespace):
        raise NoLogs(f"{resource.key} has no container in Docker")
    try:
        return runtime.container_logs(info.id, tail, follow)
    except ObjectNotFound as error:
        raise NoLogs(f"{resource.key}: {error}") from error


def requires(resource: Resource) -> Iterable[Ref]:
    """The image (by the name or ref the container gives), networks (with its namespace's
    implicit one), volumes, the Containers and Jobs of its dependsOn, and its Secrets and
    Configs, all of its namespace."""
    spec = resource.spec
    namespace = resource.namespace
    image = str(spec.get("image", ""))
    refs: list[Ref] = [
        ObjectKey(Kind.IMAGE, namespace, image),
        ObjectKey(Kind.IMAGE, ANY_NAMESPACE, image),
    ]
    networks = [
        entry["name"] if isinstance(entry, dict) else entry for entry in spec.get("networks", [])
    ]
    if not networks and not spec.get("hostNetwork") and namespace != DEFAULT_NAMESPACE:
        networks = [DEFAULT_NETWORK]
    refs += [ObjectKey(Kind.NETWORK, namespace, network) for network in networks]
    refs += [
        ObjectKey(Kind.VOLUME, namespace, mount["volume"])
        for mount in spec.get("volumes", [])
        if mount.get("volume")
    ]
    refs += [
        ObjectKey(item.get("kind", KIND), namespace, item["name"])
        for item in spec.get("dependsOn", [])
    ]
    refs += [ObjectKey(Kind.SECRET, namespace, mount["name"]) for mount in spec.get("secrets", [])]
    refs += [ObjectKey(Kind.CONFIG, namespace, mount["name"]) for mount in spec.get("configs", [])]
    refs += [
        ObjectKey(Kind.SECRET, namespace, value["secret"])
        for value in spec.get("env", {}).values()
        if isinstance(value, dict) and "secret" in value
    ]
    return refs


REGISTRATION = KindRegistration(
    kind=KIND,
    spec_model=ContainerSpec,
    observed_model=ContainerObserved,
    reconciler=ContainerReconciler,
    event_mappers=(
        labelled_objects("container", KIND, _CONTAINER_ACTIONS),
        # A container dockform does not manage may free or take a name a Container wants.
        named_objects("container", KIND, _CONTAINER_ACTIONS, unmanaged_only=True),
    ),
    requires=requires,
    logs=container_logs,
    # Repairs wait on these workers: as many engine calls in flight as the floor uses.
    limits=KindLimits(workers=8, timeout_s=300.0),
)

"""Container reconciler: observe one snapshot, plan (container_plan.plan), execute, report.

The executor only dispatches actions to the runtime; every decision is in `container_plan`.
Status reports what the engine says after the actions ran: state, health, restart count, exit
code, addresses and ports, with phase Pending | Running | Succeeded | Failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from dockform.controller.dependencies import find_image_resource
from dockform.controller.reconcilers.base import (
    Action,
    DeleteOutcome,
    EventNote,
    Outcome,
    Plan,
    ReconcileContext,
    TransientError,
)
from dockform.controller.reconcilers.container_plan import (
    KIND,
    ConnectNetwork,
    ContainerDesired,
    ContainerObserved,
    CreateContainer,
    RemoveContainer,
    RestartContainer,
    StartContainer,
    StopContainer,
    owns,
    plan,
)
from dockform.controller.status import is_ready, make_status
from dockform.manifests.models import ContainerSpec
from dockform.manifests.units import parse_duration
from dockform.runtime.errors import ObjectNotFound, RuntimeFailure
from dockform.runtime.types import KIND_LABEL, MANAGED_LABEL, NAME_LABEL, ContainerInfo
from dockform.store.types import Resource, ResourceStatus

_EVENT_REASON = {
    "CreateContainer": "Created",
    "StartContainer": "Started",
    "StopContainer": "Stopped",
    "RemoveContainer": "Removed",
    "RestartContainer": "Restarted",
    "ConnectNetwork": "Connected",
}
UNHEALTHY_BACKOFF_BASE_S = 1.0
UNHEALTHY_BACKOFF_CAP_S = 300.0


def unhealthy_backoff(restarts: int) -> float:
    return float(min(UNHEALTHY_BACKOFF_BASE_S * 2**restarts, UNHEALTHY_BACKOFF_CAP_S))


class ContainerReconciler:
    kind = KIND

    def __init__(self, context: ReconcileContext) -> None:
        self._store = context.store
        self._runtime = context.runtime
        self._expectations = context.expectations

    # --- observe

    def _dependency_state(
        self, resource: Resource, spec: ContainerSpec
    ) -> tuple[str | None, str, list[str], dict[str, str]]:
        """(image id, image ref, unmet needs in order, volume resource -> engine name)."""
        waiting: list[str] = []
        image_resource = find_image_resource(spec.image, self._store.list("Image"))
        image_ref = spec.image
        image_id: str | None = None
        if image_resource is not None:
            image_ref = str(image_resource.spec["ref"])
            image_id = image_resource.status.observed.get("imageId")
            if image_resource.deleting:
                waiting.append(f"Image/{image_resource.name} is being deleted")
            elif not is_ready(image_resource) or image_id is None:
                waiting.append(_not_ready("Image", image_resource))
        else:
            info = self._runtime.inspect_image(spec.image)
            image_id = info.id if info is not None else None
            if info is None:
                waiting.append(
                    f"image {spec.image} is not present; define an Image resource with this "
                    "ref or name, or load it into Docker"
                )
        for network in spec.networks:
            waiting += self._need("Network", network, external=self._network_exists)
        volume_names: dict[str, str] = {}
        for mount in spec.volumes:
            if mount.volume is None:
                continue
            waiting += self._need("Volume", mount.volume, external=self._volume_exists)
            volume = self._store.get("Volume", mount.volume)
            if volume is not None:
                volume_names[mount.volume] = str(
                    volume.status.observed.get("volumeName", mount.volume)
                )
        for dependency in spec.depends_on:
            waiting += self._need_container(dependency.name, dependency.condition)
        return image_id, image_ref, waiting, volume_names

    def _network_exists(self, name: str) -> bool:
        return self._runtime.inspect_network(name) is not None

    def _volume_exists(self, name: str) -> bool:
        return self._runtime.inspect_volume(name) is not None

    def _need(self, kind: str, name: str, external: Callable[[str], bool]) -> list[str]:
        needed = self._store.get(kind, name)
        if needed is None:
            # Like Compose's external networks and volumes: made outside dockform, used as is.
            if external(name):
                return []
            return [f"{kind}/{name} (not defined, and Docker has no {kind.lower()} {name!r})"]
        if needed.deleting:
            return [f"{kind}/{name} is being deleted"]
        if not is_ready(needed):
            return [_not_ready(kind, needed)]
        return []

    def _need_container(self, name: str, condition: str) -> list[str]:
        needed = self._store.get(KIND, name)
        if needed is None:
            return [f"Container/{name} does not exist"]
        observed = needed.status.observed
        if observed.get("state") != "running":
            return [f"Container/{name} to be Started (it is {needed.status.phase})"]
        if condition == "Healthy" and observed.get("health") != "healthy":
            health = observed.get("health") or "no healthcheck"
            return [f"Container/{name} to be Healthy (health: {health})"]
        return []

    def observe(self, resource: Resource, spec: ContainerSpec) -> ContainerObserved:
        image_id, image_ref, waiting, volume_names = self._dependency_state(resource, spec)
        labelled = self._runtime.list_containers({KIND_LABEL: KIND, NAME_LABEL: resource.name})
        holder = self._runtime.inspect_container(resource.name)
        return ContainerObserved(
            labelled=tuple(labelled),
            name_holder=holder,
            image_id=image_id,
            image_ref=image_ref,
            waiting=tuple(waiting),
            volume_names=tuple(sorted(volume_names.items())),
            unhealthy_restart_due=_unhealthy_restart_due(resource, holder),
        )

    # --- reconcile

    def reconcile(self, resource: Resource) -> Outcome:
        spec = ContainerSpec.model_validate(resource.spec)
        observed = self.observe(resource, spec)
        container_plan = plan(ContainerDesired(resource.name, spec, resource.spec_hash), observed)
        events = self._execute(resource.name, container_plan)
        current = observed.name_holder
        if not container_plan.empty:
            current = self._runtime.inspect_container(resource.name)
        return self._status(resource, spec, container_plan, current, observed, events)

    def _execute(self, name: str, container_plan: Plan) -> list[EventNote]:
        events: list[EventNote] = []
        for action in container_plan.actions:
            try:
                self._dispatch(action)
                # The inspect after the actions observes what they did; their own create and
                # start events need no pass of their own (controller.expectations).
                if isinstance(action, CreateContainer):
                    self._expectations.expect(KIND, name, "create")
                elif isinstance(action, StartContainer):
                    self._expectations.expect(KIND, name, "start")
            except ObjectNotFound:
                if not isinstance(action, (StopContainer, RemoveContainer)):
                    raise
            except RuntimeFailure as error:
                raise TransientError(
                    f"{action.verb} {action.target()} failed: {error}", reason="EngineError"
                ) from error
            reason = _EVENT_REASON[action.verb]
            events.append(
                EventNote("Normal", reason, f"{reason.lower()} {action.target()}: {action.cause}")
            )
        return events

    def _dispatch(self, action: Action) -> None:
        match action:
            case CreateContainer(request=request):
                self._runtime.create_container(request)
            case StartContainer(container=container):
                self._runtime.start_container(container)
            case StopContainer(container=container, timeout_s=timeout_s):
                self._runtime.stop_container(container, timeout_s)
            case RestartContainer(container=container, timeout_s=timeout_s):
                self._runtime.restart_container(container, timeout_s)
            case RemoveContainer(container=container):
                self._runtime.remove_container(container)
            case ConnectNetwork(network=network, container=container, aliases=aliases):
                self._runtime.connect_network(network, container, aliases)
            case _:
                raise TypeError(f"unknown container action {action!r}")

    def _status(
        self,
        resource: Resource,
        spec: ContainerSpec,
        container_plan: Plan,
        current: ContainerInfo | None,
        observed: ContainerObserved,
        events: list[EventNote],
    ) -> Outcome:
        facts = _facts(resource, current, container_plan)
        if container_plan.blocked_reason == "NameConflict":
            status = make_status(
                resource,
                phase="Failed",
                ready=False,
                reason="NameConflict",
                message=container_plan.blocked_message,
                degraded=True,
                observed=facts,
            )
            note = EventNote("Warning", "NameConflict", container_plan.blocked_message)
            return Outcome(status=status, events=(*events, note))
        if container_plan.blocked_reason == "Waiting" and current is None:
            status = make_status(
                resource,
                phase="Pending",
                ready=False,
                reason="Waiting",
                message=f"waiting for {container_plan.blocked_message}",
                progressing=True,
                observed=facts,
            )
            return Outcome(status=status, events=tuple(events))
        if current is None:
            raise TransientError(f"container {resource.name} vanished while starting")
        status = _running_status(resource, spec, current, facts, container_plan)
        requeue = None
        if current.health == "unhealthy":
            requeue = _seconds_until_unhealthy_restart(resource, facts)
        return Outcome(status=status, events=tuple(events), requeue_after=requeue)

    # --- delete and garbage collection

    def delete(self, resource: Resource) -> DeleteOutcome:
        spec = ContainerSpec.model_validate(resource.spec)
        grace = int(parse_duration(spec.stop_grace_period))
        events: list[EventNote] = []
        targets = {
            info.id: info
            for info in self._runtime.list_containers({KIND_LABEL: KIND, NAME_LABEL: resource.name})
        }
        for container_id, info in sorted(targets.items()):
            try:
                if info.state == "running":
                    self._runtime.stop_container(container_id, grace)
                self._runtime.remove_container(container_id)
            except ObjectNotFound:
                continue
            except RuntimeFailure as error:
                raise TransientError(f"removing container {info.name}: {error}") from error
            events.append(EventNote("Normal", "Removed", f"removed container {info.name}"))
        return DeleteOutcome(done=True, events=tuple(events))

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        owned_names = {resource.name for resource in owned}
        notes: list[EventNote] = []
        for info in self._runtime.list_containers({MANAGED_LABEL: "true", KIND_LABEL: KIND}):
            name = info.labels.get(NAME_LABEL, "")
            if name in owned_names and owns(info, name):
                continue
            self._runtime.remove_container(info.id)
            notes.append(
                EventNote(
                    "Normal",
                    "GarbageCollected",
                    subject=name,
                    message=(
                        f"removed container {info.name} ({info.id[:12]}): "
                        f"no Container/{name} owns it"
                    ),
                )
            )
        return notes


def _not_ready(kind: str, resource: Resource) -> str:
    status = resource.status
    detail = status.reason or status.phase
    if status.message:
        detail = f"{detail}: {status.message}"
    return f"{kind}/{resource.name} to be Ready ({detail})"


def _facts(
    resource: Resource, current: ContainerInfo | None, container_plan: Plan
) -> dict[str, Any]:
    previous = resource.status.observed
    facts: dict[str, Any] = {
        "unhealthyRestarts": previous.get("unhealthyRestarts", 0),
        "lastUnhealthyRestart": previous.get("lastUnhealthyRestart"),
    }
    if any(isinstance(action, RestartContainer) for action in container_plan.actions):
        facts["unhealthyRestarts"] = int(facts["unhealthyRestarts"]) + 1
        facts["lastUnhealthyRestart"] = datetime.now(UTC).isoformat()
    if current is None:
        return {key: value for key, value in facts.items() if value}
    if current.health == "healthy":
        facts["unhealthyRestarts"] = 0
        facts["lastUnhealthyRestart"] = None
    facts.update(
        containerId=current.id,
        state=current.state,
        health=current.health,
        restartCount=current.restart_count,
        exitCode=current.exit_code,
        imageId=current.image_id,
        addresses=dict(sorted(current.networks.items())),
        ports=sorted(
            f"{port.host_ip}:{port.host_port}->{port.container_port}/{port.protocol}"
            for port in current.ports
        ),
    )
    return {key: value for key, value in facts.items() if value is not None and value != {}}


def _unhealthy_restart_due(resource: Resource, holder: ContainerInfo | None) -> bool:
    if holder is None or holder.health != "unhealthy":
        return False
    return _seconds_until_unhealthy_restart(resource, resource.status.observed) <= 0


def _seconds_until_unhealthy_restart(resource: Resource, facts: dict[str, Any]) -> float:
    last = facts.get("lastUnhealthyRestart")
    if not last:
        return 0.0
    restarts = int(facts.get("unhealthyRestarts", 0))
    due = datetime.fromisoformat(str(last)) + timedelta(seconds=unhealthy_backoff(restarts - 1))
    return max((due - datetime.now(UTC)).total_seconds(), 0.0)


def _running_status(
    resource: Resource,
    spec: ContainerSpec,
    current: ContainerInfo,
    facts: dict[str, Any],
    container_plan: Plan,
) -> ResourceStatus:
    waiting_note = ""
    if container_plan.blocked_reason == "Waiting":
        waiting_note = f" (update waits for {container_plan.blocked_message})"
    state = current.state
    if state == "running":
        if current.health == "unhealthy":
            restarts = int(facts.get("unhealthyRestarts", 0))
            reason = "CrashLoopBackOff" if restarts >= 2 else "Unhealthy"
            retry_in = _seconds_until_unhealthy_restart(resource, facts)
            message = (
                f"container is unhealthy; restarted {restarts} time(s) for it; "
                f"next restart in {retry_in:.0f}s"
            )
            return make_status(
                resource,
                phase="Running",
                ready=False,
                reason=reason,
                message=message,
                degraded=True,
                observed=facts,
                next_retry_at=datetime.now(UTC) + timedelta(seconds=retry_in),
            )
        if current.health == "starting":
            return make_status(
                resource,
                phase="Running",
                ready=False,
                reason="HealthStarting",
                message="waiting for the first healthy check" + waiting_note,
                progressing=True,
                observed=facts,
            )
        reason = "Healthy" if current.health == "healthy" else "Running"
        return make_status(
            resource,
            phase="Running",
            ready=True,
            reason=reason,
            message=waiting_note.strip(),
            observed=facts,
        )
    if state == "restarting":
        return make_status(
            resource,
            phase="Pending",
            ready=False,
            reason="Restarting",
            message=f"Docker is restarting it (exit code {current.exit_code})",
            progressing=True,
            degraded=True,
            observed=facts,
        )
    if state in ("exited", "dead"):
        succeeded = current.exit_code == 0 and spec.restart_policy in ("Never", "OnFailure")
        return make_status(
            resource,
            phase="Succeeded" if succeeded else "Failed",
            ready=False,
            reason="Completed" if succeeded else "Exited",
            message=f"container exited with code {current.exit_code}",
            degraded=not succeeded,
            observed=facts,
        )
    return make_status(
        resource,
        phase="Pending",
        ready=False,
        reason=state.capitalize(),
        message=f"container is {state}",
        progressing=True,
        observed=facts,
    )

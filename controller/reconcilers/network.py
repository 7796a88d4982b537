"""Network reconciler: bridge networks with internal / subnet / gateway / labels.

A changed spec replaces the network: managed containers are disconnected, the network is
removed and created again, and the status change wakes the Containers that use it, whose own
plans reconnect them. A network that a container dockform does not manage is attached to is
reported (Degraded, reason InUseByUnmanaged) and never forced. Removal waits until no
container uses the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dockform.controller.reconcilers.base import (
    Action,
    DeleteOutcome,
    EventNote,
    Outcome,
    Plan,
    ReconcileContext,
    TransientError,
)
from dockform.controller.status import make_status
from dockform.manifests.models import NetworkSpec
from dockform.runtime.errors import ObjectConflict, ObjectNotFound, RuntimeFailure
from dockform.runtime.types import (
    HASH_LABEL,
    KIND_LABEL,
    MANAGED_LABEL,
    NAME_LABEL,
    ContainerInfo,
    NetworkCreate,
    NetworkInfo,
    managed_labels,
    owned_by,
)
from dockform.store.types import Resource

KIND = "Network"


@dataclass(frozen=True)
class CreateNetwork(Action):
    request: NetworkCreate

    def target(self) -> str:
        return f"network:{self.request.name}"


@dataclass(frozen=True)
class DisconnectNetwork(Action):
    network: str
    container: str  # name, for readable plans

    def target(self) -> str:
        return f"network:{self.network}"


@dataclass(frozen=True)
class RemoveNetwork(Action):
    network: str

    def target(self) -> str:
        return f"network:{self.network}"


@dataclass(frozen=True)
class NetworkObserved:
    network: NetworkInfo | None
    attached: tuple[ContainerInfo, ...]  # containers attached to it, sorted by name


def owns(info: NetworkInfo, name: str) -> bool:
    return owned_by(info.labels, KIND, name)


def create_request(name: str, spec: NetworkSpec, spec_hash: str) -> NetworkCreate:
    return NetworkCreate(
        name=name,
        labels={**spec.labels, **managed_labels(KIND, name, spec_hash)},
        driver=spec.driver,
        internal=spec.internal,
        subnet=spec.subnet,
        gateway=spec.gateway,
    )


def plan(name: str, spec: NetworkSpec, spec_hash: str, observed: NetworkObserved) -> Plan:
    network = observed.network
    create = CreateNetwork(cause="not found", request=create_request(name, spec, spec_hash))
    if network is None:
        return Plan(actions=(create,))
    if not owns(network, name):
        return Plan(
            blocked_reason="NameConflict",
            blocked_message=(
                f"the Docker network {name!r} exists and dockform does not manage it; "
                "remove it (docker network rm) or rename this Network"
            ),
        )
    if network.labels.get(HASH_LABEL) == spec_hash:
        return Plan()
    strangers = [info.name for info in observed.attached if not info.managed]
    if strangers:
        return Plan(
            blocked_reason="InUseByUnmanaged",
            blocked_message=(
                f"the spec changed but containers dockform does not manage use the network: "
                f"{', '.join(strangers)}; disconnect them to let it be replaced"
            ),
        )
    cause = "spec changed"
    disconnects = tuple(
        DisconnectNetwork(cause=cause, network=name, container=info.name)
        for info in observed.attached
    )
    return Plan(
        actions=(
            *disconnects,
            RemoveNetwork(cause=cause, network=name),
            CreateNetwork(cause=cause, request=create.request),
        )
    )


class NetworkReconciler:
    kind = KIND

    def __init__(self, context: ReconcileContext) -> None:
        self._store = context.store
        self._runtime = context.runtime

    def observe(self, name: str) -> NetworkObserved:
        network = self._runtime.inspect_network(name)
        attached: list[ContainerInfo] = []
        for container_id in network.container_ids if network is not None else ():
            info = self._runtime.inspect_container(container_id)
            if info is not None:
                attached.append(info)
        return NetworkObserved(network, tuple(sorted(attached, key=lambda info: info.name)))

    def reconcile(self, resource: Resource) -> Outcome:
        spec = NetworkSpec.model_validate(resource.spec)
        observed = self.observe(resource.name)
        network_plan = plan(resource.name, spec, resource.spec_hash, observed)
        events = self._execute(network_plan)
        network = observed.network
        if not network_plan.empty:
            network = self._runtime.inspect_network(resource.name)
        if network_plan.blocked_reason:
            phase = "Failed" if network_plan.blocked_reason == "NameConflict" else "Ready"
            status = make_status(
                resource,
                phase=phase,
                ready=phase == "Ready",
                reason=network_plan.blocked_reason,
                message=network_plan.blocked_message,
                degraded=True,
                observed=_facts(network),
            )
            warning = EventNote(
                "Warning", network_plan.blocked_reason, network_plan.blocked_message
            )
            return Outcome(status=status, events=(*events, warning))
        if network is None:
            raise TransientError(f"network {resource.name} vanished after {network_plan}")
        status = make_status(
            resource,
            phase="Ready",
            ready=True,
            reason="Created",
            message=f"{network.driver} network {network.subnet or ''}".strip(),
            observed=_facts(network),
        )
        return Outcome(status=status, events=tuple(events))

    def _execute(self, network_plan: Plan) -> list[EventNote]:
        events: list[EventNote] = []
        for action in network_plan.actions:
            try:
                match action:
                    case CreateNetwork(request=request):
                        self._runtime.create_network(request)
                    case DisconnectNetwork(network=network, container=container):
                        self._runtime.disconnect_network(network, container)
                    case RemoveNetwork(network=network):
                        self._runtime.remove_network(network)
                    case _:
                        raise TypeError(f"unknown network action {action!r}")
            except ObjectNotFound:
                if isinstance(action, CreateNetwork):
                    raise TransientError(f"{action.verb} {action.target()}: not found") from None
            except RuntimeFailure as error:
                raise TransientError(
                    f"{action.verb} {action.target()} failed: {error}", reason="EngineError"
                ) from error
            events.append(EventNote("Normal", action.verb, f"{action.target()}: {action.cause}"))
        return events

    def delete(self, resource: Resource) -> DeleteOutcome:
        observed = self.observe(resource.name)
        network = observed.network
        if network is None or not owns(network, resource.name):
            return DeleteOutcome(done=True)
        if observed.attached:
            users = ", ".join(info.name for info in observed.attached)
            return DeleteOutcome(
                done=False,
                waiting_for=f"containers still use network {resource.name}: {users}",
                requeue_after=2.0,
            )
        try:
            self._runtime.remove_network(network.id)
        except ObjectConflict as error:
            return DeleteOutcome(done=False, waiting_for=str(error), requeue_after=2.0)
        except RuntimeFailure as error:
            raise TransientError(f"removing network {resource.name}: {error}") from error
        return DeleteOutcome(
            done=True, events=(EventNote("Normal", "Removed", f"removed network {network.name}"),)
        )

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        owned_names = {resource.name for resource in owned}
        notes: list[EventNote] = []
        for network in self._runtime.list_networks({MANAGED_LABEL: "true", KIND_LABEL: KIND}):
            name = network.labels.get(NAME_LABEL, "")
            if name in owned_names or network.container_ids:
                continue
            try:
                self._runtime.remove_network(network.id)
            except (ObjectConflict, ObjectNotFound):
                continue
            notes.append(
                EventNote(
                    "Normal",
                    "GarbageCollected",
                    subject=name,
                    message=f"removed network {network.name}: no Network/{name} owns it",
                )
            )
        return notes


def _facts(network: NetworkInfo | None) -> dict[str, object]:
    # Attached containers are left out on purpose: they change with every container start,
    # and a status change wakes every Container using the network.
    if network is None:
        return {}
    facts: dict[str, object] = {
        "networkId": network.id,
        "driver": network.driver,
        "internal": network.internal,
    }
    if network.subnet:
        facts["subnet"] = network.subnet
    if network.gateway:
        facts["gateway"] = network.gateway
    return facts

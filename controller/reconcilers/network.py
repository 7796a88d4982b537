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

from dockform.controller.actions import CreateNetwork, DisconnectNetwork, Plan, RemoveNetwork
from dockform.controller.context import ReconcileContext
from dockform.controller.errors import TransientError
from dockform.controller.event_mappers import named_objects
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.registry import KindRegistration
from dockform.controller.status import make_status
from dockform.manifests.kinds import Kind
from dockform.manifests.models import NetworkSpec
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, display, engine_name
from dockform.manifests.status import EventType, NetworkObserved, Phase, Reason
from dockform.runtime.types import (
    HASH_LABEL,
    KIND_LABEL,
    MANAGED_LABEL,
    ContainerInfo,
    NetworkCreate,
    NetworkInfo,
    label_key,
    managed_labels,
    owned_by,
)
from dockform.store.types import Resource

KIND = Kind.NETWORK


@dataclass(frozen=True)
class NetworkSnapshot:
    network: NetworkInfo | None
    attached: tuple[ContainerInfo, ...]  # containers attached to it, sorted by name


def owns(info: NetworkInfo, name: str, namespace: str = DEFAULT_NAMESPACE) -> bool:
    return owned_by(info.labels, KIND, name, namespace)


def create_request(
    name: str, spec: NetworkSpec, spec_hash: str, namespace: str = DEFAULT_NAMESPACE
) -> NetworkCreate:
    return NetworkCreate(
        name=engine_name(namespace, name),
        labels={**spec.labels, **managed_labels(KIND, name, spec_hash, namespace)},
        driver=spec.driver,
        internal=spec.internal,
        subnet=spec.subnet,
        gateway=spec.gateway,
    )


def plan(
    name: str,
    spec: NetworkSpec,
    spec_hash: str,
    observed: NetworkSnapshot,
    namespace: str = DEFAULT_NAMESPACE,
) -> Plan:
    """`name` is the Network's own; its Docker network is `engine_name(namespace, name)`."""
    network = observed.network
    request = create_request(name, spec, spec_hash, namespace)
    create = CreateNetwork(cause="not found", request=request)
    if network is None:
        return Plan(actions=(create,))
    if not owns(network, name, namespace):
        return Plan(
            blocked_reason=Reason.NAME_CONFLICT,
            blocked_message=(
                f"the Docker network {request.name!r} exists and dockform does not manage it; "
                "remove it (docker network rm) or rename this Network"
            ),
        )
    if network.labels.get(HASH_LABEL) == spec_hash:
        return Plan()
    strangers = [info.name for info in observed.attached if not info.managed]
    if strangers:
        return Plan(
            blocked_reason=Reason.IN_USE_BY_UNMANAGED,
            blocked_message=(
                f"the spec changed but containers dockform does not manage use the network: "
                f"{', '.join(strangers)}; disconnect them to let it be replaced"
            ),
        )
    cause = "spec changed"
    disconnects = tuple(
        DisconnectNetwork(cause=cause, network=request.name, container=info.name)
        for info in observed.attached
    )
    return Plan(
        actions=(
            *disconnects,
            RemoveNetwork(cause=cause, network=request.name),
            CreateNetwork(cause=cause, request=create.request, replacing=True),
        )
    )


def delete_plan(name: str, observed: NetworkSnapshot, namespace: str = DEFAULT_NAMESPACE) -> Plan:
    """Remove the network once no container uses it; nothing when it is gone or not ours."""
    network = observed.network
    if network is None or not owns(network, name, namespace):
        return Plan()
    if observed.attached:
        users = ", ".join(info.name for info in observed.attached)
        return Plan(
            blocked_reason=Reason.TERMINATING,
            blocked_message=f"containers still use network {network.name}: {users}",
        )
    return Plan(actions=(RemoveNetwork(cause="deleted", network=network.name),))


def garbage_plan(networks: Sequence[NetworkInfo], owned_names: set[tuple[str, str]]) -> Plan:
    """Managed networks no Network owns (by namespace and name) and no container uses."""
    return Plan(
        actions=tuple(
            RemoveNetwork(
                cause=f"no {display(KIND, owner[0], owner[1])} owns it",
                network=network.name,
                garbage=True,
                subject=owner[1],
                subject_namespace=owner[0],
            )
            for network in sorted(networks, key=lambda network: network.name)
            if (owner := _owner(network.labels)) not in owned_names and not network.container_ids
        )
    )


def _owner(labels: dict[str, str]) -> tuple[str, str]:
    return label_key(labels)


class NetworkReconciler:
    def __init__(self, context: ReconcileContext) -> None:
        self._runtime = context.runtime
        self._executor = context.executor

    def observe(self, name: str) -> NetworkSnapshot:
        network = self._runtime.inspect_network(name)
        attached: list[ContainerInfo] = []
        for container_id in network.container_ids if network is not None else ():
            info = self._runtime.inspect_container(container_id)
            if info is not None:
                attached.append(info)
        return NetworkSnapshot(network, tuple(sorted(attached, key=lambda info: info.name)))

    def reconcile(self, resource: Resource) -> Outcome:
        spec = NetworkSpec.model_validate(resource.spec)
        observed = self.observe(resource.engine_name)
        network_plan = plan(resource.name, spec, resource.spec_hash, observed, resource.namespace)
        executed = self._executor.execute(network_plan, resource.key)
        network = observed.network
        if not network_plan.empty:
            network = self._runtime.inspect_network(resource.engine_name)
        if network_plan.blocked_reason:
            conflict = network_plan.blocked_reason is Reason.NAME_CONFLICT
            status = make_status(
                resource,
                phase=Phase.FAILED if conflict else Phase.READY,
                ready=not conflict,
                reason=network_plan.blocked_reason,
                message=network_plan.blocked_message,
                degraded=True,
                observed=_facts(network),
            )
            warning = EventNote(
                EventType.WARNING, network_plan.blocked_reason, network_plan.blocked_message
            )
            return Outcome(status=status, events=(*executed.events, warning))
        if network is None:
            raise TransientError(f"network {resource.engine_name} vanished after {network_plan}")
        status = make_status(
            resource,
            phase=Phase.READY,
            ready=True,
            reason=Reason.CREATED,
            message=f"{network.driver} network {network.subnet or ''}".strip(),
            observed=_facts(network),
        )
        return Outcome(status=status, events=tuple(executed.events))

    def delete(self, resource: Resource) -> DeleteOutcome:
        removal = delete_plan(resource.name, self.observe(resource.engine_name), resource.namespace)
        if removal.blocked_reason:
            return DeleteOutcome(done=False, waiting_for=removal.blocked_message)
        executed = self._executor.execute(removal, resource.key)
        if executed.waiting:
            return DeleteOutcome(done=False, waiting_for=executed.waiting)
        return DeleteOutcome(done=True, events=tuple(executed.events))

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        networks = self._runtime.list_networks({MANAGED_LABEL: "true", KIND_LABEL: KIND})
        garbage = garbage_plan(
            networks, {(resource.namespace, resource.name) for resource in owned}
        )
        return self._executor.collect_garbage(garbage, KIND)


def _facts(network: NetworkInfo | None) -> NetworkObserved:
    # Attached containers are left out on purpose: they change with every container start,
    # and a status change wakes every Container using the network.
    if network is None:
        return NetworkObserved()
    return NetworkObserved(
        network_id=network.id,
        driver=network.driver,
        internal=network.internal,
        subnet=network.subnet or None,
        gateway=network.gateway or None,
    )


REGISTRATION = KindRegistration(
    kind=KIND,
    spec_model=NetworkSpec,
    observed_model=NetworkObserved,
    reconciler=NetworkReconciler,
    event_mappers=(named_objects("network", KIND, frozenset({"create", "destroy"})),),
)

"""Volume reconciler: named volumes with driver, driverOpts, labels and a reclaim policy.

A volume holds data, so this reconciler is conservative. It creates what is missing and never
recreates a volume whose spec changed (that would lose the data): it reports the difference
(Degraded, reason SpecChanged) and tells the user what to do. `reclaimPolicy: Retain` (the
default) keeps the volume when the resource is deleted; `Delete` removes it once no container
uses it. Garbage collection only reports orphaned volumes; no code path removes a Retain one.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockform.controller.actions import CreateVolume, Plan, RemoveVolume
from dockform.controller.context import ReconcileContext
from dockform.controller.errors import TransientError
from dockform.controller.event_mappers import named_objects
from dockform.controller.host_access import require_host_access
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.registry import KindRegistration
from dockform.controller.status import make_status
from dockform.manifests.kinds import Kind
from dockform.manifests.models import VolumeSpec
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, display, engine_name
from dockform.manifests.policy import volume_host_paths
from dockform.manifests.status import EventType, Phase, Reason, VolumeObserved
from dockform.runtime.types import (
    HASH_LABEL,
    KIND_LABEL,
    MANAGED_LABEL,
    VolumeCreate,
    VolumeInfo,
    label_key,
    managed_labels,
    owned_by,
)
from dockform.store.types import Resource

KIND = Kind.VOLUME
RECLAIM_LABEL = "io.dockform.reclaim-policy"


def owns(info: VolumeInfo, name: str, namespace: str = DEFAULT_NAMESPACE) -> bool:
    return owned_by(info.labels, KIND, name, namespace)


def create_request(
    name: str, spec: VolumeSpec, spec_hash: str, namespace: str = DEFAULT_NAMESPACE
) -> VolumeCreate:
    return VolumeCreate(
        name=engine_name(namespace, name),
        labels={
            **spec.labels,
            **managed_labels(KIND, name, spec_hash, namespace),
            RECLAIM_LABEL: spec.reclaim_policy,
        },
        driver=spec.driver,
        driver_opts=dict(spec.driver_opts),
    )


def plan(
    name: str,
    spec: VolumeSpec,
    spec_hash: str,
    volume: VolumeInfo | None,
    namespace: str = DEFAULT_NAMESPACE,
) -> Plan:
    """`name` is the Volume's own; its Docker volume is `engine_name(namespace, name)`."""
    if volume is None:
        request = create_request(name, spec, spec_hash, namespace)
        return Plan(actions=(CreateVolume(cause="not found", request=request),))
    if not owns(volume, name, namespace):
        return Plan(
            blocked_reason=Reason.NAME_CONFLICT,
            blocked_message=(
                f"the Docker volume {volume.name!r} exists and dockform does not manage it; "
                "rename this Volume, or remove the volume (docker volume rm) if its data "
                "can go"
            ),
        )
    if volume.labels.get(HASH_LABEL) != spec_hash:
        return Plan(
            blocked_reason=Reason.SPEC_CHANGED,
            blocked_message=(
                "the spec changed, but a volume cannot be changed in place and recreating it "
                "would lose its data; the existing volume stays in use. To apply the new "
                f"spec, stop its users and remove it (docker volume rm {volume.name})"
            ),
        )
    return Plan()


def delete_plan(
    name: str, spec: VolumeSpec, volume: VolumeInfo | None, namespace: str = DEFAULT_NAMESPACE
) -> Plan:
    """Nothing for a Retain volume (or one that is gone or not ours); else remove it."""
    if volume is None or not owns(volume, name, namespace) or spec.reclaim_policy == "Retain":
        return Plan()
    return Plan(actions=(RemoveVolume(cause="reclaimPolicy Delete", volume=volume.name),))


class VolumeReconciler:
    def __init__(self, context: ReconcileContext) -> None:
        self._runtime = context.runtime
        self._executor = context.executor
        self._host_access = context.host_access

    def reconcile(self, resource: Resource) -> Outcome:
        spec = VolumeSpec.model_validate(resource.spec)
        volume = self._runtime.inspect_volume(resource.engine_name)
        volume_plan = plan(resource.name, spec, resource.spec_hash, volume, resource.namespace)
        if any(isinstance(action, CreateVolume) for action in volume_plan.actions):
            require_host_access(
                self._host_access, f"{KIND}/{resource.name}", volume_host_paths(spec)
            )
        executed = self._executor.execute(volume_plan, resource.key)
        if not volume_plan.empty:
            volume = self._runtime.inspect_volume(resource.engine_name)
        if volume is None:
            raise TransientError(f"volume {resource.engine_name} vanished after {volume_plan}")
        facts = VolumeObserved(
            volume_name=volume.name, driver=volume.driver, mountpoint=volume.mountpoint or None
        )
        if volume_plan.blocked_reason:
            conflict = volume_plan.blocked_reason is Reason.NAME_CONFLICT
            status = make_status(
                resource,
                phase=Phase.FAILED if conflict else Phase.READY,
                ready=not conflict,
                reason=volume_plan.blocked_reason,
                message=volume_plan.blocked_message,
                degraded=True,
                observed=VolumeObserved() if conflict else facts,
            )
            warning = EventNote(
                EventType.WARNING, volume_plan.blocked_reason, volume_plan.blocked_message
            )
            return Outcome(status=status, events=(*executed.events, warning))
        status = make_status(
            resource,
            phase=Phase.READY,
            ready=True,
            reason=Reason.CREATED,
            message=f"{volume.driver} volume, reclaimPolicy {spec.reclaim_policy}",
            observed=facts,
        )
        return Outcome(status=status, events=tuple(executed.events))

    def delete(self, resource: Resource) -> DeleteOutcome:
        spec = VolumeSpec.model_validate(resource.spec)
        volume = self._runtime.inspect_volume(resource.engine_name)
        removal = delete_plan(resource.name, spec, volume, resource.namespace)
        if removal.empty:
            if volume is None or not owns(volume, resource.name, resource.namespace):
                return DeleteOutcome(done=True)
            note = EventNote(
                EventType.NORMAL,
                Reason.RETAINED,
                f"volume {volume.name} and its data are kept (reclaimPolicy Retain); "
                "applying the Volume again reuses them",
            )
            return DeleteOutcome(done=True, events=(note,))
        executed = self._executor.execute(removal, resource.key)
        if executed.waiting:
            # The engine refuses while any container (running or not) mounts it.
            return DeleteOutcome(done=False, waiting_for=executed.waiting)
        return DeleteOutcome(done=True, events=tuple(executed.events))

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        """Report, never remove: a volume's data outlives the resource that made it."""
        owned_names = {(resource.namespace, resource.name) for resource in owned}
        return [
            EventNote(
                EventType.WARNING,
                subject=owner[1],
                subject_namespace=owner[0],
                reason=Reason.ORPHANED_VOLUME,
                message=f"volume {volume.name} was made for "
                f"{display(KIND, *owner)}, which no longer exists; it is kept "
                "with its data. Apply the Volume again to "
                f"reuse it, or remove it with docker volume rm {volume.name}",
            )
            for volume in self._runtime.list_volumes({MANAGED_LABEL: "true", KIND_LABEL: KIND})
            if (owner := label_key(volume.labels)) not in owned_names
        ]


REGISTRATION = KindRegistration(
    kind=KIND,
    spec_model=VolumeSpec,
    observed_model=VolumeObserved,
    reconciler=VolumeReconciler,
    event_mappers=(named_objects("volume", KIND, frozenset({"create", "destroy"})),),
)

"""Volume reconciler: named volumes with driver, driverOpts, labels and a reclaim policy.

A volume holds data, so this reconciler is conservative. It creates what is missing and never
recreates a volume whose spec changed (that would lose the data): it reports the difference
(Degraded, reason SpecChanged) and tells the user what to do. `reclaimPolicy: Retain` (the
default) keeps the volume when the resource is deleted; `Delete` removes it once no container
uses it. Garbage collection only reports orphaned volumes; no code path removes a Retain one.
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
from dockform.manifests.models import VolumeSpec
from dockform.runtime.errors import ObjectConflict, RuntimeFailure
from dockform.runtime.types import (
    HASH_LABEL,
    KIND_LABEL,
    MANAGED_LABEL,
    NAME_LABEL,
    VolumeCreate,
    VolumeInfo,
    managed_labels,
    owned_by,
)
from dockform.store.types import Resource

KIND = "Volume"
RECLAIM_LABEL = "io.dockform.reclaim-policy"


@dataclass(frozen=True)
class CreateVolume(Action):
    request: VolumeCreate

    def target(self) -> str:
        return f"volume:{self.request.name}"


def owns(info: VolumeInfo, name: str) -> bool:
    return owned_by(info.labels, KIND, name)


def create_request(name: str, spec: VolumeSpec, spec_hash: str) -> VolumeCreate:
    return VolumeCreate(
        name=name,
        labels={
            **spec.labels,
            **managed_labels(KIND, name, spec_hash),
            RECLAIM_LABEL: spec.reclaim_policy,
        },
        driver=spec.driver,
        driver_opts=dict(spec.driver_opts),
    )


def plan(name: str, spec: VolumeSpec, spec_hash: str, volume: VolumeInfo | None) -> Plan:
    if volume is None:
        request = create_request(name, spec, spec_hash)
        return Plan(actions=(CreateVolume(cause="not found", request=request),))
    if not owns(volume, name):
        return Plan(
            blocked_reason="NameConflict",
            blocked_message=(
                f"the Docker volume {name!r} exists and dockform does not manage it; "
                "rename this Volume, or remove the volume (docker volume rm) if its data "
                "can go"
            ),
        )
    if volume.labels.get(HASH_LABEL) != spec_hash:
        return Plan(
            blocked_reason="SpecChanged",
            blocked_message=(
                "the spec changed, but a volume cannot be changed in place and recreating it "
                "would lose its data; the existing volume stays in use. To apply the new "
                f"spec, stop its users and remove it (docker volume rm {name})"
            ),
        )
    return Plan()


class VolumeReconciler:
    kind = KIND

    def __init__(self, context: ReconcileContext) -> None:
        self._store = context.store
        self._runtime = context.runtime

    def reconcile(self, resource: Resource) -> Outcome:
        spec = VolumeSpec.model_validate(resource.spec)
        volume = self._runtime.inspect_volume(resource.name)
        volume_plan = plan(resource.name, spec, resource.spec_hash, volume)
        events: list[EventNote] = []
        for action in volume_plan.actions:
            assert isinstance(action, CreateVolume)
            try:
                self._runtime.create_volume(action.request)
            except RuntimeFailure as error:
                raise TransientError(f"creating volume {resource.name}: {error}") from error
            events.append(EventNote("Normal", "Created", f"created volume {resource.name}"))
            volume = self._runtime.inspect_volume(resource.name)
        if volume is None:
            raise TransientError(f"volume {resource.name} vanished after {volume_plan}")
        facts = {"volumeName": volume.name, "driver": volume.driver}
        if volume.mountpoint:
            facts["mountpoint"] = volume.mountpoint
        if volume_plan.blocked_reason:
            conflict = volume_plan.blocked_reason == "NameConflict"
            status = make_status(
                resource,
                phase="Failed" if conflict else "Ready",
                ready=not conflict,
                reason=volume_plan.blocked_reason,
                message=volume_plan.blocked_message,
                degraded=True,
                observed={} if conflict else facts,
            )
            warning = EventNote("Warning", volume_plan.blocked_reason, volume_plan.blocked_message)
            return Outcome(status=status, events=(*events, warning))
        status = make_status(
            resource,
            phase="Ready",
            ready=True,
            reason="Created",
            message=f"{volume.driver} volume, reclaimPolicy {spec.reclaim_policy}",
            observed=facts,
        )
        return Outcome(status=status, events=tuple(events))

    def delete(self, resource: Resource) -> DeleteOutcome:
        spec = VolumeSpec.model_validate(resource.spec)
        volume = self._runtime.inspect_volume(resource.name)
        if volume is None or not owns(volume, resource.name):
            return DeleteOutcome(done=True)
        if spec.reclaim_policy == "Retain":
            note = EventNote(
                "Normal",
                "Retained",
                f"volume {volume.name} and its data are kept (reclaimPolicy Retain); "
                "applying the Volume again reuses them",
            )
            return DeleteOutcome(done=True, events=(note,))
        try:
            self._runtime.remove_volume(volume.name)
        except ObjectConflict as error:
            # The engine refuses while any container (running or not) mounts it.
            return DeleteOutcome(
                done=False,
                waiting_for=f"containers still use volume {volume.name}: {error}",
                requeue_after=2.0,
            )
        except RuntimeFailure as error:
            raise TransientError(f"removing volume {volume.name}: {error}") from error
        note = EventNote(
            "Normal", "Removed", f"removed volume {volume.name} (reclaimPolicy Delete)"
        )
        return DeleteOutcome(done=True, events=(note,))

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        """Report, never remove: a volume's data outlives the resource that made it."""
        owned_names = {resource.name for resource in owned}
        return [
            EventNote(
                "Warning",
                subject=volume.name,
                reason="OrphanedVolume",
                message=f"volume {volume.name} was made for "
                f"Volume/{volume.labels.get(NAME_LABEL)}, which no longer exists; it is kept "
                "with its data. Apply the Volume again to "
                f"reuse it, or remove it with docker volume rm {volume.name}",
            )
            for volume in self._runtime.list_volumes({MANAGED_LABEL: "true", KIND_LABEL: KIND})
            if volume.labels.get(NAME_LABEL) not in owned_names
        ]

"""Resources as the dashboard's table rows: pure functions of a resource, its recent events and
the time, so the page and its live updates render one way (and tests need no browser).

A row's phase is the status phase, `Terminating` once deletion was asked, and `Repairing` for a
short while after the controller acted on an object it had already converged (a container
removed by hand is created and started again); the status itself has no such phase, because
the repair happens within one reconcile pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dockform.manifests.kinds import Kind, plural
from dockform.manifests.status import ContainerObserved, Phase, Reason
from dockform.store.types import Event, Resource

REPAIR_WINDOW_S = 2.5
REPAIRING = "Repairing"
TERMINATING = "Terminating"
# The executor's acts that, on a converged object, mean it is being put back.
_REPAIR_ACTS = frozenset(
    {Reason.CREATED, Reason.REPLACED, Reason.STARTED, Reason.RESTARTED, Reason.REMOVED}
)
_FAILING_REASONS = frozenset(
    {
        Reason.UNHEALTHY,
        Reason.CRASH_LOOP_BACK_OFF,
        Reason.NAME_CONFLICT,
        Reason.EXITED,
        Reason.BACK_OFF,
        Reason.ENGINE_ERROR,
    }
)


@dataclass(frozen=True)
class Row:
    namespace: str
    kind: str
    name: str
    phase: str
    ready: str  # yes | no | -
    reason: str
    message: str
    image: str
    ports: str
    age: str
    labels: list[str] = field(default_factory=list)
    failing: bool = False

    @property
    def key(self) -> str:
        return object_key(self.kind, self.namespace, self.name)

    @property
    def url(self) -> str:
        return object_url(self.kind, self.namespace, self.name)


def object_key(kind: str, namespace: str, name: str) -> str:
    return f"{namespace}/{kind}/{name}"


def object_url(kind: str, namespace: str, name: str) -> str:
    return f"/ui/objects/{namespace}/{plural(kind)}/{name}"


def age(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "-"
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = int((now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def ready_mark(resource: Resource) -> str:
    condition = resource.status.condition("Ready")
    if condition is None:
        return "-"
    return "yes" if condition.status == "True" else "no"


def _image_and_ports(resource: Resource) -> tuple[str, str]:
    spec = resource.spec
    if resource.kind in (Kind.CONTAINER, Kind.JOB):
        ports = ContainerObserved.read(resource.status.observed).ports or []
        return str(spec.get("image", "")), ", ".join(ports)
    if resource.kind == Kind.IMAGE:
        return str(spec.get("ref", "")), ""
    return "", ""


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_repairing(resource: Resource, events: Iterable[Event], now: datetime) -> bool:
    """Whether the controller put a converged object back within the last REPAIR_WINDOW_S."""
    created = _utc(resource.created_at)
    for event in events:
        when = _utc(event.last_time)
        if event.reason not in _REPAIR_ACTS or (now - when).total_seconds() > REPAIR_WINDOW_S:
            continue
        # The acts of the object's first convergence are its creation, not a repair.
        if (when - created).total_seconds() > REPAIR_WINDOW_S:
            return True
    return False


def to_row(resource: Resource, events: Iterable[Event], now: datetime) -> Row:
    status = resource.status
    phase = status.phase
    if resource.deletion_requested_at is not None:
        phase = TERMINATING
    elif is_repairing(resource, events, now):
        phase = REPAIRING
    image, ports = _image_and_ports(resource)
    ready = ready_mark(resource)
    return Row(
        namespace=resource.namespace,
        kind=resource.kind,
        name=resource.name,
        phase=phase,
        ready=ready,
        reason=status.reason,
        message=status.message or (status.last_error or ""),
        image=image,
        ports=ports,
        age=age(resource.created_at, now),
        labels=sorted(f"{key}={value}" for key, value in resource.labels.items()),
        failing=phase == Phase.FAILED
        or status.reason in _FAILING_REASONS
        or bool(status.last_error),
    )


def _identity(resource: Resource) -> tuple[str, str, str]:
    return resource.kind, resource.namespace, resource.name


def events_by_object(events: Iterable[Event]) -> dict[str, list[Event]]:
    grouped: dict[str, list[Event]] = {}
    for event in events:
        grouped.setdefault(object_key(event.kind, event.namespace, event.name), []).append(event)
    return grouped


def rows(resources: Iterable[Resource], events: Iterable[Event], now: datetime) -> list[Row]:
    """Rows sorted by namespace, kind and name (deterministic, as the CLI's tables)."""
    grouped = events_by_object(events)
    built = [
        to_row(resource, grouped.get(object_key(*_identity(resource)), []), now)
        for resource in resources
    ]
    return sorted(built, key=lambda row: (row.namespace, row.kind, row.name))

"""Kinds are registrations: all the controller knows of a kind is what it declared here.

In the spirit of controller-runtime's builder, each kind's module under
`controller/reconcilers/` declares one `KindRegistration`: its spec and observed-status
models, how to build its reconciler, which engine events map to which keys, what it requires
(and the names others require it by), and its own workers and reconcile timeout. The manager
loops over the registrations and names no kind; `controller.reconcilers.REGISTRATIONS` is the
one list of them. A new kind is one module and one line there.

Dependencies are references: `requires(resource)` names what a resource needs as
`(kind, reference)` pairs, and `known_as(resource)` the references it answers to (an Image by
its name and by its `ref`). The `DependencyIndex` joins the two to find whom to wake when a
resource's status changes or it goes away, and what a deletion must wait for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel

from dockform.controller.context import ReconcileContext, Reconciler
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, ObjectKey
from dockform.manifests.status import Observed
from dockform.runtime.interface import Runtime
from dockform.runtime.types import RuntimeEvent
from dockform.settings import KindLimits
from dockform.store.types import Resource

Key = ObjectKey
# (kind, namespace, a name or another reference the resource answers to). References that
# hold across namespaces (an Image's ref: tags are global on the engine) use ANY_NAMESPACE.
Ref = ObjectKey
ANY_NAMESPACE = ""


class KeyLookup(Protocol):
    """What an event mapper may ask of desired state (the store)."""

    def get(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> Resource | None: ...

    def list(self, kind: str | None = None) -> list[Resource]: ...


EventMapper = Callable[[RuntimeEvent, KeyLookup], Sequence[Key]]
# The output of a resource's runtime object: (runtime, resource, tail, follow) -> chunks; raises
# controller.facade.NoLogs when the resource has no object that logs.
LogReader = Callable[[Runtime, Resource, int | None, bool], Iterator[bytes]]


def _no_requirements(resource: Resource) -> Iterable[Ref]:
    return ()


def _by_name(resource: Resource) -> Iterable[Ref]:
    return (resource.key,)


@dataclass(frozen=True)
class KindRegistration:
    kind: str
    spec_model: type[BaseModel]
    observed_model: type[Observed]
    reconciler: Callable[[ReconcileContext], Reconciler]
    event_mappers: tuple[EventMapper, ...] = ()
    requires: Callable[[Resource], Iterable[Ref]] = _no_requirements
    known_as: Callable[[Resource], Iterable[Ref]] = _by_name
    limits: KindLimits = field(default_factory=KindLimits)
    # Its passes call the engine: they wait while the engine gate is closed.
    needs_engine: bool = True
    # Kinds whose objects write output (`GET /v1/{kinds}/{name}/logs`).
    logs: LogReader | None = None


class Registry:
    """The registered kinds, by name, in registration order."""

    def __init__(self, registrations: Sequence[KindRegistration]) -> None:
        self._by_kind = {registration.kind: registration for registration in registrations}
        if len(self._by_kind) != len(registrations):
            raise ValueError("a kind is registered twice")

    def __contains__(self, kind: object) -> bool:
        return kind in self._by_kind

    def __iter__(self) -> Iterator[KindRegistration]:
        return iter(self._by_kind.values())

    def get(self, kind: str) -> KindRegistration | None:
        return self._by_kind.get(kind)

    @property
    def kinds(self) -> list[str]:
        return list(self._by_kind)


class DependencyIndex:
    """Who requires whom, over one snapshot of desired state: built once (linear), then each
    lookup is a dict access. Rebuilt by the manager after every desired-state write."""

    def __init__(self, resources: Sequence[Resource], registry: Registry) -> None:
        self._registry = registry
        self._required_by: dict[Ref, set[Key]] = {}
        self._answers: dict[Ref, set[Key]] = {}
        self._deleting: set[Key] = set()
        for resource in resources:
            registration = registry.get(resource.kind)
            if registration is None:
                continue
            if resource.deleting:
                self._deleting.add(resource.key)
            for ref in registration.requires(resource):
                self._required_by.setdefault(ref, set()).add(resource.key)
            for ref in registration.known_as(resource):
                self._answers.setdefault(ref, set()).add(resource.key)

    def _refs(self, target: Resource) -> Iterable[Ref]:
        registration = self._registry.get(target.kind)
        return registration.known_as(target) if registration is not None else _by_name(target)

    def dependents(self, target: Resource) -> list[Key]:
        """Keys to reconcile again when `target`'s status changes or it goes away."""
        found: set[Key] = set()
        for ref in self._refs(target):
            found |= self._required_by.get(ref, set())
        found.discard(target.key)
        return sorted(found)

    def referrers(self, target: Resource) -> list[Key]:
        """Live (not being deleted) resources that still require `target`."""
        return [key for key in self.dependents(target) if key not in self._deleting]

    def requirements(self, resource: Resource) -> list[Key]:
        """The resources `resource` requires that exist in this snapshot."""
        registration = self._registry.get(resource.kind)
        if registration is None:
            return []
        found: set[Key] = set()
        for ref in registration.requires(resource):
            found |= self._answers.get(ref, set())
        found.discard(resource.key)
        return sorted(found)

    def deleting(self, key: Key) -> bool:
        return key in self._deleting

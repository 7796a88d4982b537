"""What every reconciler shares: its result type, its error types, and plan rendering.

A reconciler never writes the store and never retries: it returns an `Outcome` (the status it
observed, the events it wants recorded, and an optional `requeue_after` for polling), or raises
`TransientError` (retry with backoff) / `TerminalError` (record and stop until something
changes). The manager (`controller.manager`) owns that policy, as in controller-runtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from dockform.controller.expectations import Expectations
from dockform.controller.nudges import Nudges
from dockform.runtime.interface import Runtime
from dockform.store.repository import Store
from dockform.store.types import Resource, ResourceStatus

EventType = Literal["Normal", "Warning"]


class TransientError(Exception):
    """Retry later with backoff (engine busy, a dependency in flux)."""

    def __init__(self, message: str, reason: str = "ReconcileError") -> None:
        super().__init__(message)
        self.reason = reason


class TerminalError(Exception):
    """Retrying will not help until the desired state or the host changes."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class EventNote:
    type: EventType
    reason: str
    message: str
    subject: str = ""  # for garbage collection: the name of the object the note is about


@dataclass(frozen=True)
class Outcome:
    status: ResourceStatus
    events: tuple[EventNote, ...] = ()
    requeue_after: float | None = None


@dataclass(frozen=True)
class DeleteOutcome:
    """`done` means the runtime objects are gone and the row may be removed."""

    done: bool
    events: tuple[EventNote, ...] = ()
    waiting_for: str = ""
    requeue_after: float | None = None


@dataclass(frozen=True)
class Action:
    """One runtime call of a plan. Subclasses carry what the call needs; `cause` says why."""

    cause: str

    @property
    def verb(self) -> str:
        return type(self).__name__

    def target(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    # Why nothing is done yet (a dependency not ready, a name conflict): becomes status.
    blocked_reason: str = ""
    blocked_message: str = ""
    notes: tuple[str, ...] = field(default=())

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


class Reconciler(Protocol):
    kind: str

    def reconcile(self, resource: Resource) -> Outcome: ...

    def delete(self, resource: Resource) -> DeleteOutcome: ...

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        """Remove managed runtime objects of this kind that no resource owns."""
        ...


@dataclass
class ReconcileContext:
    store: Store
    runtime: Runtime
    # Engine events the reconcilers caused and observed already; the manager drops them.
    expectations: Expectations = field(default_factory=Expectations)
    # One-shot "act now" requests (`Manager.request_sync`), taken by the reconciler.
    nudges: Nudges = field(default_factory=Nudges)

"""What a reconcile returns: the status it observed, the events to record, when to look again.

The executor returns the events of the acts it carried out (`EventNote`); a reconciler adds
its own and returns an `Outcome` (or a `DeleteOutcome` while tearing down). The manager
writes them: reconcilers never write the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockform.manifests.namespaces import DEFAULT_NAMESPACE
from dockform.manifests.status import EventType, Reason
from dockform.store.types import ResourceStatus


@dataclass(frozen=True)
class EventNote:
    type: EventType
    reason: Reason
    message: str
    subject: str = ""  # for garbage collection: the name of the object the note is about
    subject_namespace: str = DEFAULT_NAMESPACE  # and its namespace


@dataclass(frozen=True)
class Outcome:
    status: ResourceStatus
    events: tuple[EventNote, ...] = ()
    requeue_after: float | None = None
    # A rollout failed with failureAction rollback: the manager applies the previous
    # revision (pinned, as `dockform rollback` does).
    roll_back: bool = False


@dataclass(frozen=True)
class DeleteOutcome:
    """`done` means the runtime objects are gone and the row may be removed. A deletion not
    done is looked at again after `requeue_after`, or the controller's `delete_poll_s`."""

    done: bool
    events: tuple[EventNote, ...] = ()
    waiting_for: str = ""
    requeue_after: float | None = None

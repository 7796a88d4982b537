"""The status vocabulary: phases, condition types, reasons, and each kind's observed facts.

A resource's status has a shape every kind shares (phase, reason, message, the Ready /
Progressing / Degraded conditions; see `store.types.ResourceStatus`) plus `observed`: what the
controller last saw of the kind's runtime object. Each kind's `observed` is a model here
(`ContainerObserved`, `ImageObserved`, ...), so the controller writes and reads it typed and
no code reads another kind's facts through string keys. The JSON keys are camelCase, as the
API shows them; fields left unset are not written.

Reasons are a closed set (`Reason`): the same act has the same reason on every kind, and the
README lists them all. They live in this bottom layer because the controller, the sources
and the store all speak them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Phase(StrEnum):
    PENDING = "Pending"
    READY = "Ready"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    TERMINATING = "Terminating"
    SUSPENDED = "Suspended"


class ConditionType(StrEnum):
    READY = "Ready"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"


class EventType(StrEnum):
    NORMAL = "Normal"
    WARNING = "Warning"


class Reason(StrEnum):
    """Why: the CamelCase word of a status or an event. One act, one reason, on every kind."""

    # Acts of the executor, one per kind of engine call (events).
    CREATED = "Created"  # a container, network or volume was created
    REPLACED = "Replaced"  # created again after its old copy was removed (spec changed)
    STARTED = "Started"
    STOPPED = "Stopped"
    RESTARTED = "Restarted"
    REMOVED = "Removed"  # an engine object was removed
    RENAMED = "Renamed"  # a replica moved aside for its successor (start-first rollout)
    UPDATED = "Updated"  # a service changed in place (Swarm rolls it out)
    SCALED = "Scaled"  # a service's replicas changed
    CONNECTED = "Connected"
    DISCONNECTED = "Disconnected"
    BUILT = "Built"
    PULLED = "Pulled"
    LOADED = "Loaded"
    SYNCED = "Synced"  # a GitSource applied a new commit
    FILES_WRITTEN = "FilesWritten"  # the Secret/Config files a container mounts
    PRUNED = "Pruned"  # a source's objects were deleted with it
    # Life cycle of the resource itself.
    APPLIED = "Applied"  # a watched file was applied
    DELETED = "Deleted"  # the resource is gone (its objects torn down)
    RETAINED = "Retained"  # a Volume's data kept on deletion (reclaimPolicy Retain)
    GARBAGE_COLLECTED = "GarbageCollected"
    ORPHANED_VOLUME = "OrphanedVolume"
    STILL_REFERENCED = "StillReferenced"
    SHADOWED = "Shadowed"
    FIELDS_DROPPED = "FieldsDropped"  # a compose source's fields dockform cannot express
    # Steady states.
    PRESENT = "Present"
    RUNNING = "Running"
    HEALTHY = "Healthy"
    HEALTH_STARTING = "HealthStarting"
    COMPLETED = "Completed"
    SUSPENDED = "Suspended"
    # Waiting and degraded states.
    NOT_OBSERVED = "NotObserved"
    WAITING = "Waiting"
    TERMINATING = "Terminating"
    RESTARTING = "Restarting"
    PAUSED = "Paused"
    REMOVING = "Removing"
    EXITED = "Exited"
    UNHEALTHY = "Unhealthy"
    CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
    BACK_OFF = "BackOff"  # a Job's attempt failed; the next one waits out a backoff
    SPEC_CHANGED = "SpecChanged"
    # Replicas: a new spec rolling out batch by batch, stopped at a failing batch, undone.
    ROLLING_OUT = "RollingOut"
    ROLLOUT_PAUSED = "RolloutPaused"
    ROLLED_BACK = "RolledBack"
    IN_USE_BY_UNMANAGED = "InUseByUnmanaged"
    NAME_CONFLICT = "NameConflict"
    # Failures.
    FAILED = "Failed"  # a reconcile failed with no more specific reason
    ENGINE_ERROR = "EngineError"  # the engine failed or refused a call (retried with backoff)
    RECONCILE_TIMEOUT = "ReconcileTimeout"
    BUILD_FAILED = "BuildFailed"
    PULL_FAILED = "PullFailed"
    BACKOFF_LIMIT_EXCEEDED = "BackoffLimitExceeded"  # a Job failed its last attempt
    # A host path or host power refused by the daemon's policy (manifests.policy), found by
    # the re-check just before the engine would use it.
    HOST_ACCESS_DENIED = "HostAccessDenied"
    LOAD_FAILED = "LoadFailed"
    SOURCE_MISSING = "SourceMissing"
    INVALID_SPEC = "InvalidSpec"
    PRUNE_FAILED = "PruneFailed"
    FETCH_FAILED = "FetchFailed"
    INVALID_SOURCE = "InvalidSource"
    INVALID_MANIFEST = "InvalidManifest"
    APPLY_FAILED = "ApplyFailed"
    STORE_ERROR = "StoreError"
    SYNC_FAILED = "SyncFailed"
    SECRET_UNAVAILABLE = "SecretUnavailable"  # a Secret cannot be opened or put on a tmpfs
    WEBHOOK_REFUSED = "WebhookRefused"  # a webhook call unsigned or signed with another secret


class Observed(BaseModel):
    """Base of each kind's observed facts. camelCase on the wire; unknown keys are ignored,
    so a status written by an older release still reads."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    @classmethod
    def read(cls, observed: dict[str, Any]) -> Self:
        return cls.model_validate(observed)

    def dump(self) -> dict[str, Any]:
        """The JSON the store keeps: camelCase, unset and empty facts left out."""
        dumped = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return {key: value for key, value in dumped.items() if value != {}}


class ImageObserved(Observed):
    image_id: str | None = None
    ref: str | None = None
    # Controller bookkeeping, shown as it is: the digest of the build context (with the
    # Dockerfile and args) the image was built from, the generation a pull policy Always last
    # pulled for, and the fingerprint of the tarball last loaded.
    context_digest: str | None = None
    pulled_generation: int | None = None
    loaded_fingerprint: str | None = None
    # A sha256 over the build secrets' ids and content digests of the last build (never the
    # content): a build whose secrets changed since builds without the engine's cache.
    secrets_digest: str | None = None


class NetworkObserved(Observed):
    network_id: str | None = None
    driver: str | None = None
    internal: bool | None = None
    subnet: str | None = None
    gateway: str | None = None


class VolumeObserved(Observed):
    volume_name: str | None = None
    driver: str | None = None
    mountpoint: str | None = None


class ContentObserved(Observed):
    """A Secret's or Config's content as applied: its digest and size, never the content."""

    sha256: str | None = None
    size: int | None = None


class ContainerObserved(Observed):
    container_id: str | None = None
    state: str | None = None  # Docker's: created | running | restarting | exited | dead ...
    health: str | None = None  # starting | healthy | unhealthy; unset without a healthcheck
    restart_count: int | None = None
    exit_code: int | None = None
    image_id: str | None = None
    addresses: dict[str, str] = Field(default_factory=dict)  # network -> IP address
    ports: list[str] | None = None  # hostIP:hostPort->containerPort/protocol
    # Restarts dockform made because the healthcheck said unhealthy (Docker's restart policy
    # does not act on health), and when the last one was: the next waits out a backoff.
    unhealthy_restarts: int | None = None
    last_unhealthy_restart: str | None = None
    # What the running container was made from and why it was made (its own labels, see
    # controller.reconcilers.provenance): `dockform explain` reads them.
    made_for: dict[str, Any] | None = None
    made_because: dict[str, Any] | None = None
    # A replicated Container (`replicas` set): every replica, how many are ready, and the
    # rollout of its current spec. `state` and `health` then sum them up: running when one
    # runs, healthy when every replica is.
    replicas: int | None = None
    ready_replicas: int | None = None
    replica_statuses: list[ReplicaObserved] | None = None
    rollout: RolloutObserved | None = None
    # On Swarm (--engine swarm): the service's newest tasks, where each runs and why it failed.
    tasks: list[TaskObserved] | None = None


class TaskObserved(Observed):
    """One Swarm task of a Container's service: its node, its state and the one Swarm wants,
    the error that ended it, its container and exit code."""

    node: str
    state: str
    desired_state: str
    error: str | None = None
    container_id: str | None = None
    exit_code: int | None = None
    generation: int | None = None  # of the spec the task was made for (its made-for label)
    up_to_date: bool = False  # made for the service's current spec


class ReplicaObserved(Observed):
    """One replica of a replicated Container: its container, and the spec generation it runs."""

    name: str
    container_id: str | None = None
    state: str | None = None
    health: str | None = None
    restart_count: int | None = None
    exit_code: int | None = None
    generation: int | None = None  # of the spec it was made for (its made-for label)
    up_to_date: bool = False  # made for the current spec (and image, contents)


class RolloutObserved(Observed):
    """A replicated Container's rollout of its current spec: `state` is RollingOut,
    RolloutPaused, RolledBack or Complete; `updated` of `replicas` run it."""

    state: str
    generation: int
    updated: int
    replicas: int
    message: str = ""
    spec_hash: str | None = None  # the container hash rolled out (a pause holds for it)


class GitSourceObserved(Observed):
    url: str | None = None
    branch: str | None = None
    path: str | None = None
    commit: str | None = None  # the commit applied
    commit_time: str | None = None
    objects: list[str] | None = None  # Kind/name of the applied commit's objects
    applied_generation: int | None = None  # the GitSource generation that commit was for
    fetched_at: str | None = None
    failed_commit: str | None = None  # the branch tip, while it cannot be applied


class JobObserved(Observed):
    """A Job's run: its container while it exists, and the record of what it ran, which
    outlives the container (`ttlAfterFinished`) and decides whether it runs again."""

    container_id: str | None = None
    state: str | None = None  # Docker's state of the container; unset once it is removed
    exit_code: int | None = None
    image_id: str | None = None
    attempts: int | None = None  # attempts made for runHash (the first is 1)
    started_at: str | None = None  # when the last attempt started
    finished_at: str | None = None  # when the last attempt finished
    output_tail: list[str] | None = None  # the last lines of the last attempt's output
    # The record: the hash of what runs (spec without dependsOn, backoffLimit and
    # ttlAfterFinished, plus the image id) of the last run, and its result once it finished
    # (Succeeded | Failed), with the generation and image id it finished for. A run whose hash
    # is recorded with a result never runs again: not after a daemon restart, a resync or
    # its container's removal.
    run_hash: str | None = None
    run_spec_hash: str | None = None  # the spec hash part of runHash (known while waiting)
    result: str | None = None
    completed_generation: int | None = None
    completed_image_id: str | None = None
    container_removed: bool | None = None  # ttlAfterFinished removed the finished container

"""Every tunable of the daemon, in one object validated at start (before migrations run).

The groups follow the parts that use them: `controller` (work queues, per-kind workers and
reconcile timeouts, resync, backoff of retries, of unhealthy restarts and of the engine's
events stream), `engine` (timeouts of Docker Engine calls), `sources` (watched directories,
git) and `host_access` (what manifests may reach on the host: `manifests.policy`). `Backoff`
is the one exponential
backoff of the project: every retry delay anywhere is `Backoff.delay(failures)`.

This module sits at the root of the package and imports nothing of the project, so every
layer may read its group; only the composition root (`cli/daemon.py`) builds a `Settings`.
Defaults are the values the README documents; `Settings.model_validate` refuses a bad value
with the field's path, so a daemon never starts half-configured.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Backoff(_Group):
    """Exponential backoff: `base_s * 2**failures`, at most `cap_s`."""

    base_s: float = Field(gt=0)
    cap_s: float = Field(gt=0)

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> Backoff:
        if self.cap_s < self.base_s:
            raise ValueError(f"cap_s ({self.cap_s}) is below base_s ({self.base_s})")
        return self

    def delay(self, failures: int) -> float:
        """The wait before retry number `failures + 1` (0 failures: `base_s`)."""
        return float(min(self.base_s * 2 ** min(max(failures, 0), 32), self.cap_s))


class KindLimits(_Group):
    """How one kind's reconciles run: its own workers, and how long one pass may take."""

    workers: int = Field(default=2, ge=1, le=64)
    timeout_s: float = Field(default=120.0, gt=0)


class ControllerSettings(_Group):
    # A key whose reconcile failed is retried after this backoff (per key, reset on success).
    retry: Backoff = Backoff(base_s=0.2, cap_s=60.0)
    # Restarts of a container whose healthcheck says unhealthy (a crash loop backs off).
    unhealthy_restart: Backoff = Backoff(base_s=1.0, cap_s=300.0)
    # Between the attempts of a Job whose container exited non-zero (as Kubernetes: 10 s,
    # 20 s, 40 s ... at most 6 minutes).
    job_retry: Backoff = Backoff(base_s=10.0, cap_s=360.0)
    # Reconnecting to the engine's events stream after it broke.
    engine_reconnect: Backoff = Backoff(base_s=0.5, cap_s=10.0)
    # Per kind, over the limits the kind registered (controller/reconcilers/*: Container 8
    # workers, Image 2 with 30 minutes for a build, the others 2).
    kinds: dict[str, KindLimits] = Field(default_factory=dict)
    # Every resource is queued again this often (a safety net behind the events).
    resync_s: float = Field(default=60.0, ge=1.0)
    # Resync keys wait behind event-driven ones and take at most this many workers per kind.
    resync_workers: int = Field(default=1, ge=1)
    # An exited container whose restart policy is Always is left to Docker's own policy this
    # long before dockform starts it (a container stopped by hand, or by a dockerd going down).
    restart_grace_s: float = Field(default=2.0, ge=0)
    # Engine events the controller caused itself are ignored once within this window.
    expectations_ttl_s: float = Field(default=30.0, gt=0)
    # A deletion waiting for others (dependents first, objects in use) looks again this often
    # at the latest; the removals it waits for wake it sooner.
    delete_poll_s: float = Field(default=2.0, gt=0)
    # While the engine is down, it is pinged this often until it answers.
    engine_probe_s: float = Field(default=0.5, gt=0)

    def limits(self, kind: str, registered: KindLimits) -> KindLimits:
        return self.kinds.get(kind, registered)


class EngineSettings(_Group):
    """Calls to the Docker Engine: each is bounded; builds and pulls stream for longer."""

    call_timeout_s: int = Field(default=60, ge=1)
    build_timeout_s: int = Field(default=900, ge=1)
    pull_timeout_s: int = Field(default=300, ge=1)


class SourceSettings(_Group):
    # A changed watched file is read once no event touched it for this long.
    debounce_s: float = Field(default=0.1, gt=0, le=10.0)
    # Watched directories are scanned in full this often (catches lost events).
    rescan_s: float = Field(default=30.0, ge=1.0)
    # A file whose writer never closed it is read anyway after this long.
    write_grace_s: float = Field(default=30.0, gt=0)
    # An apply of a watched file that would remove objects waits until the file has read the
    # same for this long (a file closed half-written and finished later never prunes).
    settle_s: float = Field(default=1.0, ge=0)
    # A file that could not be read or applied is looked at again after this backoff
    # (capped at rescan_s when the watcher uses it).
    file_retry: Backoff = Backoff(base_s=0.5, cap_s=30.0)
    # A git fetch of a GitSource is stopped (and retried with backoff) after this long.
    git_fetch_timeout_s: float = Field(default=120.0, gt=0)


class HostAccessSettings(_Group):
    # --allow-host-access: manifests may ask for any host path, privileged mode and the host's
    # namespaces; nothing is checked.
    allow_host_access: bool = False
    # --host-path-root DIR (repeatable): host directories every manifest may name, on top of
    # the directory of its own source.
    roots: list[str] = Field(default_factory=list)
    # The directories the daemon's sources read from (watched directories, the git cache):
    # where a path that became a symlink after apply may still lead (the controller's
    # re-check, `manifests.host_paths.recheck_refusal`).
    source_roots: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _absolute_roots(self) -> HostAccessSettings:
        for root in [*self.roots, *self.source_roots]:
            if not root.startswith("/"):
                raise ValueError(f"host path root {root!r} must be an absolute path")
        return self


class Settings(_Group):
    controller: ControllerSettings = ControllerSettings()
    engine: EngineSettings = EngineSettings()
    sources: SourceSettings = SourceSettings()
    host_access: HostAccessSettings = HostAccessSettings()

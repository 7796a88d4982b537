"""The executor: carries out any kind's plan, one call per action, and decides nothing.

Every plan of every kind runs through `Executor.execute`: one `match` over the closed set of
actions (`controller.actions`), one event reason per act (`REASONS`: `Created`, `Replaced`,
`Removed`, ...), and one rule for failures, by error class:

    ObjectNotFound on a stop, remove or disconnect   already gone: done
    ObjectNotFound on a build, pull or load          TerminalError (no such repository or
                                                     tarball: BuildFailed, PullFailed, ...)
    ObjectNotFound on any other act                  TransientError (what a create or start
                                                     needs may appear)
    ObjectConflict on a remove (network, volume,     still in use: the plan stops here and
        image)                                       `Executed.waiting` says why (a deletion
                                                     waits, garbage collection skips it)
    ImageBuildFailed, InvalidRequest, or any         TerminalError: Failed until the resource
        failure the runtime marks not transient      changes (BuildFailed, PullFailed, ...)
    any other RuntimeFailure                         TransientError: retried with backoff
    the reconcile's deadline passed                  TransientError(ReconcileTimeout)
    the engine gate is closed, or a new connection   TransientError(EngineError), and no call
        is refused right before a start              (controller.engine_gate); an unreachable
                                                     engine closes the gate

The create and start events of containers it made are noted in `Expectations`, so they do not
wake a second pass (the reconcile inspects the result itself).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dockform.controller.actions import (
    Action,
    BuildImage,
    ConnectNetwork,
    CreateContainer,
    CreateNetwork,
    CreateVolume,
    DisconnectNetwork,
    ForgetGitSource,
    LoadImage,
    Plan,
    PullImage,
    RemoveContainer,
    RemoveContainerFiles,
    RemoveImage,
    RemoveNetwork,
    RemoveVolume,
    RenameContainer,
    RestartContainer,
    ScaleContainer,
    SecretEnv,
    StartContainer,
    StopContainer,
    SyncGitSource,
    UpdateContainer,
    WriteContainerFiles,
)
from dockform.controller.container_files import ContainerFiles, FilesUnavailable
from dockform.controller.engine_gate import EngineGate
from dockform.controller.errors import TerminalError, TransientError
from dockform.controller.expectations import Expectations
from dockform.controller.git import GitSyncer, GitSyncResult
from dockform.controller.outcomes import EventNote
from dockform.controller.reconcile_id import deadline
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, ObjectKey, qualified_name
from dockform.manifests.source_names import git_source
from dockform.manifests.status import EventType, Reason
from dockform.runtime.errors import (
    ImageBuildFailed,
    ObjectConflict,
    ObjectNotFound,
    RuntimeFailure,
    RuntimeUnavailable,
)
from dockform.runtime.interface import Runtime
from dockform.runtime.types import BuildResult, ContainerCreate

# The event reason of each act, the same on every kind.
REASONS: dict[type[Action], Reason] = {
    CreateContainer: Reason.CREATED,
    StartContainer: Reason.STARTED,
    StopContainer: Reason.STOPPED,
    RestartContainer: Reason.RESTARTED,
    RemoveContainer: Reason.REMOVED,
    RenameContainer: Reason.RENAMED,
    UpdateContainer: Reason.UPDATED,
    ScaleContainer: Reason.SCALED,
    ConnectNetwork: Reason.CONNECTED,
    DisconnectNetwork: Reason.DISCONNECTED,
    CreateNetwork: Reason.CREATED,
    RemoveNetwork: Reason.REMOVED,
    CreateVolume: Reason.CREATED,
    RemoveVolume: Reason.REMOVED,
    BuildImage: Reason.BUILT,
    PullImage: Reason.PULLED,
    LoadImage: Reason.LOADED,
    RemoveImage: Reason.REMOVED,
    SyncGitSource: Reason.SYNCED,
    ForgetGitSource: Reason.PRUNED,
    WriteContainerFiles: Reason.FILES_WRITTEN,
    RemoveContainerFiles: Reason.REMOVED,
}
# A failure no retry can mend, by act (anything else terminal is an EngineError).
_TERMINAL_REASONS: dict[type[Action], Reason] = {
    BuildImage: Reason.BUILD_FAILED,
    PullImage: Reason.PULL_FAILED,
    LoadImage: Reason.LOAD_FAILED,
}
_GONE_IS_DONE = (
    StopContainer,
    RemoveContainer,
    DisconnectNetwork,
    RemoveNetwork,
    RemoveVolume,
    RemoveImage,
)
_IN_USE_WAITS = (RemoveNetwork, RemoveVolume, RemoveImage)
# Starts race an engine that is shutting down: they ask for a new connection first.
_STARTS = (StartContainer, RestartContainer)
# Acts that make no engine call: they never wait for the engine gate.
_NOT_ENGINE = (SyncGitSource, ForgetGitSource, WriteContainerFiles, RemoveContainerFiles)
# Engine events a finished act causes, expected so they do not trigger a pass of their own.
_EXPECTED_EVENT: dict[type[Action], str] = {CreateContainer: "create", StartContainer: "start"}


@dataclass
class Executed:
    """What a plan did: its events, the actions carried out (in order) with their outputs,
    and, when it stopped at an object still in use, why (`waiting`)."""

    events: list[EventNote] = field(default_factory=list)
    done: list[tuple[Action, Any]] = field(default_factory=list)
    waiting: str = ""

    def output_of(self, action_type: type[Action]) -> Any:
        """The output of the first action of `action_type` carried out, or None."""
        return next((out for action, out in self.done if isinstance(action, action_type)), None)

    def did(self, action_type: type[Action]) -> bool:
        return any(isinstance(action, action_type) for action, _ in self.done)


class Executor:
    def __init__(
        self,
        runtime: Runtime,
        expectations: Expectations,
        git: GitSyncer | None = None,
        clock: Callable[[], float] = time.monotonic,
        gate: EngineGate | None = None,
        leading: Callable[[], bool] | None = None,
        files: ContainerFiles | None = None,
    ) -> None:
        self._runtime = runtime
        self._files = files
        # Daemons sharing a store: whether this one still leads (controller.leadership).
        self._leading = leading
        self._expectations = expectations
        self._git = git
        self._clock = clock
        self._gate = gate

    def execute(self, plan: Plan, key: ObjectKey) -> Executed:
        """Carry out `plan` for the resource `key`; raises TransientError or
        TerminalError (see the module docstring). Stops at the pass's deadline."""
        executed = Executed()
        until = deadline()
        for action in plan.actions:
            if until is not None and self._clock() > until:
                raise TransientError(
                    f"{key}: the reconcile ran out of time before {action.verb} "
                    f"{action.target()} ({len(executed.done)} of {len(plan.actions)} done)",
                    reason=Reason.RECONCILE_TIMEOUT,
                )
            self._check_lead(action)
            self._check_engine(action)
            try:
                output = self._call(action)
            except RuntimeUnavailable as error:
                if self._gate is not None:
                    self._gate.trip(str(error))
                raise _classified(action, error) from error
            except ObjectNotFound as error:
                if type(action) in _TERMINAL_REASONS:
                    # No such repository or tarball: a retry finds none either.
                    raise _classified(action, error) from error
                if not isinstance(action, _GONE_IS_DONE):
                    raise TransientError(f"{action.verb} {action.target()}: not found") from None
                output = None
            except ObjectConflict as error:
                if not isinstance(action, _IN_USE_WAITS):
                    raise _classified(action, error) from error
                executed.waiting = f"{action.target()} is still in use: {error}"
                return executed
            except RuntimeFailure as error:
                raise _classified(action, error) from error
            except FilesUnavailable as error:
                raise TerminalError(
                    f"{action.verb} {action.target()}: {error}", Reason.SECRET_UNAVAILABLE
                ) from error
            except OSError as error:
                # The host's filesystem (the daemon's own directories): full, or a race.
                raise TransientError(f"{action.verb} {action.target()} failed: {error}") from error
            expected = _EXPECTED_EVENT.get(type(action))
            if expected is not None:
                self._expectations.expect(key, expected)
            executed.done.append((action, output))
            note = _event(action, output)
            if note is not None:
                executed.events.append(note)
        return executed

    def collect_garbage(self, plan: Plan, kind: str) -> list[EventNote]:
        """Carry out a garbage collection plan one removal at a time: an object still in use
        is kept (the next resync tries again) and stops no other. Each removal is an act on
        the resource it names (`subject`)."""
        events: list[EventNote] = []
        for action in plan.actions:
            subject = str(getattr(action, "subject", ""))
            namespace = str(getattr(action, "subject_namespace", DEFAULT_NAMESPACE))
            events += self.execute(
                Plan(actions=(action,)), ObjectKey(kind, namespace, subject)
            ).events
        return events

    def _check_lead(self, action: Action) -> None:
        if self._leading is not None and not self._leading():
            raise TransientError(
                f"{action.verb} {action.target()} not made: this daemon no longer leads"
            )

    def _check_engine(self, action: Action) -> None:
        if self._gate is None or isinstance(action, _NOT_ENGINE):
            return
        open_now = self._gate.accepting() if isinstance(action, _STARTS) else self._gate.is_open()
        if not open_now:
            raise TransientError(
                f"{action.verb} {action.target()} not made: the engine is down or going down"
            )

    def _with_secret_env(
        self, request: ContainerCreate, secret_env: tuple[SecretEnv, ...]
    ) -> ContainerCreate:
        """`request` with its env from Secrets, opened here, in the call's own copy: no plan
        or log holds the value."""
        if not secret_env:
            return request
        env = {**request.env, **self._files_or_fail().open_env(secret_env)}
        return dataclasses.replace(request, env=env)

    def _call(self, action: Action) -> Any:
        runtime = self._runtime
        match action:
            case CreateContainer(request=request, secret_env=secret_env):
                return runtime.create_container(self._with_secret_env(request, secret_env))
            case WriteContainerFiles(container=container, files=files, namespace=namespace):
                return self._files_or_fail().write(namespace, container, files)
            case RemoveContainerFiles(container=container, namespace=namespace):
                return self._files_or_fail().remove(namespace, container)
            case StartContainer(container=container):
                return runtime.start_container(container)
            case StopContainer(container=container, timeout_s=timeout_s):
                return runtime.stop_container(container, timeout_s)
            case RestartContainer(container=container, timeout_s=timeout_s):
                return runtime.restart_container(container, timeout_s)
            case RemoveContainer(container=container):
                return runtime.remove_container(container)
            case RenameContainer(container=container, new_name=new_name):
                return runtime.rename_container(container, new_name)
            case UpdateContainer(container=container, request=request, secret_env=secret_env):
                return runtime.update_container(
                    container, self._with_secret_env(request, secret_env)
                )
            case ScaleContainer(container=container, replicas=replicas):
                return runtime.scale_container(container, replicas)
            case ConnectNetwork(network=network, container=container, aliases=aliases):
                return runtime.connect_network(
                    network,
                    container,
                    aliases,
                    ipv4_address=action.ipv4_address,
                    ipv6_address=action.ipv6_address,
                )
            case DisconnectNetwork(network=network, container=container):
                return runtime.disconnect_network(network, container)
            case CreateNetwork(request=request):
                return runtime.create_network(request)
            case RemoveNetwork(network=network):
                return runtime.remove_network(network)
            case CreateVolume(request=request):
                return runtime.create_volume(request)
            case RemoveVolume(volume=volume):
                return runtime.remove_volume(volume)
            case BuildImage(request=request, secrets=secrets) if secrets:
                # Opened into files for this build alone, removed when it ends.
                with self._files_or_fail().build_secrets(secrets) as mounted:
                    return runtime.build_image(dataclasses.replace(request, secrets=mounted))
            case BuildImage(request=request):
                return runtime.build_image(request)
            case PullImage(ref=ref):
                return runtime.pull_image(ref)
            case LoadImage(ref=ref, path=path):
                return runtime.load_image(path, ref)
            case RemoveImage(ref=ref):
                return runtime.remove_image(ref)
            case SyncGitSource(name=name, spec=spec, applied_commit=applied_commit):
                return self._syncer().sync(name, spec, applied_commit)
            case ForgetGitSource(name=name, prune=prune):
                return self._forget(name, prune)
        raise TypeError(f"the executor has no case for {action!r}")

    def _files_or_fail(self) -> ContainerFiles:
        if self._files is None:
            raise FilesUnavailable("this daemon keeps no secret or config files")
        return self._files

    def _syncer(self) -> GitSyncer:
        if self._git is None:
            raise TerminalError(
                "this daemon has no git support configured", reason=Reason.INVALID_SOURCE
            )
        return self._git

    def _forget(self, name: str, prune: bool) -> list[str]:
        try:
            return list(self._syncer().forget(name, prune))
        except Exception as error:  # the store refusing or busy: try the deletion again
            raise TransientError(
                f"deleting the objects of GitSource/{name}: {error}", reason=Reason.PRUNE_FAILED
            ) from error


def _classified(action: Action, error: RuntimeFailure) -> TransientError | TerminalError:
    message = f"{action.verb} {action.target()} failed: {error}"
    if isinstance(error, ImageBuildFailed) or not error.transient:
        return TerminalError(message, _TERMINAL_REASONS.get(type(action), Reason.ENGINE_ERROR))
    return TransientError(message, Reason.ENGINE_ERROR)


def _event(action: Action, output: Any) -> EventNote | None:
    """The event of an act carried out; a sync that applied nothing new records none."""
    reason = REASONS[type(action)]
    kind = EventType.NORMAL
    subject = ""
    subject_namespace = DEFAULT_NAMESPACE
    match action:
        case CreateContainer(replacing=True) | CreateNetwork(replacing=True):
            reason = Reason.REPLACED
        case (
            RemoveContainer(garbage=True, subject=subject, subject_namespace=subject_namespace)
            | RemoveNetwork(garbage=True, subject=subject, subject_namespace=subject_namespace)
            | RemoveImage(garbage=True, subject=subject, subject_namespace=subject_namespace)
        ):
            reason = Reason.GARBAGE_COLLECTED
        case SyncGitSource():
            return _sync_event(output)
        case ForgetGitSource(name=name, prune=prune):
            return EventNote(kind, reason, _forget_message(name, prune, output))
        case WriteContainerFiles(container=container, namespace=namespace):
            shown = qualified_name(namespace, container)
            message = f"wrote {output} secret/config file(s) for {shown}: {action.cause}"
            return EventNote(kind, reason, message)
        case RemoveContainerFiles(container=container, namespace=namespace):
            shown = qualified_name(namespace, container)
            return EventNote(kind, reason, f"removed the secret/config files of {shown}")
        case BuildImage() if isinstance(output, BuildResult):
            # Which builder made it, and why not BuildKit when it did not.
            message = f"built {action.target()} {output.describe()}: {action.cause}"
            return EventNote(kind, reason, message)
    verb = "removed" if reason is Reason.GARBAGE_COLLECTED else reason.lower()
    message = f"{verb} {action.target()}: {action.cause}"
    return EventNote(kind, reason, message, subject=subject, subject_namespace=subject_namespace)


def _sync_event(result: GitSyncResult) -> EventNote | None:
    if not result.applied or result.error:
        return None
    changes = ", ".join(result.changes) or "no changes"
    commit = str(result.commit)[:12]
    message = f"applied commit {commit} ({result.commit_time}): {changes}"
    return EventNote(EventType.NORMAL, Reason.SYNCED, message)


def _forget_message(name: str, prune: bool, deleted: list[str]) -> str:
    if not prune:
        return f"its objects are kept (prune: false), still owned by {git_source(name)}"
    if deleted:
        return f"deleting its objects: {', '.join(deleted)}"
    return "it had no objects"

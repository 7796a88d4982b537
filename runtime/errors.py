"""Runtime errors: the one error tree every Docker failure is translated into.

    RuntimeFailure                  any failure talking to the engine
    ├── RuntimeUnavailable          the engine does not answer (socket missing, timeout), or
    │                               it closed the event stream (dockerd shutting down)
    ├── ObjectNotFound              the container / image / network / volume does not exist
    ├── ObjectConflict              a name is taken, or the object is in use
    │   └── RemovalInProgress       someone else is already removing the container
    ├── NotConnected                disconnect: the container is not on that network
    ├── ContainerStartBroken        start/restart: the container's old task is half-dead in the
    │                               engine; only removing and recreating the container helps
    ├── ImageBuildFailed            a build step failed (message has the build output tail)
    └── InvalidRequest              the engine refused the request as malformed (4xx)

`transient` says whether retrying the same call may help: True for RuntimeFailure itself,
RuntimeUnavailable and ObjectConflict, False for the rest.

Only `runtime._docker_errors` sees docker-py exceptions and reads their messages; the driver
and everything above it match on these types.
"""

from __future__ import annotations


class RuntimeFailure(Exception):
    """Any failure of a runtime call. `transient` says whether a retry may help."""

    transient: bool = True


class RuntimeUnavailable(RuntimeFailure):
    pass


class ObjectNotFound(RuntimeFailure):
    transient = False


class ObjectConflict(RuntimeFailure):
    pass


class RemovalInProgress(ObjectConflict):
    """The engine is already removing the container (another caller asked first)."""


class NotConnected(RuntimeFailure):
    """The container is not connected to the network it was to be disconnected from."""

    transient = False


class ContainerStartBroken(RuntimeFailure):
    """Starting failed because the engine still holds a half-dead task of the container
    ("task ...: already exists", "id already in use", "is marked for removal", "cannot start a
    stopped process"): retrying the start does not help; removing and recreating it does."""

    transient = False


class ImageBuildFailed(RuntimeFailure):
    transient = False


class InvalidRequest(RuntimeFailure):
    transient = False

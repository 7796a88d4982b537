"""Runtime errors: the one error tree every Docker failure is translated into.

    RuntimeFailure                  any failure talking to the engine
    ├── RuntimeUnavailable          the engine does not answer (socket missing, timeout)
    ├── ObjectNotFound              the container / image / network / volume does not exist
    ├── ObjectConflict              a name is taken, or the object is in use
    ├── ImageBuildFailed            a build step failed (message has the build output tail)
    └── InvalidRequest              the engine refused the request as malformed (4xx)

Only `runtime.docker_driver` sees docker-py exceptions; it maps them here at its boundary.
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


class ImageBuildFailed(RuntimeFailure):
    transient = False


class InvalidRequest(RuntimeFailure):
    transient = False

"""The one place where docker-py and requests exceptions become `runtime.errors`.

`runtime.docker_driver` wraps every Engine call in `translate_errors()`; nothing above
`runtime/` ever sees a docker-py exception. Mapping follows the Engine's status codes:
404 -> ObjectNotFound, 409 -> ObjectConflict, other 4xx -> InvalidRequest, 5xx -> RuntimeFailure,
no answer -> RuntimeUnavailable. Where the status code alone says too little, the Engine's
message picks a more specific class (RemovalInProgress, NotConnected, ContainerStartBroken);
this is the only module that reads error messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import docker.errors
import requests.exceptions
import urllib3.exceptions

from dockform.runtime.errors import (
    ContainerStartBroken,
    InvalidRequest,
    NotConnected,
    ObjectConflict,
    ObjectNotFound,
    RemovalInProgress,
    RuntimeFailure,
    RuntimeUnavailable,
)

# docker-py refuses these before sending anything: the request itself is wrong.
_CLIENT_SIDE_REFUSALS = (
    docker.errors.InvalidArgument,
    docker.errors.InvalidVersion,
    docker.errors.InvalidRepository,
    docker.errors.NullResource,
)

_LOCAL_FILE_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)

# The Engine answers 403 Forbidden for "network has active endpoints" and "endpoint already
# exists in network": objects in use or taken, unlike other 403s such as removing a predefined
# network, which no retry will fix.
_CONFLICT_FRAGMENTS = ("active endpoints", "in use", "is being used", "already exists")

# 409 "removal of container web is already in progress".
_REMOVAL_IN_PROGRESS = "already in progress"

# "container 3f2a is not connected to network back": a 500 from the Engines seen, so only the
# message tells it from other failures.
_NOT_CONNECTED = "is not connected"

# What starting a container answers when the Engine (containerd, runc) still holds a half-dead
# task of it, typically after dockerd or containerd restarted under it. Status codes vary
# (409, 500) with the Engine version, so the message decides; only start and restart ask.
_BROKEN_START = re.compile(
    r"task \S+: already exists"
    r"|id already in use"
    r"|is marked for removal"
    r"|cannot start a stopped process",
    re.IGNORECASE,
)


# Starting a container whose bind asks for shared or slave propagation on a host mount that
# is private: "path /srv is mounted on / but it is not a shared mount" (a 500, yet no retry
# helps until the host's mount changes).
_PROPAGATION = re.compile(r"is mounted on \S+ but it is not a shared (or slave )?mount")
_PROPAGATION_HINT = (
    " (the bind's propagation needs the host mount to be shared, e.g. `mount --make-rshared "
    "/`; private or rprivate need nothing)"
)


def _explanation(error: docker.errors.APIError) -> str:
    explanation = error.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    if explanation:
        return str(explanation).strip()
    return str(error)


def translate(error: BaseException, action: str, *, starting: bool = False) -> RuntimeFailure:
    """The runtime error for a docker-py/requests failure during `action` (e.g. "create
    container web"); `starting` is set for start and restart, where a half-dead old task
    becomes ContainerStartBroken."""
    if isinstance(error, RuntimeFailure):
        return error
    if isinstance(error, docker.errors.APIError):
        return _translate_api_error(error, action, starting)
    return _translate_transport_error(error, action)


def _translate_api_error(
    error: docker.errors.APIError, action: str, starting: bool
) -> RuntimeFailure:
    return translate_answer(error.status_code or 0, _explanation(error), action, starting=starting)


def translate_answer(
    status: int, explanation: str, action: str, *, starting: bool = False
) -> RuntimeFailure:
    """The runtime error for the Engine's error answer: its status code and message."""
    # Matched on the Engine's words only: the action names objects, and a name may be anything.
    lowered = explanation.lower()
    message = f"{action}: {explanation}"
    if starting and _BROKEN_START.search(explanation):
        return ContainerStartBroken(message)
    if _NOT_CONNECTED in lowered:
        return NotConnected(message)
    if _PROPAGATION.search(explanation):
        return InvalidRequest(message + _PROPAGATION_HINT)
    if status == 404:
        return ObjectNotFound(message)
    if status == 409:
        if _REMOVAL_IN_PROGRESS in lowered:
            return RemovalInProgress(message)
        return ObjectConflict(message)
    if status == 403 and any(fragment in lowered for fragment in _CONFLICT_FRAGMENTS):
        return ObjectConflict(message)
    if 400 <= status < 500:
        return InvalidRequest(message)
    return RuntimeFailure(message)


def _translate_transport_error(error: BaseException, action: str) -> RuntimeFailure:
    if isinstance(error, requests.exceptions.Timeout):
        return RuntimeUnavailable(f"{action}: the Docker Engine did not answer in time ({error})")
    if isinstance(error, requests.exceptions.ConnectionError | ConnectionError):
        return RuntimeUnavailable(f"{action}: cannot reach the Docker Engine ({error})")
    if isinstance(error, _CLIENT_SIDE_REFUSALS):
        return InvalidRequest(f"{action}: {error}")
    if isinstance(error, docker.errors.DockerException):
        # Raised by the client itself, e.g. when the version handshake fails on a dead socket.
        return RuntimeUnavailable(f"{action}: {error}")
    if isinstance(error, requests.exceptions.RequestException | urllib3.exceptions.HTTPError):
        return RuntimeUnavailable(f"{action}: {error}")
    if isinstance(error, _LOCAL_FILE_ERRORS):
        # A file of ours (a build context, a tarball) is missing or unreadable: no retry helps.
        return InvalidRequest(f"{action}: {error}")
    if isinstance(error, OSError):
        return RuntimeUnavailable(f"{action}: {error}")
    return RuntimeFailure(f"{action}: {error}")


@contextmanager
def translate_errors(action: str, *, starting: bool = False) -> Iterator[None]:
    """Re-raise any engine failure inside the block as the matching runtime error."""
    try:
        yield
    except RuntimeFailure:
        raise
    except (
        docker.errors.DockerException,
        requests.exceptions.RequestException,
        urllib3.exceptions.HTTPError,
        OSError,
    ) as exc:
        raise translate(exc, action, starting=starting) from exc

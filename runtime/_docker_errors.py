"""The one place where docker-py and requests exceptions become `runtime.errors`.

`runtime.docker_driver` wraps every Engine call in `translate_errors()`; nothing above
`runtime/` ever sees a docker-py exception. Mapping follows the Engine's status codes:
404 -> ObjectNotFound, 409 -> ObjectConflict, other 4xx -> InvalidRequest, 5xx -> RuntimeFailure,
no answer -> RuntimeUnavailable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker.errors
import requests.exceptions
import urllib3.exceptions

from dockform.runtime.errors import (
    InvalidRequest,
    ObjectConflict,
    ObjectNotFound,
    RuntimeFailure,
    RuntimeUnavailable,
)

# The Engine answers 403 Forbidden for "network has active endpoints" and "endpoint already
# exists in network": objects in use or taken, unlike other 403s such as removing a predefined
# network, which no retry will fix.
# docker-py refuses these before sending anything: the request itself is wrong.
_CLIENT_SIDE_REFUSALS = (
    docker.errors.InvalidArgument,
    docker.errors.InvalidVersion,
    docker.errors.InvalidRepository,
    docker.errors.NullResource,
)

_LOCAL_FILE_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)

_CONFLICT_FRAGMENTS = ("active endpoints", "in use", "is being used", "already exists")


def _explanation(error: docker.errors.APIError) -> str:
    explanation = error.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    if explanation:
        return str(explanation).strip()
    return str(error)


def translate(error: BaseException, action: str) -> RuntimeFailure:
    """The runtime error for a docker-py/requests failure during `action` (e.g. "create
    container web")."""
    if isinstance(error, RuntimeFailure):
        return error
    if isinstance(error, docker.errors.APIError):
        status = error.status_code or 0
        message = f"{action}: {_explanation(error)}"
        if status == 404:
            return ObjectNotFound(message)
        if status == 409:
            return ObjectConflict(message)
        if status == 403 and any(f in message.lower() for f in _CONFLICT_FRAGMENTS):
            return ObjectConflict(message)
        if 400 <= status < 500:
            return InvalidRequest(message)
        return RuntimeFailure(message)
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
def translate_errors(action: str) -> Iterator[None]:
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
        raise translate(exc, action) from exc

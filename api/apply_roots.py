"""The `root` query parameter of apply and diff: the directories the client applies from.

`dockform apply -f` sends the directory of each file (or the directory) it was given, so that
host paths beside the manifests (an Image's build context, a hostPath) are allowed, as they
are for a watched directory or a git checkout. A root widens what a manifest may reach on the
host, so it is a grant: it is taken only from the unix socket (mode 0600, the daemon's owner)
or from a TCP request that carried the bearer token, never from anything else that reaches the
app, and a root that holds what no root may allow (`/`, `/var`, `/run`, `/proc`...) is refused.
A root that is not a directory on the daemon's host (a remote client's own path) holds nothing
the daemon could use and is left out. The daemon's own --host-path-root directories always
apply, root or not.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Query, Request

from dockform.api.errors import ApiError
from dockform.api.token import AUTHENTICATED_KEY, LOCAL_LISTENER_KEY
from dockform.manifests.host_paths import forbidden_reason, resolve_host_path

MAX_ROOTS = 64
ABSOLUTE_PATTERN = "^/[^\\u0000]*$"


def _absolute_items(schema: dict[str, Any]) -> None:
    """Say in the document what `trusted_roots` refuses with 400: a root not absolute."""
    for option in schema.get("anyOf", []):
        if option.get("type") == "array":
            option["items"] = {"type": "string", "pattern": ABSOLUTE_PATTERN}


Roots = Annotated[
    list[str] | None,
    Query(
        alias="root",
        max_length=MAX_ROOTS,
        json_schema_extra=_absolute_items,
        description=(
            "Absolute directory the manifests were read from (repeatable): host paths below it "
            "are allowed, besides the daemon's --host-path-root directories. Taken only on the "
            "unix socket or with the bearer token."
        ),
    ),
]


def trusted_roots(request: Request, roots: Sequence[str] | None) -> list[str]:
    """The request's roots, checked; ApiError 403/400 for roots it may not give."""
    if not roots:
        return []
    scope = request.scope
    if not (scope.get(LOCAL_LISTENER_KEY) or scope.get(AUTHENTICATED_KEY)):
        raise ApiError(
            403,
            "root is accepted only on the daemon's unix socket or with the bearer token",
        )
    accepted: list[str] = []
    for root in roots:
        if not root.startswith("/") or "\x00" in root:
            raise ApiError(400, f"root {root!r} must be an absolute path")
        resolved = resolve_host_path(root)
        forbidden = forbidden_reason(resolved)
        if forbidden is not None:
            raise ApiError(403, f"root {root!r} is refused: {forbidden}")
        if os.path.isdir(resolved):
            accepted.append(resolved)
    return list(dict.fromkeys(accepted))

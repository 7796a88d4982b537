"""Unknown query parameters are refused (422), not ignored.

An ignored parameter is a silent misunderstanding: `POST /v1/apply?dry_run=true` (instead of
`dryRun`) would apply for real. Every route runs this check, against the parameters its own
signature declares, so the OpenAPI document and the check cannot disagree.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from dockform.api.errors import ApiError

_known: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


def _declared(route: APIRoute) -> frozenset[str]:
    found = _known.get(id(route))
    if found is None:
        found = frozenset(_query_names(route.dependant))
        _known[id(route)] = found
    return found


async def reject_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = _declared(route)
    unknown = sorted({key for key in request.query_params if key not in declared})
    if not unknown:
        return
    known = ", ".join(sorted(declared)) or "none"
    shown = ", ".join(repr(key[:64]) for key in unknown[:5])
    raise ApiError(
        422,
        f"unknown query parameter(s) {shown}; {request.url.path} takes: {known}",
        [
            {"path": key[:64], "message": "unknown query parameter (in the query)"}
            for key in unknown[:5]
        ],
    )
